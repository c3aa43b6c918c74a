"""The interpreter's own cases (tests/interp): integer semantics at their edges, call_indirect,
br_table, memory limits and the stack counter, each against values worked out by hand from
the WebAssembly specification (the shared engine tests are in test_interp_shared.py)."""

from __future__ import annotations

import hashlib
import struct

import pytest

from protocol.wasm import limits
from protocol.wasm.engine import ExecutionResult, HostCaller, HostImport, TrapKind, ValType
from protocol.wasm.instrument import prepare
from tests.engine.conftest import run, wasm
from tests.interp.engine import FUEL_EXPORT, STACK_EXPORT, InterpEngine
from tests.interp.execute import Instance

ENGINE = InterpEngine()
I32, I64 = ValType.I32, ValType.I64
EMIT = '(import "rootstate" "emit" (func $emit (param i32 i32)))'


def _emitted(body: str, memory: str = '(memory (export "memory") 1)', extra: str = "") -> bytes:
    """What `call` emits: ``body`` leaves i64 values stored at 0, 8, ...; then 64 bytes."""
    seen: list[bytes] = []

    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        seen.append(caller.read(ptr, length))

    imports = {"emit": HostImport("emit", (I32, I32), (), emit)}
    text = f"""(module {EMIT} {memory} {extra}
      (func (export "call") {body} i32.const 0 i32.const 64 call $emit))"""
    result = run(ENGINE, text, imports=imports)
    assert result.trap is None, result
    return seen[0]


def _i64s(data: bytes, count: int) -> list[int]:
    return list(struct.unpack_from(f"<{count}q", data))


def test_signed_arithmetic_edges() -> None:
    ops = [
        "i64.const -7 i64.const 2 i64.div_s",  # truncates toward zero: -3
        "i64.const -7 i64.const 2 i64.rem_s",  # the dividend's sign: -1
        "i64.const 7 i64.const -2 i64.rem_s",  # 1
        "i64.const 0x8000000000000000 i64.const -1 i64.rem_s",  # no trap: 0
        "i32.const 0x80000000 i32.const -1 i32.rem_s i64.extend_i32_s",  # 0
        "i32.const -8 i32.const 1 i32.shr_s i64.extend_i32_s",  # -4
        "i32.const -8 i32.const 33 i32.shr_u i64.extend_i32_u",  # count mod 32: 0x7ffffffc
        "i64.const 0x8000000000000001 i64.const 1 i64.rotl",  # 3
    ]
    body = "".join(f"i32.const {8 * i} {op} i64.store " for i, op in enumerate(ops))
    assert _i64s(_emitted(body), 8) == [-3, -1, 1, 0, 0, -4, 0x7FFF_FFFC, 3]


def test_bit_counts_and_sign_extension() -> None:
    ops = [
        "i32.const 0 i32.clz i64.extend_i32_u",  # 32
        "i64.const 0 i64.ctz",  # 64
        "i64.const 0x00f0 i64.popcnt",  # 4
        "i32.const 0x80 i32.extend8_s i64.extend_i32_s",  # -128
        "i64.const 0xffff8000 i64.extend16_s",  # -32768
        "i64.const 0x80000000 i64.extend32_s",  # -2^31
        "i64.const -1 i32.wrap_i64 i64.extend_i32_u",  # 0xffffffff
        "i32.const -1 i32.const 1 i32.lt_s i64.extend_i32_u",  # 1: signed order
    ]
    body = "".join(f"i32.const {8 * i} {op} i64.store " for i, op in enumerate(ops))
    assert _i64s(_emitted(body), 8) == [32, 64, 4, -128, -32768, -(2**31), 0xFFFF_FFFF, 1]


def test_narrow_loads_and_stores() -> None:
    body = """i32.const 0 i64.const -1 i64.store
      i32.const 8 i32.const 0 i64.load8_s i64.store
      i32.const 16 i32.const 0 i64.load16_u i64.store
      i32.const 24 i32.const 0x1234_5678 i32.store16
      i32.const 32 i32.const 24 i64.load32_u i64.store"""
    assert _i64s(_emitted(body), 5) == [-1, -1, 0xFFFF, 0x5678, 0x5678]


def test_br_table_carries_its_value_and_takes_the_default() -> None:
    pick = """(func $pick (param i32) (result i64)
      block (result i64) block (result i64) i64.const 10 local.get 0 br_table 0 1 1 end
      i64.const 1 i64.add end)"""
    body = "".join(
        f"i32.const {8 * i} i32.const {n} call $pick i64.store " for i, n in enumerate([0, 1, 7])
    )
    assert _i64s(_emitted(body, extra=pick), 3) == [11, 10, 10]


