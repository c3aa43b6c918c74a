"""Value, block, function and global types of the accepted subset (spec §15.2)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol.wasm.reader import Reader, malformed
from protocol.wasm.reasons import WasmReason, WasmRejection

I32 = 0x7F
I64 = 0x7E
_FLOATS = frozenset([0x7D, 0x7C])
# v128, funcref, externref, and the typed/abstract reference encodings of later proposals
_OTHER_TYPES = frozenset([0x7B, 0x70, 0x6F, 0x64, 0x63, *range(0x69, 0x75)])


@dataclass(frozen=True, slots=True)
class FuncType:
    params: tuple[int, ...]
    results: tuple[int, ...]  # at most one


@dataclass(frozen=True, slots=True)
class GlobalType:
    valtype: int
    mutable: bool


def classify_value_type(code: int, pos: int) -> int:
    """``code`` if it is i32 or i64; otherwise the rejection that fits it."""
    if code in (I32, I64):
        return code
    if code in _FLOATS:
        raise WasmRejection(WasmReason.FLOAT_TYPE, f"at byte {pos}")
    if code in _OTHER_TYPES:
        raise WasmRejection(WasmReason.UNSUPPORTED_TYPE, f"type {code:#04x} at byte {pos}")
    raise malformed(f"bad value type {code:#04x} at byte {pos}")


def value_type(reader: Reader) -> int:
    pos = reader.pos
    return classify_value_type(reader.byte(), pos)


def block_type(reader: Reader) -> int | None:
    """None for the empty block type, else the single result type."""
    pos = reader.pos
    code = reader.byte()
    if code == 0x40:
        return None
    if code >= 0x40 and not code & 0x80:
        return classify_value_type(code, pos)
    # A non-negative s33: a type index, i.e. a multi-value block type.
    reader.pos = pos
    if reader.signed(33) >= 0:
        raise WasmRejection(WasmReason.MULTI_VALUE, f"block type index at byte {pos}")
    raise malformed(f"bad block type at byte {pos}")


def func_type(reader: Reader, max_params: int) -> FuncType:
    pos = reader.pos
    form = reader.byte()
    if form != 0x60:
        if form in (0x5E, 0x5F, 0x50, 0x4F, 0x4E, 0x4D):  # GC composite / rec / sub types
            raise WasmRejection(WasmReason.UNSUPPORTED_TYPE, f"type form at byte {pos}")
        raise malformed(f"bad type form at byte {pos}")
    count = reader.u32()
    if count > max_params:
        raise WasmRejection(WasmReason.TOO_MANY_PARAMS, f"type at byte {pos}")
    params = tuple(value_type(reader) for _ in range(count))
    count = reader.u32()
    if count > 1:
        raise WasmRejection(WasmReason.MULTI_VALUE, f"type at byte {pos}")
    results = tuple(value_type(reader) for _ in range(count))
    return FuncType(params, results)
