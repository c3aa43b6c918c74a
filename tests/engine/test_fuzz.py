"""Fuzz (issue 8 §5): arbitrary bytes and mutations of valid modules never raise out of
the validator, and whatever it accepts compiles in wasmtime and runs without an engine
fault, with identical results on both back ends."""

from __future__ import annotations

import hashlib

import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import BACKENDS
from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm.engine import HostCaller, HostImport, ValType
from protocol.wasm.instrument import instrument
from protocol.wasm.reasons import WasmRejection
from protocol.wasm.validate import validate
from tests.engine.conftest import engine_for, wasm

SEEDS = [
    wasm(
        """(module (import "rootstate" "emit" (func $emit (param i32 i32)))
      (memory (export "memory") 1 2) (table 2 funcref) (elem (i32.const 0) $f $g)
      (global $n (mut i32) (i32.const 3)) (global i64 (i64.const -7))
      (type $v (func)) (func $f) (func $g (param i32) (result i32) local.get 0 i32.extend8_s)
      (func $r (param i64) (result i64) (local i32)
        local.get 0 i64.eqz if (result i64) i64.const 1 return else
        local.get 0 i64.const 1 i64.sub call $r local.get 0 i64.mul end)
      (func (export "call") (local i32 i64)
        block loop local.get 0 i32.const 1 i32.add local.tee 0 i32.const 9 i32.lt_u br_if 0 end end
        i64.const 12 call $r local.set 1
        i32.const 16 local.get 1 i64.store
        i32.const 0 call_indirect (type $v)
        i32.const 1 memory.grow drop
        global.get $n i32.const 2 i32.rem_u br_table 0 0
        i32.const 16 i32.const 8 call $emit)
      (func (export "init") i32.const 100 i32.load8_s drop)
      (data (i32.const 100) "\\80seed"))"""
    ),
    wasm(
        """(module (memory (export "memory") 1)
      (func $t (param i32) (result i32) local.get 0 i32.const 1 i32.shl)
      (func (export "call") i32.const 0 i32.const 1 i32.div_s drop
        i32.const 5 call $t i32.const 40 call $t i32.const 1 select drop))"""
    ),
]


def _imports() -> dict[str, HostImport]:
    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        caller.read(ptr, length)
        caller.charge(length)

    return {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}


def _check(data: bytes) -> None:
    try:
        module = validate(data)
    except WasmRejection:
        return
    code = instrument(module)
    # wasmtime must accept both what we accepted and what we run (raises otherwise).
    wasmtime.Module.validate(engine_for("cranelift").engine, data)
    key = hashlib.sha256(data).digest()
    outcomes = []
    for backend in BACKENDS:
        engine: WasmtimeEngine = engine_for(backend)
        per_export = []
        for export in ("call", "init") if module.has_init else ("call",):
            per_export.append(engine.execute(key, code, export, _imports(), 50_000))
        outcomes.append(per_export)
    assert all(outcome == outcomes[0] for outcome in outcomes)


def test_seeds_are_accepted() -> None:
    for seed in SEEDS:
        validate(seed)
        _check(seed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    _check(b"\x00asm\x01\x00\x00\x00" + data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(range(len(SEEDS))),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
    st.sampled_from(["replace", "insert", "delete"]),
)
def test_mutated_modules(seed: int, edits: list[tuple[int, int]], kind: str) -> None:
    data = bytearray(SEEDS[seed])
    for position, value in edits:
        at = position % len(data)
        if kind == "replace":
            data[at] = value
        elif kind == "insert":
            data.insert(at, value)
        else:
            del data[at]
    _check(bytes(data))
