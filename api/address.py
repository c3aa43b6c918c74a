"""Bitcoin addresses of one network: to a scriptPubKey and back.

Segwit addresses are bech32 (witness v0, BIP173) or bech32m (v1 and up, BIP350); legacy
P2PKH and P2SH are base58check. The codecs are embit's (the BIP reference code); this module
adds what they leave open: which network's prefixes apply, chosen per call from the
configured network, never from a process-wide switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from embit import base58, bech32  # type: ignore[import-untyped]

from protocol.params import Network

P2PKH_HEAD, P2PKH_TAIL = b"\x76\xa9\x14", b"\x88\xac"
P2SH_HEAD, P2SH_TAIL = b"\xa9\x14", b"\x87"
HASH160_LEN = 20
#: Longer strings are not addresses of any kind (BIP173 caps bech32 at 90 characters).
MAX_ADDRESS_LEN = 90


class AddressError(ValueError):
    """Not an address of the configured network; the message says why."""


@dataclass(frozen=True)
class AddressFormat:
    hrp: str
    p2pkh: int
    p2sh: int


FORMATS = {
    Network.MAINNET: AddressFormat("bc", 0x00, 0x05),
    Network.TESTNET4: AddressFormat("tb", 0x6F, 0xC4),
    Network.SIGNET: AddressFormat("tb", 0x6F, 0xC4),
    Network.REGTEST: AddressFormat("bcrt", 0x6F, 0xC4),
}


def address_to_script(address: str, network: Network) -> bytes:
    """The scriptPubKey ``address`` pays to on ``network``; AddressError otherwise."""
    fmt = FORMATS[network]
    if not address or len(address) > MAX_ADDRESS_LEN or not address.isascii():
        raise AddressError(f"{address[:100]!r} is not a Bitcoin address")
    hrp, sep, _ = address.lower().rpartition("1")
    if sep and hrp in {f.hrp for f in FORMATS.values()}:
        if hrp != fmt.hrp:
            raise AddressError(f"{address} is an address of another network than {network.value}")
        version, program = bech32.decode(fmt.hrp, address)
        if version is None:
            raise AddressError(f"{address} is not a valid segwit address (bad checksum or form)")
        opcode = 0 if version == 0 else 0x50 + version
        return bytes([opcode, len(program)]) + bytes(program)
    try:
        data: bytes = base58.decode_check(address)
    except Exception:  # embit raises bare ValueError/Exception subclasses for bad input
        raise AddressError(f"{address} is neither a segwit nor a base58check address") from None
    if len(data) != 1 + HASH160_LEN:
        raise AddressError(f"{address} decodes to {len(data)} bytes, not an address")
    if data[0] == fmt.p2pkh:
        return P2PKH_HEAD + data[1:] + P2PKH_TAIL
    if data[0] == fmt.p2sh:
        return P2SH_HEAD + data[1:] + P2SH_TAIL
    raise AddressError(f"{address} is an address of another network than {network.value}")


@lru_cache(maxsize=65_536)
def script_to_address(script: bytes, network: Network) -> str | None:
    """The address of a standard scriptPubKey on ``network``; None for other scripts.

    Cached: encoding a bech32 checksum in Python costs more than the store lookup it decorates.
    """
    fmt = FORMATS[network]
    if len(script) == 25 and script[:3] == P2PKH_HEAD and script[23:] == P2PKH_TAIL:
        return str(base58.encode_check(bytes([fmt.p2pkh]) + script[3:23]))
    if len(script) == 23 and script[:2] == P2SH_HEAD and script[22:] == P2SH_TAIL:
        return str(base58.encode_check(bytes([fmt.p2sh]) + script[2:22]))
    if 4 <= len(script) <= 42 and script[1] == len(script) - 2:
        if script[0] == 0:
            version = 0
        elif 0x51 <= script[0] <= 0x60:
            version = script[0] - 0x50
        else:
            return None
        if not 2 <= len(script) - 2 <= 40 or (version == 0 and len(script) not in (22, 34)):
            return None
        encoding = bech32.Encoding.BECH32 if version == 0 else bech32.Encoding.BECH32M
        data = [version, *bech32.convertbits(script[2:], 8, 5)]
        return str(bech32.bech32_encode(encoding, fmt.hrp, data))
    return None
