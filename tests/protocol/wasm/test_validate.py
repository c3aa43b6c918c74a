"""The subset validator (spec §15.3-§15.5): each rejection reason from a minimal module."""

from __future__ import annotations

import pytest
import wasmtime

from protocol.wasm import limits
from protocol.wasm.reader import Reader
from protocol.wasm.reasons import WasmReason as R
from protocol.wasm.reasons import WasmRejection
from protocol.wasm.validate import validate

MEM = '(memory (export "memory") 1)'
CALL = '(func (export "call"))'


def wat(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def module(*parts: str) -> bytes:
    return wat("(module " + " ".join(parts) + ")")


def reason(data: bytes) -> R:
    with pytest.raises(WasmRejection) as info:
        validate(data)
    return info.value.reason


def test_minimal_module_is_accepted() -> None:
    checked = validate(module(MEM, CALL))
    assert not checked.has_init and checked.start is None
    assert [b.frame_cost for b in checked.bodies] == [limits.FRAME_BASE]


def test_accepts_what_an_assemblyscript_contract_uses() -> None:
    text = f"""
      (import "rootstate" "input_len" (func $len (result i32)))
      (import "rootstate" "storage_get" (func $get (param i32 i32 i32) (result i32)))
      {MEM} (table 2 funcref) (elem (i32.const 0) $a $b)
      (global $g (mut i32) (i32.const 1024)) (global i64 (i64.const -1))
      (type $v (func))
      (func $a) (func $b (param i32) (result i32) local.get 0 i32.extend8_s)
      (func $s) (start $s)
      (func (export "call") (local i64)
        call $len drop i32.const 1 call_indirect (type $v)
        i32.const 0 i32.const 0 i32.const 0 call $get i64.extend_i32_u local.set 0
        i32.const 1 memory.grow drop)
      (func (export "init"))
      (data (i32.const 8) "rootstate")"""
    checked = validate(module(text))
    assert checked.has_init and checked.start == 4 and checked.imported_functions == 2


CASES: list[tuple[str, bytes, R]] = [
    (
        "too large",
        b"\x00asm\x01\x00\x00\x00" + b"\x00" * limits.MAX_MODULE_BYTES,
        R.MODULE_TOO_LARGE,
    ),
    ("bad magic", b"\x00asn\x01\x00\x00\x00", R.BAD_HEADER),
    ("version 2", b"\x00asm\x02\x00\x00\x00", R.BAD_HEADER),
    ("truncated section", b"\x00asm\x01\x00\x00\x00\x01\x05\x00", R.MALFORMED),
    ("overlong leb", b"\x00asm\x01\x00\x00\x00\x01\x80\x80\x80\x80\x80\x00", R.MALFORMED),
    ("data count section", b"\x00asm\x01\x00\x00\x00\x0c\x01\x00", R.UNSUPPORTED_SECTION),
    ("sections out of order", module(MEM, CALL)[:8] + b"\x03\x01\x00\x01\x01\x00", R.MALFORMED),
    ("f32 param", module(MEM, CALL, "(func (param f32))"), R.FLOAT_TYPE),
    ("f64 local", module(MEM, CALL, "(func (local f64))"), R.FLOAT_TYPE),
    ("f64 global", module(MEM, CALL, "(global f64 (f64.const 0))"), R.FLOAT_TYPE),
    ("v128 type", module(MEM, CALL, "(func (param v128))"), R.UNSUPPORTED_TYPE),
    ("externref", module(MEM, CALL, "(func (param externref))"), R.UNSUPPORTED_TYPE),
    (
        "two results",
        module(MEM, CALL, "(func (result i32 i32) i32.const 0 i32.const 0)"),
        R.MULTI_VALUE,
    ),
    (
        "float op",
        module(MEM, CALL, "(func (result i32) f32.const 1 i32.trunc_f32_s)"),
        R.FLOAT_INSTRUCTION,
    ),
    (
        "saturating trunc",
        module(MEM, CALL, "(func (result i32) i32.const 0 f32.convert_i32_s i32.trunc_sat_f32_s)"),
        R.FLOAT_INSTRUCTION,
    ),
    (
        "simd op",
        module(MEM, CALL, "(func i32.const 0 i8x16.splat drop)"),
        R.UNSUPPORTED_INSTRUCTION,
    ),
    (
        "memory.fill",
        module(MEM, CALL, "(func i32.const 0 i32.const 0 i32.const 0 memory.fill)"),
        R.UNSUPPORTED_INSTRUCTION,
    ),
    ("atomic", module('(memory (export "memory") 1 1 shared)', CALL), R.MEMORY),
    ("ref.null", module(MEM, CALL, "(func ref.null func drop)"), R.UNSUPPORTED_INSTRUCTION),
    ("tail call", module(MEM, CALL, "(func $f return_call $f)"), R.UNSUPPORTED_INSTRUCTION),
    (
        "import from env",
        module('(import "env" "abort" (func (param i32 i32 i32 i32)))', MEM, CALL),
        R.IMPORT_NOT_ALLOWED,
    ),
    (
        "unknown host name",
        module('(import "rootstate" "nope" (func))', MEM, CALL),
        R.IMPORT_NOT_ALLOWED,
    ),
    ("imported memory", module('(import "rootstate" "m" (memory 1))', CALL), R.IMPORT_NOT_ALLOWED),
    (
        "wrong signature",
        module('(import "rootstate" "abort" (func (param i64)))', MEM, CALL),
        R.IMPORT_SIGNATURE,
    ),
    ("no memory", module(CALL), R.MEMORY),
    ("two memories", module(MEM, "(memory 1)", CALL), R.MEMORY),
    (
        "memory over the page limit",
        module(f'(memory (export "memory") {limits.MAX_MEMORY_PAGES + 1})', CALL),
        R.MEMORY,
    ),
    ("two tables", module(MEM, CALL, "(table 1 funcref) (table 1 funcref)"), R.TABLE),
    ("huge table", module(MEM, CALL, f"(table {limits.MAX_TABLE_ELEMENTS + 1} funcref)"), R.TABLE),
    ("global from non-constant", module(MEM, CALL, "(global i32 (i64.const 0))"), R.GLOBAL),
    ("memory not exported", module("(memory 1)", CALL), R.EXPORT),
    ("no call export", module(MEM), R.EXPORT),
    ("extra export", module(MEM, CALL, '(func (export "other"))'), R.EXPORT),
    ("call with a parameter", module(MEM, '(func (export "call") (param i32))'), R.ENTRY_TYPE),
    (
        "init with a result",
        module(MEM, CALL, '(func (export "init") (result i32) i32.const 0)'),
        R.ENTRY_TYPE,
    ),
    ("start with a parameter", module(MEM, CALL, "(func $s (param i32)) (start $s)"), R.START),
    (
        "start on an import",
        module('(import "rootstate" "tx_id" (func $t (param i32)))', MEM, CALL, "(start $t)"),
        R.START,
    ),
    ("data past the memory", module(MEM, CALL, '(data (i32.const 65535) "ab")'), R.DATA_SEGMENT),
    ("passive data", module(MEM, CALL, '(data "ab")'), R.DATA_SEGMENT),
    (
        "element past the table",
        module(MEM, CALL, "(table 1 funcref) (func $f) (elem (i32.const 1) $f)"),
        R.ELEMENT_SEGMENT,
    ),
    ("stack mismatch", module(MEM, CALL, "(func (result i32) i64.const 0)"), R.INVALID_CODE),
    ("bad local index", module(MEM, CALL, "(func local.get 0 drop)"), R.INVALID_CODE),
    (
        "set immutable global",
        module(MEM, CALL, "(global i32 (i32.const 0)) (func i32.const 1 global.set 0)"),
        R.INVALID_CODE,
    ),
    (
        "over-aligned load",
        module(MEM, CALL, "(func (result i32) i32.const 0 i32.load align=8)"),
        R.INVALID_CODE,
    ),
    (
        "too many locals",
        module(MEM, CALL, f"(func (local {' i32' * (limits.MAX_LOCALS + 1)}))"),
        R.TOO_MANY_LOCALS,
    ),
    (
        "too many params",
        module(MEM, CALL, f"(func (param {' i32' * (limits.MAX_PARAMS + 1)}))"),
        R.TOO_MANY_PARAMS,
    ),
    (
        "too many globals",
        module(MEM, CALL, "(global i32 (i32.const 0))" * (limits.MAX_GLOBALS + 1)),
        R.TOO_MANY_GLOBALS,
    ),
    (
        "too many functions",
        module(MEM, CALL, "(func)" * limits.MAX_FUNCTIONS),
        R.TOO_MANY_FUNCTIONS,
    ),
    (
        "too high a stack",
        module(MEM, CALL, "(func " + "i32.const 0 " * (limits.MAX_STACK_HEIGHT + 1) + "return)"),
        R.STACK_TOO_HIGH,
    ),
    (
        "too deep nesting",
        module(
            MEM,
            CALL,
            "(func "
            + "block " * (limits.MAX_NESTING + 1)
            + "end " * (limits.MAX_NESTING + 1)
            + ")",
        ),
        R.NESTING_TOO_DEEP,
    ),
    (
        "too many data segments",
        module(MEM, CALL, '(data (i32.const 0) "")' * (limits.MAX_DATA_SEGMENTS + 1)),
        R.TOO_MANY_DATA_SEGMENTS,
    ),
    (
        "too many element segments",
        module(
            MEM,
            CALL,
            "(table 1 funcref) (func $f)"
            + "(elem (i32.const 0) $f)" * (limits.MAX_ELEMENT_SEGMENTS + 1),
        ),
        R.TOO_MANY_ELEMENTS,
    ),
    (
        "body too large",
        module(MEM, CALL, "(func " + "nop " * limits.MAX_BODY_BYTES + ")"),
        R.BODY_TOO_LARGE,
    ),
    (
        "too many types",
        module(MEM, CALL, "(type (func))" * (limits.MAX_TYPES + 1)),
        R.TOO_MANY_TYPES,
    ),
    ("missing type", b"\x00asm\x01\x00\x00\x00\x01\x01\x00\x03\x02\x01\x00", R.INVALID_INDEX),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rejection_reasons(data: bytes, expected: R) -> None:
    assert reason(data) == expected


def test_every_reason_is_exercised() -> None:
    covered = {c[2] for c in CASES}
    assert covered == set(R)


def test_first_failing_check_wins() -> None:
    # A float type (type section) comes before the missing memory (checked at the end).
    assert reason(module(CALL, "(func (param f32))")) == R.FLOAT_TYPE


@pytest.mark.parametrize(
    ("raw", "bits", "value"),
    [
        (b"\x00", 32, 0),
        (b"\x7f", 32, -1),
        (b"\x80\x7f", 32, -128),
        (b"\xff\xff\xff\xff\x07", 32, 2**31 - 1),
        (b"\x80\x80\x80\x80\x78", 32, -(2**31)),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 64, 2**63 - 1),
        (b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 64, -(2**63)),
    ],
)
def test_signed_leb(raw: bytes, bits: int, value: int) -> None:
    assert Reader(raw).signed(bits) == value


@pytest.mark.parametrize(
    ("raw", "bits"),
    [(b"\xff\xff\xff\xff\x0f", 32), (b"\x80\x80\x80\x80\x70", 32), (b"\xff" * 10 + b"\x00", 64)],
)
def test_signed_leb_out_of_range(raw: bytes, bits: int) -> None:
    with pytest.raises(WasmRejection):
        Reader(raw).signed(bits)


def test_unsigned_leb_bounds() -> None:
    assert Reader(b"\xff\xff\xff\xff\x0f").u32() == 2**32 - 1
    assert Reader(b"\x80\x00").u32() == 0  # non-minimal encodings are valid WebAssembly
    with pytest.raises(WasmRejection):
        Reader(b"\xff\xff\xff\xff\x1f").u32()
