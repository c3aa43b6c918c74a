"""WasmtimeEngine behaviour (spec §15.8-§15.9) on both back ends."""

from __future__ import annotations

import hashlib
import threading

import pytest

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import EngineFault, WasmtimeEngine
from protocol.wasm import limits
from protocol.wasm.engine import (
    ExecutionResult,
    HostCaller,
    HostImport,
    HostTrap,
    TrapKind,
    ValType,
)
from protocol.wasm.instrument import prepare
from tests.engine.conftest import engine_for, run, wasm

I32, I64 = ValType.I32, ValType.I64
MEM = '(memory (export "memory") 1)'
EMIT = '(import "rootstate" "emit" (func $emit (param i32 i32)))'


def recorder(seen: list[bytes]) -> dict[str, HostImport]:
    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        seen.append(caller.read(ptr, length))

    return {"emit": HostImport("emit", (I32, I32), (), emit)}


@pytest.mark.parametrize(
    ("body", "trap"),
    [
        ("unreachable", TrapKind.UNREACHABLE),
        ("i32.const 1 i32.const 0 i32.div_u drop", TrapKind.INTEGER_DIVIDE_BY_ZERO),
        ("i64.const 1 i64.const 0 i64.rem_s drop", TrapKind.INTEGER_DIVIDE_BY_ZERO),
        ("i32.const 0x80000000 i32.const -1 i32.div_s drop", TrapKind.INTEGER_OVERFLOW),
        ("i32.const 65533 i32.load drop", TrapKind.MEMORY_OUT_OF_BOUNDS),
        ("i32.const -1 i32.const 0 i32.store8", TrapKind.MEMORY_OUT_OF_BOUNDS),
        ("i32.const 5 i32.const 0 call_indirect (type $i)", TrapKind.INDIRECT_CALL_TYPE),
        ("i32.const 2 call_indirect (type $v)", TrapKind.TABLE_OUT_OF_BOUNDS),
        ("i32.const 1 call_indirect (type $v)", TrapKind.UNINITIALIZED_ELEMENT),
    ],
)
def test_trap_kinds(engine: WasmtimeEngine, body: str, trap: TrapKind) -> None:
    text = f"""(module {MEM} (type $v (func)) (type $i (func (param i32)))
      (table 2 funcref) (elem (i32.const 0) $f) (func $f)
      (func (export "call") {body}))"""
    result = run(engine, text, fuel=1_000)
    assert result == ExecutionResult(1_000, trap, None)


def test_memory_grow_stops_at_the_page_limit(engine: WasmtimeEngine) -> None:
    seen: list[bytes] = []
    text = f"""(module {EMIT} (memory (export "memory") 1)
      (func (export "call")
        i32.const 0 i32.const {limits.MAX_MEMORY_PAGES} memory.grow i32.store
        i32.const 4 i32.const {limits.MAX_MEMORY_PAGES - 1} memory.grow i32.store
        i32.const 8 i32.const 1 memory.grow i32.store
        i32.const 12 memory.size i32.store
        i32.const 0 i32.const 16 call $emit))"""
    assert run(engine, text, imports=recorder(seen)).trap is None
    as_ints = [int.from_bytes(seen[0][i : i + 4], "little", signed=True) for i in range(0, 16, 4)]
    assert as_ints == [-1, 1, -1, limits.MAX_MEMORY_PAGES]


def test_host_trap_propagates_as_is(engine: WasmtimeEngine) -> None:
    raised = HostTrap(99, "storage value too large")

    def abort(caller: HostCaller, code: int) -> None:
        raise raised

    text = f"""(module (import "rootstate" "abort" (func $a (param i32))) {MEM}
      (func (export "call") i32.const 7 call $a))"""
    result = run(engine, text, imports={"abort": HostImport("abort", (I32,), (), abort)})
    assert result.trap == TrapKind.HOST and result.host_trap is raised


