"""Winch, the default back end, is reached through a C-API call the Python bindings do not
wrap (``wasmtime_config_strategy_set``, strategy 2). These tests fail loudly if that private
route stops working in a future wasmtime-py, rather than letting cranelift silently compile
(and compile time stop being linear in the module)."""

from __future__ import annotations

import time

import pytest
import wasmtime
from wasmtime import _ffi

from engine.config import WasmtimeConfig
from engine.probe import SettingNotApplied
from engine.wasmtime_engine import WINCH_STRATEGY, WasmtimeEngine
from protocol.wasm.instrument import instrument
from protocol.wasm.validate import validate
from tests.engine.conftest import engine_for, wasm


def test_winch_is_the_default() -> None:
    assert WasmtimeConfig().backend == "winch"


def test_the_private_strategy_call_exists() -> None:
    assert WINCH_STRATEGY == 2
    assert callable(_ffi.wasmtime_config_strategy_set)


def test_winch_compiles_differently_from_cranelift() -> None:
    # An artefact records the compiler's settings and code: a Winch artefact equal to a
    # cranelift one would mean the strategy call was ignored.
    code = wasm(
        '(module (func (export "f") (param i32) (result i32) local.get 0 i32.const 3 i32.mul))'
    )
    winch = engine_for("winch")
    cranelift = engine_for("cranelift")
    assert bytes(wasmtime.Module(winch.engine, code).serialize()) != bytes(
        wasmtime.Module(cranelift.engine, code).serialize()
    )


def _deep_br_table() -> bytes:
    """255 nested blocks, a br_table to every level and 400 live i64 locals: a shape that
    takes cranelift seconds and Winch milliseconds (bench.compile)."""
    depth, live = 255, 400
    inits = " ".join(f"i64.const {i} local.set {i}" for i in range(live))
    tail = " ".join(
        f"end local.get {i % live} local.get {(i * 7) % live} i64.add local.set {(i * 13) % live}"
        for i in range(depth)
    )
    targets = " ".join(str(i) for i in range(depth))
    sums = " ".join(f"local.get {i} i64.add" for i in range(1, live))
    blocks = "block " * depth
    body = f"{inits} {blocks} i32.const 3 br_table {targets} 0 {tail} local.get 0 {sums} drop"
    decl = "(local" + " i64" * live + ")"
    return wasm(
        f'(module (memory (export "memory") 1) (func {decl} {body}) (func (export "call")))'
    )


def test_winch_compiles_a_hostile_shape_fast() -> None:
    # Measured with bench.compile on a loaded 2-core machine: Winch compiles this shape in a
    # few ms; cranelift needs far longer (issue 17: 24 s for 130 KB of it).
    code = instrument(validate(_deep_br_table()))
    engine = WasmtimeEngine(WasmtimeConfig())
    start = time.process_time()
    wasmtime.Module(engine.engine, code)
    assert time.process_time() - start < 0.25, "Winch no longer compiles this in linear time"


def test_the_probe_refuses_an_engine_whose_strategy_call_was_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Were the C-API call a no-op, cranelift would compile: the start-time probe must stop.
    monkeypatch.setattr(_ffi, "wasmtime_config_strategy_set", lambda config, strategy: None)
    with pytest.raises(SettingNotApplied, match="Winch"):
        WasmtimeEngine(WasmtimeConfig(backend="winch"))
