"""The engine tests that hold for any ContractEngine, run again on the interpreter.

The hand-counted fuel (test_fuel), trap kinds, memory and host behaviour (test_engine) and
the exact stack depth (test_stack) are spec §15, not wasmtime: every test of those modules
that takes the ``engine`` fixture is collected here too, where ``engine`` is the
interpreter (tests/interp), so the very same assertions run on it. Tests of wasmtime
itself (its worker thread, its serialised artefacts) are the listed exceptions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from tests.engine import test_engine, test_fuel, test_stack
from tests.interp.engine import InterpEngine

WASMTIME_ONLY = frozenset(
    {
        "test_run_executes_on_the_worker_with_the_same_results",
        "test_serialized_module_runs_in_a_new_engine",
    }
)


def _engine_tests() -> dict[str, Callable[..., Any]]:
    found = {}
    for module in (test_engine, test_fuel, test_stack):
        for name, value in vars(module).items():
            wanted = name.startswith("test_") and name not in WASMTIME_ONLY and callable(value)
            if wanted and "engine" in inspect.signature(value).parameters:
                found[name] = value
    return found


SHARED = _engine_tests()
globals().update(SHARED)  # pytest collects them from this module, with its fixture below
_ENGINE = InterpEngine()


def test_the_shared_tests_are_collected() -> None:
    # A rename in the source modules must not silently drop the interpreter's coverage.
    assert len(SHARED) >= 20
    assert {"test_trap_kinds", "test_exact_depth_by_hand", "test_empty_function"} <= set(SHARED)


@pytest.fixture
def engine() -> InterpEngine:
    """Overrides tests/engine/conftest.py's wasmtime fixture for the tests collected here."""
    return _ENGINE