def test_host_memory_access(engine: WasmtimeEngine) -> None:
    def sha256(caller: HostCaller, ptr: int, length: int, out: int) -> None:
        caller.write(out, hashlib.sha256(caller.read(ptr, length)).digest())

    seen: list[bytes] = []
    imports = recorder(seen) | {"sha256": HostImport("sha256", (I32, I32, I32), (), sha256)}
    text = f"""(module {EMIT} (import "rootstate" "sha256" (func $h (param i32 i32 i32))) {MEM}
      (data (i32.const 0) "abc")
      (func (export "call") i32.const 0 i32.const 3 i32.const 64 call $h
        i32.const 64 i32.const 32 call $emit))"""
    assert run(engine, text, imports=imports).trap is None
    assert seen == [hashlib.sha256(b"abc").digest()]


@pytest.mark.parametrize(("ptr", "length"), [(65_535, 2), (-1, 1), (0, 65_537)])
def test_host_access_outside_memory_traps(engine: WasmtimeEngine, ptr: int, length: int) -> None:
    text = f"""(module {EMIT} {MEM}
      (func (export "call") i32.const {ptr} i32.const {length} call $emit))"""
    result = run(engine, text, fuel=500, imports=recorder([]))
    assert result == ExecutionResult(500, TrapKind.MEMORY_OUT_OF_BOUNDS, None)


def _height(caller: HostCaller) -> int:
    return 2**64 - 2


def _input_len(caller: HostCaller) -> int:
    return 2**32 + 5


def test_results_wrap_to_their_type(engine: WasmtimeEngine) -> None:
    seen: list[bytes] = []
    imports = recorder(seen) | {
        "block_height": HostImport("block_height", (), (I64,), _height),
        "input_len": HostImport("input_len", (), (I32,), _input_len),
    }
    text = f"""(module {EMIT} (import "rootstate" "block_height" (func $bh (result i64)))
      (import "rootstate" "input_len" (func $il (result i32))) {MEM}
      (func (export "call") i32.const 0 call $bh i64.store i32.const 8 call $il i32.store
        i32.const 0 i32.const 12 call $emit))"""
    assert run(engine, text, imports=imports).trap is None
    assert seen == [(2**64 - 2).to_bytes(8, "little") + (5).to_bytes(4, "little")]


#: Start adds 10 to a global, call emits global + 1: 11 in a fresh instance, every time.
START_THEN_CALL = f"""(module {EMIT} {MEM} (global $g (mut i32) (i32.const 0))
  (func $s global.get $g i32.const 10 i32.add global.set $g) (start $s)
  (func (export "call") i32.const 0 global.get $g i32.const 1 i32.add i32.store
    i32.const 0 i32.const 4 call $emit))"""


def test_fresh_instance_per_execution_and_start_runs_first(engine: WasmtimeEngine) -> None:
    seen: list[bytes] = []
    text = START_THEN_CALL
    first = run(engine, text, imports=recorder(seen))
    second = run(engine, text, imports=recorder(seen))
    assert seen == [(11).to_bytes(4, "little")] * 2
    # start: entry 4 + global.get, i32.const, i32.add, global.set; call: entry 4 +
    # i32.const, global.get, i32.const, i32.add, i32.store, i32.const, i32.const, call (2).
    assert first.fuel_used == second.fuel_used == (4 + 4) + (4 + 9)


def test_run_executes_on_the_worker_with_the_same_results(engine: WasmtimeEngine) -> None:
    seen: list[bytes] = []
    text = START_THEN_CALL
    threads: list[int] = []

    def block() -> list[ExecutionResult]:
        threads.append(threading.get_ident())
        return [run(engine, text, imports=recorder(seen)) for _ in range(3)]

    inside = engine.run(block)
    outside = run(engine, text, imports=recorder(seen))
    assert threads and threads[0] != threading.get_ident()  # not the caller's thread
    assert inside == [outside] * 3
    assert outside == ExecutionResult((4 + 4) + (4 + 9), None, None)
    assert seen == [(11).to_bytes(4, "little")] * 4


