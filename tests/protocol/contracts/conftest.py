"""A real wasmtime engine for the contract-kind tests, one per back end and session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine


@pytest.fixture(scope="session", params=["winch", "cranelift", "pulley"])
def engine(request: pytest.FixtureRequest) -> Iterator[WasmtimeEngine]:
    yield WasmtimeEngine(WasmtimeConfig(backend=request.param))


@pytest.fixture(scope="session")
def cranelift() -> WasmtimeEngine:
    return WasmtimeEngine(WasmtimeConfig(backend="cranelift"))
