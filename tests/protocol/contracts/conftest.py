"""A real engine for the contract-kind tests, one per session: wasmtime on each back end,
and the interpreter written from the spec (tests/interp), which must pass them all too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm.engine import ContractEngine
from tests.interp.engine import InterpEngine


@pytest.fixture(scope="session", params=["winch", "cranelift", "pulley", "interp"])
def engine(request: pytest.FixtureRequest) -> Iterator[ContractEngine]:
    if request.param == "interp":
        yield InterpEngine()
    else:
        yield WasmtimeEngine(WasmtimeConfig(backend=request.param))


@pytest.fixture(scope="session")
def cranelift() -> WasmtimeEngine:
    return WasmtimeEngine(WasmtimeConfig(backend="cranelift"))
