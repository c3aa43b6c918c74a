"""Module validation orders and exact limits (spec/CONTRACTS_WASM.md §15.2-§15.5) that an
independent reading found open (issue 18).

Modules a text converter would refuse to write (an export index out of range, an export
kind byte 4, a block type f32) are assembled here byte by byte.
"""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen.scenarios.contract_common import contract_vector, message_tx, publish

HEADER = b"\x00asm\x01\x00\x00\x00"
# Module rejection reasons of §15.3.3 used below.
MALFORMED, FLOAT_TYPE, MULTI_VALUE, FLOAT_INSTRUCTION = 3, 5, 7, 8
IMPORT_NOT_ALLOWED, EXPORT, START, TOO_MANY_PARAMS = 10, 15, 17, 31
STACK_TOO_HIGH, NESTING_TOO_DEEP, TOO_MANY_LOCALS, DATA_SEGMENT = 27, 28, 25, 19


def uleb(value: int) -> bytes:
    """Minimal unsigned LEB128. The generator writes its own rather than import
    protocol.wasm's (tests/test_layout.py: it never imports the code it checks)."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def vec(*items: bytes) -> bytes:
    return uleb(len(items)) + b"".join(items)


def name(text: bytes) -> bytes:
    return uleb(len(text)) + text


def section(section_id: int, body: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(body)) + body


def binary(*sections: bytes) -> bytes:
    return HEADER + b"".join(sections)


VOID = b"\x60\x00\x00"  # () -> ()
TYPES = section(1, vec(VOID))
FUNCS = section(3, vec(b"\x00"))
MEMORY = section(5, vec(b"\x00\x01"))
MEMORY_EXPORT = name(b"memory") + b"\x02\x00"
CALL_EXPORT = name(b"call") + b"\x00\x00"
EXPORTS = section(7, vec(MEMORY_EXPORT, CALL_EXPORT))


def body(code: bytes) -> bytes:
    """A code entry without locals."""
    return uleb(len(code) + 1) + b"\x00" + code


def one_function(code: bytes) -> bytes:
    """A valid module shell whose one function (the call export) has the body ``code``."""
    return binary(TYPES, FUNCS, MEMORY, EXPORTS, section(10, vec(body(code))))


def exports(*entries: bytes) -> bytes:
    return binary(TYPES, FUNCS, MEMORY, section(7, vec(*entries)), section(10, vec(body(b"\x0b"))))


def export_named(length: int) -> bytes:
    return exports(MEMORY_EXPORT, CALL_EXPORT, name(b"a" * length) + b"\x00\x00")


EMIT_TYPE = b"\x60\x02\x7f\x7f\x00"  # (i32, i32) -> ()
IMPORT_TWICE = binary(
    section(1, vec(VOID, EMIT_TYPE)),
    section(
        2,
        vec(
            name(b"rootstate") + name(b"emit") + b"\x00\x01",
            name(b"rootstate") + name(b"emit") + b"\x00\x00",
        ),
    ),
    FUNCS,
    MEMORY,
    section(7, vec(MEMORY_EXPORT, name(b"call") + b"\x00\x02")),
    section(10, vec(body(b"\x0b"))),
)
START_OF_WRONG_TYPE = binary(
    section(1, vec(VOID, b"\x60\x01\x7f\x00")),
    section(3, vec(b"\x00", b"\x01")),
    MEMORY,
    EXPORTS,
    section(8, uleb(1)),
    section(10, vec(body(b"\x0b"), body(b"\x0b"))),
)

F32, I32 = b"\x7d", b"\x7f"
#: 33 parameters, the first f32: the count is checked before the types are read.
PARAMS_33 = binary(section(1, vec(b"\x60" + uleb(33) + F32 + I32 * 32 + b"\x00")))
#: Two f32 results: the result count is checked before the result types.
RESULTS_2 = binary(section(1, vec(b"\x60\x00\x02" + F32 + F32)))
#: A locals declaration of 600 f32: its type is read before the running total is checked.
LOCALS_600_F32 = binary(
    TYPES, FUNCS, MEMORY, EXPORTS, section(10, vec(uleb(5) + b"\x01" + uleb(600) + F32 + b"\x0b"))
)

CHECK_ORDER: list[tuple[bytes, int]] = [
    (PARAMS_33, TOO_MANY_PARAMS),
    (RESULTS_2, MULTI_VALUE),
    (LOCALS_600_F32, FLOAT_TYPE),
    (exports(MEMORY_EXPORT, CALL_EXPORT, name(b"call") + b"\x00\x05"), EXPORT),
    (exports(MEMORY_EXPORT, name(b"call") + b"\x04\x00"), EXPORT),
    (export_named(1_024), EXPORT),
    (export_named(1_025), MALFORMED),
    (one_function(b"\x02\x7d\x0b\x0b"), FLOAT_TYPE),
    (one_function(b"\x02\x7c\x0b\x0b"), FLOAT_TYPE),
    (one_function(b"\x02\x00\x0b\x0b"), MULTI_VALUE),
    (one_function(b"\xfc\x00\x0b"), FLOAT_INSTRUCTION),
    (IMPORT_TWICE, IMPORT_NOT_ALLOWED),
    (START_OF_WRONG_TYPE, START),
]


def check_order() -> dict[str, Any]:
    v = contract_vector(
        "module-check-order",
        "Validation orders and detail reasons (§15.2, §15.3): an export name repeated with an "
        "index out of range is export (the duplicate check first); kind byte 4 for call is "
        "export; an export name of 1,024 bytes is export (a name not allowed) and of 1,025 "
        "malformed; f32 and f64 as a block type are float_type; a type-index block type is "
        "multi_value; fc 00 (i32.trunc_sat_f32_s) is float_instruction; a name imported "
        "twice, the second time with another type, is import_not_allowed; a start function "
        "of type (i32) -> () is start. Counts before the entries they count: a type with "
        "33 parameters, the first f32, is too_many_params; two f32 results multi_value; a "
        "locals declaration of 600 f32 is float_type (its type before the running total). "
        "A module using i32.extend8_s is accepted.",
        ["15.2", "15.3.2", "15.3.4", "16.1"],
    )
    b = v.block()
    for code, detail in CHECK_ORDER:
        tx = message_tx(v, b, p.publish(code))
        b.expect(ev.rejected_detail(tx, "invalid_module", detail))
    publish(v, b, wat.module('(func (export "call") i32.const 1 i32.extend8_s drop)'))
    return v.finish()


def _nested(depth: int) -> bytes:
    return wat.module('(func (export "call") ' + "block " * depth + "end " * depth + ")")


def _height(height: int) -> bytes:
    return wat.module('(func (export "call") ' + "i32.const 0 " * height + "drop " * height + ")")


def _locals(count: int) -> bytes:
    return wat.module('(func (export "call") (local ' + "i32 " * count + "))")


def _data_at(offset: int) -> bytes:
    return wat.module('(func (export "call"))', data={offset: b"a"})


def limits_exact() -> dict[str, Any]:
    v = contract_vector(
        "module-limits-exact",
        "Each limit at its bound and one past it (§15.3, §15.5): 256 nested blocks are "
        "accepted, 257 nesting_too_deep (the function's own frame does not count); an operand "
        "stack of 1,024 values is accepted, 1,025 stack_too_high; 512 locals are accepted, "
        "513 too_many_locals; a data segment ending at the end of the initial memory is "
        "accepted, one byte further data_segment.",
        ["15.3.2", "15.3.4", "15.5", "16.1"],
    )
    b = v.block()
    for fits, too_far, detail in (
        (_nested(256), _nested(257), NESTING_TOO_DEEP),
        (_height(1_024), _height(1_025), STACK_TOO_HIGH),
        (_locals(512), _locals(513), TOO_MANY_LOCALS),
        (_data_at(65_535), _data_at(65_536), DATA_SEGMENT),
    ):
        publish(v, b, fits)
        tx = message_tx(v, b, p.publish(too_far))
        b.expect(ev.rejected_detail(tx, "invalid_module", detail))
    return v.finish()


VECTORS = [check_order, limits_exact]