def test_a_loop_with_a_result_leaves_it_for_a_later_branch_to_cut() -> None:
    # The loop's label carries nothing, but its end leaves its i32: the br_if out of the
    # block must drop that 9, so 42 is stored at 0 (found by test_generated's seed 14271).
    body = """i32.const 0 block loop (result i32) i32.const 9 end i32.const 1 br_if 0
      unreachable end i64.const 42 i64.store"""
    assert _i64s(_emitted(body), 1) == [42]


def test_call_indirect_reaches_a_host_function_and_compares_types_structurally() -> None:
    # Types 0 and 1 are the same signature declared twice: equal in Wasm 1.0 (§3.2.8).
    table = """(type $a (func (param i32 i32))) (type $b (func (param i32 i32)))
      (table 2 funcref) (elem (i32.const 1) $emit)"""
    body = """i32.const 0 i32.const 3 i32.const 1 call_indirect (type $a)
      i32.const 0 i32.const 1 i32.const 1 call_indirect (type $b)"""
    seen: list[bytes] = []

    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        seen.append(caller.read(ptr, length))

    text = f"""(module {EMIT} (memory (export "memory") 1) {table}
      (data (i32.const 0) "abc") (func (export "call") {body}))"""
    result = run(ENGINE, text, imports={"emit": HostImport("emit", (I32, I32), (), emit)})
    assert result.trap is None
    assert seen == [b"abc", b"a"]


def test_memory_grow_respects_the_declared_maximum() -> None:
    body = """i32.const 0 i32.const 1 memory.grow i64.extend_i32_s i64.store
      i32.const 8 i32.const 1 memory.grow i64.extend_i32_s i64.store
      i32.const 16 memory.size i64.extend_i32_u i64.store
      i32.const 24 i32.const 0 memory.grow i64.extend_i32_s i64.store"""
    emitted = _emitted(body, memory='(memory (export "memory") 1 2)')
    assert _i64s(emitted, 4) == [1, -1, 2, 2]


def test_memory_grow_makes_new_pages_addressable() -> None:
    text = """(module (memory (export "memory") 1) (func (export "call")
      i32.const 1 memory.grow drop i32.const 131071 i32.load8_u drop
      i32.const 131072 i32.load8_u drop))"""
    assert run(ENGINE, text, fuel=1_000) == ExecutionResult(1_000, TrapKind.MEMORY_OUT_OF_BOUNDS)


def _instance(text: str) -> tuple[Instance, dict[str, int]]:
    """A fresh instance of ``text`` and its exports' indices."""
    code = wasm(text)
    loaded = ENGINE.loaded(hashlib.sha256(code).digest(), prepare(code))
    exports = {name: index for name, (_, index) in loaded.module.exports.items()}
    instance = Instance(loaded.module, loaded.functions, {}, exports[FUEL_EXPORT])
    instance.globals[instance.fuel] = 10_000_000
    return instance, exports


def test_stack_counter_is_released_on_return_and_wraps_on_exhaustion() -> None:
    text = """(module (memory (export "memory") 1)
      (func $f (param i32) local.get 0 if local.get 0 i32.const 1 i32.sub call $f end)
      (func (export "call") i32.const 3 call $f)
      (func (export "init") call $t) (func $t call $t))"""
    instance, exports = _instance(text)
    counter = exports[STACK_EXPORT]
    assert instance.globals[counter] == limits.STACK_BUDGET
    instance.call(exports["call"])  # four frames of $f, then every frame's cost given back
    assert instance.globals[counter] == limits.STACK_BUDGET
    deep, _ = _instance(text)
    with pytest.raises(Exception, match="unreachable"):
        deep.call(exports["init"])
    # init and each $t cost 8: 65,536 - 8 - 8 * 8,191 = 0 is still within the budget; the
    # next frame wraps the counter to 2^32 - 8, and its check executes `unreachable`.
    assert deep.globals[counter] == 2**32 - 8


def test_a_host_bug_surfaces_as_itself() -> None:
    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        struct.unpack("<I", b"")  # a host bug that looks like a memory fault inside the loop

    text = f"""(module {EMIT} (memory (export "memory") 1)
      (func (export "call") i32.const 0 i32.const 0 call $emit))"""
    with pytest.raises(struct.error):
        run(ENGINE, text, imports={"emit": HostImport("emit", (I32, I32), (), emit)})


def _ignore(caller: HostCaller, *args: int) -> None:
    return None


def test_missing_export_and_wrong_import_are_caller_errors() -> None:
    text = f'(module {EMIT} (memory (export "memory") 1) (func (export "call")))'
    with pytest.raises(ValueError, match="no host function"):
        run(ENGINE, text, imports={"emit": HostImport("emit", (I32,), (), _ignore)})
    emit = {"emit": HostImport("emit", (I32, I32), (), _ignore)}
    with pytest.raises(ValueError, match="exports no function"):
        run(ENGINE, text, export="init", imports=emit)
