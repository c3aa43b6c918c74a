"""Segwit addresses: bech32 (BIP173, witness v0) and bech32m (BIP350, v1+), any hrp."""

from __future__ import annotations

from dataclasses import dataclass

REGTEST_HRP = "bcrt"
MAINNET_HRP = "bc"

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_MAX_LENGTH = 90


class AddressError(ValueError):
    """The string is not a valid segwit address for the expected network."""


@dataclass(frozen=True)
class WitnessProgram:
    version: int
    program: bytes

    @property
    def script_pubkey(self) -> bytes:
        opcode = 0 if self.version == 0 else 0x50 + self.version
        return bytes((opcode, len(self.program))) + self.program

    @classmethod
    def from_script(cls, script: bytes) -> WitnessProgram | None:
        """The witness program of a segwit output script, or None for any other script."""
        if not 4 <= len(script) <= 42 or script[1] != len(script) - 2:
            return None
        if script[0] == 0:
            return cls(0, script[2:])
        if 0x51 <= script[0] <= 0x60:
            return cls(script[0] - 0x50, script[2:])
        return None


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out = []
    max_value = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & max_value)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits or (acc << (to_bits - bits)) & max_value:
        raise AddressError("invalid padding in address data")
    return out


def _check_program(version: int, program: bytes) -> None:
    if not 0 <= version <= 16:
        raise AddressError(f"witness version {version} out of range 0..16")
    if not 2 <= len(program) <= 40:
        raise AddressError(f"witness program of {len(program)} bytes, must be 2..40")
    if version == 0 and len(program) not in (20, 32):
        raise AddressError(f"v0 witness program must be 20 or 32 bytes, got {len(program)}")


def encode_address(hrp: str, program: WitnessProgram) -> str:
    _check_program(program.version, program.program)
    data = [program.version, *_convert_bits(program.program, 8, 5, pad=True)]
    const = _BECH32_CONST if program.version == 0 else _BECH32M_CONST
    values = _hrp_expand(hrp) + data
    checksum = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ const
    data += [(checksum >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in data)


def decode_address(hrp: str, address: str) -> WitnessProgram:
    """Decode `address`, which must carry `hrp`; raise AddressError naming what is wrong."""
    if address.lower() != address and address.upper() != address:
        raise AddressError(f"{address!r} mixes upper and lower case")
    text = address.lower()
    sep = text.rfind("1")
    if sep < 1 or sep + 7 > len(text) or len(text) > _MAX_LENGTH:
        raise AddressError(f"{address!r} is not bech32: bad separator position or length")
    if text[:sep] != hrp:
        raise AddressError(f"{address!r} is for network {text[:sep]!r}, expected {hrp!r}")
    try:
        data = [_CHARSET.index(c) for c in text[sep + 1 :]]
    except ValueError:
        raise AddressError(f"{address!r} has characters outside the bech32 set") from None
    const = _polymod(_hrp_expand(hrp) + data)
    if const not in (_BECH32_CONST, _BECH32M_CONST):
        raise AddressError(f"{address!r} has a bad checksum")
    version = data[0]
    program = bytes(_convert_bits(data[1:-6], 5, 8, pad=False))
    _check_program(version, program)
    expected = _BECH32_CONST if version == 0 else _BECH32M_CONST
    if const != expected:
        kind = "bech32" if version == 0 else "bech32m"
        raise AddressError(f"{address!r}: witness v{version} must use {kind}")
    return WitnessProgram(version, program)


def address_to_script(address: str, hrp: str = REGTEST_HRP) -> bytes:
    return decode_address(hrp, address).script_pubkey


def script_to_address(script: bytes, hrp: str = REGTEST_HRP) -> str:
    program = WitnessProgram.from_script(script)
    if program is None:
        raise AddressError(f"script {script.hex()} has no segwit address")
    return encode_address(hrp, program)
