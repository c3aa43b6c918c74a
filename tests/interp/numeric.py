"""The integer instructions of the subset (Wasm §4.3.2, sign extension from Wasm 2.0).

Values are kept unsigned (i32 in 0..2^32-1, i64 in 0..2^64-1): equality, unsigned order,
bitwise operations and wrapping arithmetic then need no conversion, and signed order is
unsigned order with the sign bit flipped.
"""

from __future__ import annotations

from collections.abc import Callable

from protocol.wasm.engine import TrapKind

M32 = 0xFFFF_FFFF
M64 = 0xFFFF_FFFF_FFFF_FFFF
B32 = 0x8000_0000
B64 = 0x8000_0000_0000_0000

Unary = Callable[[int], int]
Binary = Callable[[int, int], int]


class Trap(Exception):  # noqa: N818 - a trap is an outcome, not an error
    """A trap of the executing code, with its kind of spec §15.9."""

    def __init__(self, kind: TrapKind) -> None:
        super().__init__(kind.label)
        self.kind = kind


def signed(value: int, sign: int) -> int:
    """``value`` (unsigned, ``sign`` its top bit) read as two's complement."""
    return value - (sign << 1) if value & sign else value


def _div_s(mask: int, sign: int) -> Binary:
    def div(x: int, y: int) -> int:
        if y == 0:
            raise Trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
        if x == sign and y == mask:
            raise Trap(TrapKind.INTEGER_OVERFLOW)
        a, b = signed(x, sign), signed(y, sign)
        q = abs(a) // abs(b)  # truncation toward zero (Wasm idiv_s)
        return (-q if (a < 0) != (b < 0) else q) & mask

    return div


def _rem_s(mask: int, sign: int) -> Binary:
    def rem(x: int, y: int) -> int:
        if y == 0:
            raise Trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
        a, b = signed(x, sign), signed(y, sign)
        r = abs(a) % abs(b)  # the sign of the dividend (Wasm irem_s); never overflows
        return (-r if a < 0 else r) & mask

    return rem


def _div_u(x: int, y: int) -> int:
    if y == 0:
        raise Trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    return x // y


def _rem_u(x: int, y: int) -> int:
    if y == 0:
        raise Trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    return x % y


def _ctz(width: int) -> Unary:
    return lambda x: (x & -x).bit_length() - 1 if x else width


def _extend(bits: int, mask: int) -> Unary:
    sign = 1 << (bits - 1)
    low = (1 << bits) - 1
    return lambda x: signed(x & low, sign) & mask


def _integer(width: int, mask: int, sign: int) -> tuple[dict[int, Unary], dict[int, Binary]]:
    """The tests, comparisons and arithmetic of one width, keyed by opcode minus 0x45 (the
    i32 opcodes; :func:`_tables` rebases them for i64)."""
    shift = width - 1
    unary: dict[int, Unary] = {
        0x00: lambda x: 0 if x else 1,  # eqz
        0x22: lambda x: width - x.bit_length(),  # clz
        0x23: _ctz(width),
        0x24: lambda x: x.bit_count(),  # popcnt
    }
    binary: dict[int, Binary] = {
        0x01: lambda x, y: 1 if x == y else 0,
        0x02: lambda x, y: 1 if x != y else 0,
        0x03: lambda x, y: 1 if x ^ sign < y ^ sign else 0,  # lt_s
        0x04: lambda x, y: 1 if x < y else 0,
        0x05: lambda x, y: 1 if x ^ sign > y ^ sign else 0,  # gt_s
        0x06: lambda x, y: 1 if x > y else 0,
        0x07: lambda x, y: 1 if x ^ sign <= y ^ sign else 0,  # le_s
        0x08: lambda x, y: 1 if x <= y else 0,
        0x09: lambda x, y: 1 if x ^ sign >= y ^ sign else 0,  # ge_s
        0x0A: lambda x, y: 1 if x >= y else 0,
        0x25: lambda x, y: (x + y) & mask,
        0x26: lambda x, y: (x - y) & mask,
        0x27: lambda x, y: (x * y) & mask,
        0x28: _div_s(mask, sign),
        0x29: _div_u,
        0x2A: _rem_s(mask, sign),
        0x2B: _rem_u,
        0x2C: lambda x, y: x & y,
        0x2D: lambda x, y: x | y,
        0x2E: lambda x, y: x ^ y,
        0x2F: lambda x, y: (x << (y & shift)) & mask,  # shl
        0x30: lambda x, y: (signed(x, sign) >> (y & shift)) & mask,  # shr_s
        0x31: lambda x, y: x >> (y & shift),  # shr_u
        0x32: lambda x, y: ((x << (y & shift)) | (x >> (width - (y & shift)))) & mask,  # rotl
        0x33: lambda x, y: ((x >> (y & shift)) | (x << (width - (y & shift)))) & mask,  # rotr
    }
    return unary, binary


def _tables() -> tuple[dict[int, Unary], dict[int, Binary]]:
    # Opcode layout (Wasm §5.4.5): i32 tests and comparisons at 45-4f, i64 at 50-5a (keys
    # below 0x22); i32 arithmetic at 67-78, i64 at 79-8a (keys from 0x22).
    unary: dict[int, Unary] = {}
    binary: dict[int, Binary] = {}
    for width, mask, sign, tests, arith in ((32, M32, B32, 0x45, 0x45), (64, M64, B64, 0x50, 0x57)):
        u, b = _integer(width, mask, sign)
        for offset, fn in u.items():
            unary[(tests if offset < 0x22 else arith) + offset] = fn
        for offset, fn2 in b.items():
            binary[(tests if offset < 0x22 else arith) + offset] = fn2
    unary[0xA7] = lambda x: x & M32  # i32.wrap_i64
    unary[0xAC] = lambda x: signed(x, B32) & M64  # i64.extend_i32_s
    unary[0xAD] = lambda x: x  # i64.extend_i32_u
    unary[0xC0] = _extend(8, M32)
    unary[0xC1] = _extend(16, M32)
    unary[0xC2] = _extend(8, M64)
    unary[0xC3] = _extend(16, M64)
    unary[0xC4] = _extend(32, M64)
    return unary, binary


UNARY, BINARY = _tables()