def test_nested_execution_from_a_host_function(engine: WasmtimeEngine) -> None:
    inner = wasm(f'(module {MEM} (func (export "call") loop br 0 end))')
    inner_hash = hashlib.sha256(inner).digest()
    results: list[ExecutionResult] = []

    def call_contract(caller: HostCaller, *args: int) -> int:
        result = engine.execute(inner_hash, prepare(inner), "call", {}, 100)
        results.append(result)
        caller.charge(result.fuel_used)
        return 0

    sig = (I32, I32, I32, I32, I32, I64)
    imports = {"call_contract": HostImport("call_contract", sig, (I32,), call_contract)}
    text = f"""(module (import "rootstate" "call_contract"
        (func $cc (param i32 i32 i32 i32 i32 i64) (result i32))) {MEM}
      (func (export "call") i32.const 0 i32.const 0 i32.const 0 i32.const 0 i32.const 0
        i64.const 100 call $cc drop))"""
    outer = run(engine, text, imports=imports)
    assert results == [ExecutionResult(100, TrapKind.OUT_OF_FUEL, None)]
    # entry 4 + five i32.const + i64.const + call (2); drop is free.
    assert outer == ExecutionResult(4 + 8 + 100, None, None)


def test_nesting_beyond_the_configuration_is_an_engine_fault() -> None:
    shallow = WasmtimeEngine(WasmtimeConfig(max_nesting=1))
    code = wasm(f"""(module (import "rootstate" "abort" (func $a (param i32))) {MEM}
      (func (export "call") i32.const 0 call $a))""")
    key = hashlib.sha256(code).digest()

    def abort(caller: HostCaller, value: int) -> None:
        shallow.execute(key, prepare(code), "call", imports, 100)

    imports = {"abort": HostImport("abort", (I32,), (), abort)}
    with pytest.raises(EngineFault, match="nested"):
        shallow.execute(key, prepare(code), "call", imports, 100)


def test_cache_is_bounded_and_thunks_run_only_on_a_miss() -> None:
    small = WasmtimeEngine(WasmtimeConfig(cache_size=2))
    built: list[int] = []
    hashes = []
    for n in range(3):
        code = wasm(f'(module {MEM} (func (export "call") i32.const {n} drop))')
        hashes.append(hashlib.sha256(code).digest())

        def thunk(code: bytes = code, n: int = n) -> bytes:
            built.append(n)
            return prepare(code)

        assert small.execute(hashes[-1], thunk, "call", {}, 100).trap is None
        assert small.execute(hashes[-1], thunk, "call", {}, 100).trap is None
    assert built == [0, 1, 2]
    assert small.serialize(hashes[0]) is None  # evicted, least recently used
    assert small.serialize(hashes[2]) is not None


def test_serialized_module_runs_in_a_new_engine(engine: WasmtimeEngine) -> None:
    code = wasm(f'(module {MEM} (func (export "call") i32.const 1 drop))')
    key = hashlib.sha256(code).digest()
    assert engine.execute(key, prepare(code), "call", {}, 100).fuel_used == 5
    artefact = engine.serialize(key)
    assert artefact is not None
    fresh = WasmtimeEngine(engine.config)
    assert fresh.cache_key(key) == engine.cache_key(key)
    fresh.deserialize(key, artefact)

    def never() -> bytes:
        raise AssertionError("compiled again")

    assert fresh.execute(key, never, "call", {}, 100).fuel_used == 5


def test_fingerprints_differ_between_back_ends() -> None:
    assert engine_for("cranelift").fingerprint != engine_for("pulley").fingerprint


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="backend"):
        WasmtimeConfig(backend="llvm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_wasm_stack"):
        WasmtimeConfig(max_wasm_stack=4 << 20)
    with pytest.raises(ValueError, match="native_stack_bytes"):
        WasmtimeConfig(max_nesting=1_000)
