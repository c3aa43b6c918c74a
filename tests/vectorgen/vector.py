"""Assembling a vector: blocks of real transactions, mined headers, hand-written expectations."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Any

from tests.vectorgen import encoders
from tests.vectorgen.model import Event, Ledger, Outpoint
from tests.vectorgen.readable import contracts_json, event_json, ledger_json
from tests.vectorgen.state_root import state_root
from tests.vectorgen.txbuild import SIG_PLACEHOLDER, In, Tx, build, coinbase, merkle_root, sha256d

REGTEST_BITS = 0x207FFFFF
REGTEST_TARGET = 0x7FFFFF << (8 * (0x20 - 3))
BLOCK_VERSION = 0x20000000
BASE_TIME = 1_700_000_000
#: CONTRACTS.md §14.3: the state key of the block clock (its value is written here, not
#: taken from the machine).
CLOCK_KEY = b"\x09"
PARENT_HASH = sha256d(b"rootstate conformance vectors: fixed parent block")
HEADER_HEAD = struct.Struct("<i32s32sII")


def mine(prev: bytes, root: bytes, time: int) -> bytes:
    """An 80-byte header whose hash meets the regtest target (about two tries on average)."""
    head = HEADER_HEAD.pack(BLOCK_VERSION, prev, root, time, REGTEST_BITS)
    for nonce in range(1 << 32):
        header = head + nonce.to_bytes(4, "little")
        if int.from_bytes(sha256d(header), "little") <= REGTEST_TARGET:
            return header
    raise RuntimeError("no nonce meets the target")


#: CONTRACTS.md §21.2: a transaction's calls use only the fuel its vsize buys (1,000 per
#: vB). Contract vectors' transactions buy theirs with a taproot annex (BIP341: the last
#: witness item, starting 0x50; consensus-valid, and carrier detection ignores it, §3.3) of
#: this many bytes unless a scenario asks for more: about 2,000 vB, 2,000,000 fuel.
CONTRACT_ANNEX = 8_000


@dataclass
class Block:
    height: int
    coinbase_outputs: list[bytes]
    txs: list[Tx] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: Contract vectors: the length of the taproot annex every transaction's first input
    #: carries to buy its calls' fuel (CONTRACTS.md §21.2); 0 for none.
    annex: int = 0
    #: The header's time field; None: BASE_TIME + 600 x height (CONTRACTS.md §17.5).
    time: int | None = None

    def tx(self, inputs: list[In], outputs: list[bytes], *, annex: int | None = None) -> Tx:
        """Append a transaction; its index counts the coinbase as 0 (spec §2.4). In a
        contract vector the first input gets an annex of ``annex`` bytes (default the
        block's) to buy fuel."""
        size = self.annex if annex is None else annex
        if size and inputs:
            first = inputs[0]
            pad = b"\x50" + bytes(size - 1)
            inputs = [In(first.prevout, (*first.witness, pad)), *inputs[1:]]
        built = build(inputs, outputs, len(self.txs) + 1)
        self.txs.append(built)
        return built

    def expect(self, *events: Event) -> None:
        self.events.extend(events)


@dataclass
class Vector:
    name: str
    description: str
    spec_sections: list[str]
    activation_height: int = 1
    ledger: Ledger = field(default_factory=Ledger)
    _blocks: list[dict[str, Any]] = field(default_factory=list)
    _open: Block | None = None
    _prev_hash: bytes = PARENT_HASH
    _state_hash: bytes = encoders.GENESIS_STATE_HASH
    _funding: int = 0
    #: Contract vectors add readable "contracts" and "contract_assets" (CONTRACTS.md §14.3).
    contracts: bool = False
    #: The header times of the blocks so far (CONTRACTS.md §14.3 key 09 keeps the last 10).
    _times: list[int] = field(default_factory=list)

    def block(self, coinbase_outputs: list[bytes] | None = None) -> Block:
        """Close the open block (snapshotting the ledger) and open the next one."""
        self._close()
        height = self.activation_height + len(self._blocks)
        self._open = Block(height, list(coinbase_outputs or []))
        if self.contracts:
            self._open.annex = CONTRACT_ANNEX
        return self._open

    @property
    def current(self) -> Block:
        if self._open is None:
            raise RuntimeError("no block is open")
        return self._open

    def fund(self, witness: tuple[bytes, ...] = (SIG_PLACEHOLDER,)) -> In:
        """An input spending a fresh fake outpoint that holds no assets."""
        self._funding += 1
        txid = hashlib.sha256(f"{self.name}/funding/{self._funding}".encode()).digest()
        return In(Outpoint(txid, self._funding % 3), witness)

    def fund_point(self) -> Outpoint:
        return self.fund().prevout

    def finish(self) -> dict[str, Any]:
        self._close()
        return {
            "name": self.name,
            "description": self.description,
            "spec_sections": self.spec_sections,
            "network": "regtest",
            "activation_height": self.activation_height,
            "blocks": self._blocks,
        }

    def _close(self) -> None:
        block = self._open
        if block is None:
            return
        self._open = None
        base = coinbase(block.height, [tx.wtxid for tx in block.txs], block.coinbase_outputs)
        txs = [base, *block.txs]
        root = merkle_root([tx.txid for tx in txs])
        time = BASE_TIME + 600 * block.height if block.time is None else block.time
        header = mine(self._prev_hash, root, time)
        self._times.append(time)
        block_hash = sha256d(header)
        encoded = [encoders.event_bytes(event) for event in block.events]
        events_hash = encoders.events_hash(encoded)
        utxos, tokens = ledger_json(self.ledger)
        state = encoders.state_map(self.ledger)
        state[CLOCK_KEY] = b"".join(t.to_bytes(4, "big") for t in self._times[-10:])
        state = dict(sorted(state.items()))
        root = state_root(state)
        self._state_hash = encoders.state_hash(self._state_hash, block_hash, events_hash, root)
        self._prev_hash = block_hash
        extra: dict[str, Any] = {}
        if self.contracts:
            extra["contracts"], extra["contract_assets"] = contracts_json(self.ledger)
        self._blocks.append(
            {
                "height": block.height,
                "hash": block_hash[::-1].hex(),
                "header": header.hex(),
                "transactions": [tx.raw.hex() for tx in txs],
                "expected": {
                    "events": [event_json(event) for event in block.events],
                    "events_cbor": [raw.hex() for raw in encoded],
                    "events_hash": events_hash.hex(),
                    "state_root": root.hex(),
                    "state_hash": self._state_hash.hex(),
                    "utxos": utxos,
                    "tokens": tokens,
                    "state": {key.hex(): value.hex() for key, value in state.items()},
                    **extra,
                },
            }
        )
