"""Protocol constants and per-network parameters (spec §2, §3, §11)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

PROTOCOL_VERSION = 1

#: spec §3.1: the magic, always pushed with opcode 0x06 (OP_PUSHBYTES_6).
MAGIC = b"rstate"
MAGIC_PUSH = bytes([len(MAGIC)]) + MAGIC

#: spec §3.3: the byte pattern that opens an envelope in a tapscript.
ENVELOPE_HEAD = b"\x00\x63" + MAGIC_PUSH

#: spec §3.3: the largest chunk an envelope may hold (Bitcoin's MAX_SCRIPT_ELEMENT_SIZE).
MAX_CHUNK = 520

#: spec §4.4: how deep arrays and maps may nest inside a payload.
MAX_CBOR_DEPTH = 8

#: spec §5.1: the most operations one message may hold.
MAX_OPERATIONS = 64

#: spec §7.5.1: the most entries (balances and authorities together) one UTXO record may
#: hold. Spending a record costs every indexer work per entry (drain, events, indexes,
#: re-encoding) while the spend's block space does not grow with it; bounded, a spend's cost
#: is proportional to the block space it takes. Measured through the store: about 25 µs per
#: entry and spend, so a block of ~100-vB spends of 8-entry records cost 2.5 s of CPU and of
#: 4-entry records about 1.2 s (CONTRACTS.md §22).
MAX_UTXO_ASSETS = 4

#: spec §4.5 and §6: integer bounds.
U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1
U128_MAX = 2**128 - 1

#: spec §6.2: the most decimals a token may declare.
MAX_DECIMALS = 18

#: spec §11.2: the state hash that precedes the first block at the activation height.
GENESIS_STATE_HASH = bytes(32)


class Network(Enum):
    """The Bitcoin networks the protocol is defined on (spec §11.3)."""

    MAINNET = "mainnet"
    TESTNET4 = "testnet4"
    SIGNET = "signet"
    REGTEST = "regtest"


#: spec §11.3: the first height whose block is applied, per network.
ACTIVATION_HEIGHTS: dict[Network, int] = {
    Network.MAINNET: 985_000,
    Network.TESTNET4: 130_000,
    Network.SIGNET: 300_000,
    Network.REGTEST: 1,
}


@dataclass(frozen=True)
class NetworkParams:
    """What the machine needs to know about the chain it runs on."""

    network: Network
    activation_height: int

    @classmethod
    def for_network(cls, network: Network) -> NetworkParams:
        return cls(network=network, activation_height=ACTIVATION_HEIGHTS[network])
