"""One engine per back end for the session; every engine test runs on both (issue 8 §5)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
import wasmtime

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm.engine import ExecutionResult, HostImport
from protocol.wasm.instrument import prepare

_ENGINES: dict[str, WasmtimeEngine] = {}


def engine_for(backend: str) -> WasmtimeEngine:
    if backend not in _ENGINES:
        _ENGINES[backend] = WasmtimeEngine(WasmtimeConfig(backend=backend))  # type: ignore[arg-type]
    return _ENGINES[backend]


@pytest.fixture(params=["winch", "cranelift", "pulley"])
def engine(request: pytest.FixtureRequest) -> Iterator[WasmtimeEngine]:
    yield engine_for(request.param)


def wasm(text: str) -> bytes:
    """Module bytes from the text format (the tests' contracts are hand-written WAT)."""
    return bytes(wasmtime.wat2wasm(text))


Runner = Callable[..., ExecutionResult]


def run(
    engine: WasmtimeEngine,
    text: str,
    export: str = "call",
    fuel: int = 10_000_000,
    imports: dict[str, HostImport] | None = None,
) -> ExecutionResult:
    """Validate, instrument and execute a WAT module."""
    code = wasm(text)
    return engine.execute(hashlib.sha256(code).digest(), prepare(code), export, imports or {}, fuel)
