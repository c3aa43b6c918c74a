"""Differential test: the interpreter (tests/interp) and wasmtime (cranelift) give the same
outcome, fuel and host calls on generated valid modules and on mutations of the fuzz seeds.

Where an execution succeeds it is run again with its exact fuel and one unit less, which
puts a charge of spec §15.7.3 right at the limit: the two engines must agree there too.
"""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.wasm.engine import ExecutionResult, HostCaller, HostImport, ValType
from protocol.wasm.instrument import instrument
from protocol.wasm.reasons import WasmRejection
from protocol.wasm.validate import validate
from tests.engine.conftest import engine_for
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
