"""Differential test: the interpreter (tests/interp) and wasmtime (cranelift) give the same
outcome, fuel and host calls on generated valid modules and on mutations of the fuzz seeds.

Where an execution succeeds it is run again with its exact fuel and one unit less, which
puts a charge of spec §15.7.3 right at the limit: the two engines must agree there too.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.wasm.engine import ExecutionResult, HostCaller, HostImport, ValType
from protocol.wasm.instrument import instrument
from protocol.wasm.reasons import WasmRejection
from protocol.wasm.validate import validate
from tests.engine.conftest import engine_for, wasm
from tests.engine.test_fuzz import SEEDS, mutated
from tests.engine.test_generated import generate
from tests.interp.engine import InterpEngine

INTERP = InterpEngine()
HostLog = list[tuple[bytes, int]]


def _imports(log: HostLog) -> dict[str, HostImport]:
    """An `emit` that records what it read and the fuel it saw, then charges per byte."""

    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        log.append((caller.read(ptr, length), caller.fuel_left()))
        caller.charge(length)

    return {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}


def _both(key: bytes, code: bytes, export: str, fuel: int) -> ExecutionResult:
    outcomes = []
    for engine in (engine_for("cranelift"), INTERP):
        log: HostLog = []
        outcomes.append((engine.execute(key, code, export, _imports(log), fuel), log))
    assert outcomes[0] == outcomes[1], f"{export} with fuel {fuel}"
    return outcomes[0][0]


def agree(data: bytes, fuel: int) -> None:
    """Both engines agree on every entry export of ``data``, if the validator accepts it."""
    try:
        module = validate(data)
    except WasmRejection:
        return
    code = instrument(module)
    key = hashlib.sha256(data).digest()
    for export in ("call", "init") if module.has_init else ("call",):
        result = _both(key, code, export, fuel)
        if result.ok:
            _both(key, code, export, result.fuel_used)
            if result.fuel_used:
                _both(key, code, export, result.fuel_used - 1)


def test_seeds_agree_at_every_fuel_limit() -> None:
    # Every limit from 0 to what a success needs: each segment charge of §15.7.3 and each
    # host charge meets the limit exactly once.
    for seed in SEEDS:
        module = validate(seed)
        code = instrument(module)
        key = hashlib.sha256(seed).digest()
        for export in ("call", "init") if module.has_init else ("call",):
            needed = _both(key, code, export, 50_000).fuel_used
            for fuel in range(needed + 2):
                _both(key, code, export, fuel)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32))
def test_generated_modules_agree(seed: int) -> None:
    agree(generate(seed), 20_000)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(range(len(SEEDS))),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
    st.sampled_from(["replace", "insert", "delete"]),
)
def test_mutated_seeds_agree(seed: int, edits: list[tuple[int, int]], kind: str) -> None:
    agree(mutated(seed, edits, kind), 50_000)


class Shape(NamedTuple):
    slot: int
    loops: int
    pages: int
    divisor: int
    ptr: int
    length: int


def _template(shape: Shape) -> str:
    """Every instruction class the generated modules leave out: globals, br_table with a
    value, if/else with a result, call_indirect (slots 0, 1 and 4 fine, 2 empty, 3 a host
    function of another type, 5+ outside the table), a host call whose pointer may be
    outside memory, memory.grow and, when the grow succeeds, a division by ``divisor``."""
    slot, loops, pages, divisor, ptr, length = shape
    return f"""(module {_EMIT} (memory (export "memory") 1 3)
      (type $ii (func (param i32) (result i32))) (type $emit (func (param i32 i32)))
      (table 5 funcref) (elem (i32.const 0) $double $inc) (elem (i32.const 3) $emit $inc)
      (global $sum (mut i64) (i64.const -5))
      (func $double (param i32) (result i32) local.get 0 i32.const 1 i32.shl)
      (func $inc (param i32) (result i32) local.get 0 i32.const 1 i32.add)
      (func $pick (param i32) (result i64)
        block (result i64) block (result i64) i64.const 7 local.get 0 br_table 0 1 end
        i64.const 3 i64.mul end)
      (func (export "call") (local i32)
        loop
          global.get $sum local.get 0 call $pick i64.add global.set $sum
          local.get 0 i32.const 1 i32.add local.tee 0 i32.const {loops} i32.lt_u br_if 0
        end
        i32.const 8 global.get $sum i64.store
        i32.const 16 i32.const 1000
        i32.const {pages} memory.grow i32.const 0 i32.lt_s
        if (result i32) i32.const 100 else i32.const {divisor} end
        i32.div_u i32.store
        i32.const 0 i32.const 20 call $emit
        i32.const 24 i32.const 21 i32.const {slot} call_indirect (type $ii) i32.store
        i32.const {ptr} i32.const {length} call $emit
        i32.const 0 i32.const 28 call $emit))"""


_EMIT = '(import "rootstate" "emit" (func $emit (param i32 i32)))'


SHAPES = st.builds(
    Shape,
    st.integers(0, 6),
    st.integers(0, 40),
    st.sampled_from([0, 1, 2, 3, 0xFFFF_FFFF]),
    st.sampled_from([0, 1, 7]),
    st.sampled_from([0, 65_530, 65_536, 0xFFFF_FFFF]),
    st.integers(0, 9),
)


@settings(max_examples=120, deadline=None)
@given(SHAPES, st.integers(0, 3_000))
def test_templates_agree(shape: Shape, fuel: int) -> None:
    data = wasm(_template(shape))
    code = instrument(validate(data))
    key = hashlib.sha256(data).digest()
    result = _both(key, code, "call", 50_000)
    _both(key, code, "call", fuel)
    if result.ok:
        _both(key, code, "call", result.fuel_used - 1)
