"""The subset validator (spec §15.3): one pass over the module bytes, in order.

:func:`validate` either returns a :class:`Module` (what the instrumentation needs) or raises
:class:`WasmRejection` with the reason of the first check that fails, in byte order; the
checks that need the whole module run after the last section, in the order of §15.3.4.
It never raises anything else, whatever the input (tests/protocol/wasm fuzz it).
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.wasm import abi, limits
from protocol.wasm.code import Body, BodyContext, check_body
from protocol.wasm.reader import Reader, malformed
from protocol.wasm.reasons import WasmReason, WasmRejection
from protocol.wasm.types import I32, I64, FuncType, GlobalType, func_type, value_type

MAGIC = b"\x00asm\x01\x00\x00\x00"
MAX_NAME_BYTES = 1_024  # custom section, import and export names
_ENTRY = FuncType((), ())
_SIGNATURES = {
    name: FuncType(tuple(int(p) for p in params), tuple(int(r) for r in results))
    for name, (params, results) in abi.HOST_FUNCTIONS.items()
}
SECTION_GLOBAL = 6
SECTION_EXPORT = 7
SECTION_START = 8
SECTION_CODE = 10


@dataclass(frozen=True, slots=True)
class Section:
    id: int
    start: int  # first content byte
    end: int  # one past the last content byte


@dataclass(frozen=True, slots=True)
class Module:
    """A module that passed :func:`validate`."""

    data: bytes
    sections: tuple[Section, ...]  # non-custom sections, in order
    imported_functions: int
    globals: int  # defined globals
    exports: int
    bodies: tuple[Body, ...]
    has_init: bool
    start: int | None  # the start function's index


class _State:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.types: list[FuncType] = []
        self.imports: list[FuncType] = []
        self.defined: list[FuncType] = []
        self.table_min: int | None = None
        self.memory_min: int | None = None
        self.globals: list[GlobalType] = []
        self.exports: dict[str, tuple[int, int]] = {}
        self.bodies: list[Body] = []
        self.code_seen = False
        self.start: int | None = None

    @property
    def functions(self) -> list[FuncType]:
        return self.imports + self.defined


def validate(data: bytes) -> Module:
    """Check ``data`` against the subset and limits of spec §15.3-§15.5."""
    if len(data) > limits.MAX_MODULE_BYTES:
        raise WasmRejection(WasmReason.MODULE_TOO_LARGE, f"{len(data):,} bytes")
    if data[:8] != MAGIC:
        raise WasmRejection(WasmReason.BAD_HEADER)
    state = _State(data)
    sections: list[Section] = []
    reader = Reader(data, 8)
    last_id = 0
    while not reader.at_end():
        section_id = reader.byte()
        size = reader.u32()
        if size > reader.end - reader.pos:
            raise malformed("section runs past the end")
        body = Reader(data, reader.pos, reader.pos + size)
        reader.pos += size
        if section_id == 0:
            body.name(MAX_NAME_BYTES)
            continue
        if section_id > SECTION_DATA:
            raise WasmRejection(WasmReason.UNSUPPORTED_SECTION, f"section id {section_id}")
        if section_id <= last_id:
            raise malformed(f"section {section_id} out of order or repeated")
        last_id = section_id
        _SECTIONS[section_id](state, body)
        if not body.at_end():
            raise malformed(f"section {section_id} has trailing bytes")
        sections.append(Section(section_id, body.end - size, body.end))
    _finish(state)
    return Module(
        data,
        tuple(sections),
        len(state.imports),
        len(state.globals),
        len(state.exports),
        tuple(state.bodies),
        "init" in state.exports,
        state.start,
    )


def _finish(state: _State) -> None:
    if state.defined and not state.code_seen:
        raise malformed("function section without a code section")
    if state.memory_min is None:
        raise WasmRejection(WasmReason.MEMORY, "no memory")
    for name in (abi.MEMORY_EXPORT, abi.CALL_EXPORT):
        if name not in state.exports:
            raise WasmRejection(WasmReason.EXPORT, f"missing export {name!r}")


def _type_section(state: _State, r: Reader) -> None:
    count = r.u32()
    if count > limits.MAX_TYPES:
        raise WasmRejection(WasmReason.TOO_MANY_TYPES, f"{count:,}")
    state.types = [func_type(r, limits.MAX_PARAMS) for _ in range(count)]


def _type_index(state: _State, r: Reader) -> FuncType:
    index = r.u32()
    if index >= len(state.types):
        raise WasmRejection(WasmReason.INVALID_INDEX, f"type {index}")
    return state.types[index]


def _import_section(state: _State, r: Reader) -> None:
    seen: set[str] = set()
    for _ in range(r.u32()):
        module = r.name(MAX_NAME_BYTES)
        name = r.name(MAX_NAME_BYTES)
        kind = r.byte()
        if module != abi.IMPORT_MODULE or kind != 0x00 or name not in _SIGNATURES:
            raise WasmRejection(WasmReason.IMPORT_NOT_ALLOWED, f"{module}.{name} kind {kind}")
        if name in seen:
            raise WasmRejection(WasmReason.IMPORT_NOT_ALLOWED, f"{name} imported twice")
        seen.add(name)
        if _type_index(state, r) != _SIGNATURES[name]:
            raise WasmRejection(WasmReason.IMPORT_SIGNATURE, name)
        state.imports.append(_SIGNATURES[name])


def _function_section(state: _State, r: Reader) -> None:
    count = r.u32()
    if count > limits.MAX_FUNCTIONS:
        raise WasmRejection(WasmReason.TOO_MANY_FUNCTIONS, f"{count:,}")
    state.defined = [_type_index(state, r) for _ in range(count)]


def _limits(r: Reader, reason: WasmReason, cap: int) -> int:
    flags = r.byte()
    if flags not in (0x00, 0x01):
        raise WasmRejection(reason, f"limits flags {flags:#04x}")
    minimum = r.u32()
    maximum = r.u32() if flags == 0x01 else None
    if minimum > cap or (maximum is not None and not minimum <= maximum <= cap):
        raise WasmRejection(reason, "limits out of range")
    return minimum


def _table_section(state: _State, r: Reader) -> None:
    count = r.u32()
    if count > 1:
        raise WasmRejection(WasmReason.TABLE, "more than one table")
    for _ in range(count):
        if r.byte() != 0x70:
            raise WasmRejection(WasmReason.TABLE, "table type is not funcref")
        state.table_min = _limits(r, WasmReason.TABLE, limits.MAX_TABLE_ELEMENTS)


def _memory_section(state: _State, r: Reader) -> None:
    count = r.u32()
    if count != 1:
        raise WasmRejection(WasmReason.MEMORY, f"{count} memories")
    flags_pos = r.pos
    state.memory_min = _limits(r, WasmReason.MEMORY, 65_536)
    if state.memory_min > limits.MAX_MEMORY_PAGES:
        raise WasmRejection(WasmReason.MEMORY, f"minimum above the page limit at {flags_pos}")


def _const_expr(r: Reader, valtype: int) -> int | None:
    """The value of ``i32.const n end`` / ``i64.const n end``; None for anything else."""
    op = r.byte()
    if (op, valtype) == (0x41, I32):
        value = r.signed(32)
    elif (op, valtype) == (0x42, I64):
        value = r.signed(64)
    else:
        return None
    return value if r.byte() == 0x0B else None


def _global_section(state: _State, r: Reader) -> None:
    count = r.u32()
    if count > limits.MAX_GLOBALS:
        raise WasmRejection(WasmReason.TOO_MANY_GLOBALS, f"{count:,}")
    for _ in range(count):
        valtype = value_type(r)
        mutable = r.byte()
        if mutable not in (0, 1):
            raise malformed("bad global mutability")
        if _const_expr(r, valtype) is None:
            raise WasmRejection(WasmReason.GLOBAL, "initialiser is not a constant of its type")
        state.globals.append(GlobalType(valtype, mutable == 1))


def _export_section(state: _State, r: Reader) -> None:
    for _ in range(r.u32()):
        name = r.name(MAX_NAME_BYTES)
        kind = r.byte()
        index = r.u32()
        if name in state.exports:
            raise WasmRejection(WasmReason.EXPORT, f"duplicate export {name!r}")
        if name == abi.MEMORY_EXPORT and kind == 0x02:
            if index != 0 or state.memory_min is None:
                raise WasmRejection(WasmReason.INVALID_INDEX, f"memory {index}")
        elif name in (abi.CALL_EXPORT, abi.INIT_EXPORT) and kind == 0x00:
            functions = state.functions
            if index >= len(functions):
                raise WasmRejection(WasmReason.INVALID_INDEX, f"function {index}")
            if index < len(state.imports) or functions[index] != _ENTRY:
                raise WasmRejection(WasmReason.ENTRY_TYPE, name)
        else:
            raise WasmRejection(WasmReason.EXPORT, f"export {name!r} of kind {kind}")
        state.exports[name] = (kind, index)


def _start_section(state: _State, r: Reader) -> None:
    index = r.u32()
    functions = state.functions
    if index >= len(functions):
        raise WasmRejection(WasmReason.INVALID_INDEX, f"start function {index}")
    if index < len(state.imports) or functions[index] != _ENTRY:
        raise WasmRejection(WasmReason.START, "start must be a defined () -> () function")
    state.start = index


def _offset(r: Reader, reason: WasmReason) -> int:
    value = _const_expr(r, I32)
    if value is None:
        raise WasmRejection(reason, "offset is not an i32.const expression")
    return value & 0xFFFF_FFFF


def _element_section(state: _State, r: Reader) -> None:
    count = r.u32()
    if count > limits.MAX_ELEMENT_SEGMENTS:
        raise WasmRejection(WasmReason.TOO_MANY_ELEMENTS, f"{count:,} segments")
    for _ in range(count):
        if r.u32() != 0:
            raise WasmRejection(WasmReason.ELEMENT_SEGMENT, "only active table-0 segments")
        offset = _offset(r, WasmReason.ELEMENT_SEGMENT)
        length = r.u32()
        if state.table_min is None or offset + length > state.table_min:
            raise WasmRejection(WasmReason.ELEMENT_SEGMENT, "segment outside the table")
        total = len(state.functions)
        for _ in range(length):
            if r.u32() >= total:
                raise WasmRejection(WasmReason.INVALID_INDEX, "element function index")


def _code_section(state: _State, r: Reader) -> None:
    count = r.u32()
    if count != len(state.defined):
        raise malformed("function and code counts differ")
    state.code_seen = True
    ctx = BodyContext(
        tuple(state.types),
        tuple(state.functions),
        tuple(state.globals),
        state.table_min is not None,
        state.memory_min is not None,
    )
    for func in state.defined:
        size = r.u32()
        if size > limits.MAX_BODY_BYTES:
            raise WasmRejection(WasmReason.BODY_TOO_LARGE, f"{size:,} bytes")
        if size > r.end - r.pos:
            raise malformed("body runs past the section")
        body = Reader(r.data, r.pos, r.pos + size)
        state.bodies.append(check_body(body, ctx, func))
        r.pos += size


def _data_section(state: _State, r: Reader) -> None:
    count = r.u32()
    if count > limits.MAX_DATA_SEGMENTS:
        raise WasmRejection(WasmReason.TOO_MANY_DATA_SEGMENTS, f"{count:,}")
    for _ in range(count):
        if r.u32() != 0:
            raise WasmRejection(WasmReason.DATA_SEGMENT, "only active memory-0 segments")
        offset = _offset(r, WasmReason.DATA_SEGMENT)
        length = r.u32()
        r.take(length)
        if state.memory_min is None or offset + length > state.memory_min * 65_536:
            raise WasmRejection(WasmReason.DATA_SEGMENT, "segment outside the memory")


SECTION_DATA = 11
_SECTIONS = {
    1: _type_section,
    2: _import_section,
    3: _function_section,
    4: _table_section,
    5: _memory_section,
    6: _global_section,
    7: _export_section,
    8: _start_section,
    9: _element_section,
    10: _code_section,
    11: _data_section,
}
