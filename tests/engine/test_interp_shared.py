"""The engine tests that hold for any ContractEngine, run again on the interpreter.

The hand-counted fuel (test_fuel), trap kinds, memory and host behaviour (test_engine) and
the exact stack depth (test_stack) are spec §15, not wasmtime: importing those tests here
and overriding their ``engine`` fixture runs the very same assertions on tests/interp.
Tests of wasmtime itself (worker thread, serialisation, back-end configuration) stay out.
"""

from __future__ import annotations

import pytest

from tests.engine.test_engine import (
    test_fresh_instance_per_execution_and_start_runs_first,
    test_host_access_outside_memory_traps,
    test_host_memory_access,
    test_host_trap_propagates_as_is,
    test_memory_grow_stops_at_the_page_limit,
    test_nested_execution_from_a_host_function,
    test_results_wrap_to_their_type,
    test_trap_kinds,
)
from tests.engine.test_fuel import (
    test_check_points_decide_between_traps,
    test_empty_function,
    test_free_instructions,
    test_fuel_left_seen_by_the_host,
    test_host_charge_counts_and_traps_when_short,
    test_loop_counts_every_iteration,
    test_negative_charge_is_a_host_bug,
    test_out_of_fuel_in_a_loop_stops_early,
    test_overrun_without_a_check_point_is_out_of_fuel,
    test_recursion_and_return,
)
from tests.engine.test_stack import (
    test_contract_unreachable_stays_unreachable,
    test_exact_depth_by_hand,
    test_unbounded_recursion_of_the_smallest_frame,
)
from tests.interp.engine import InterpEngine

__all__ = [
    "test_check_points_decide_between_traps",
    "test_contract_unreachable_stays_unreachable",
    "test_empty_function",
    "test_exact_depth_by_hand",
    "test_free_instructions",
    "test_fresh_instance_per_execution_and_start_runs_first",
    "test_fuel_left_seen_by_the_host",
    "test_host_access_outside_memory_traps",
    "test_host_charge_counts_and_traps_when_short",
    "test_host_memory_access",
    "test_host_trap_propagates_as_is",
    "test_loop_counts_every_iteration",
    "test_memory_grow_stops_at_the_page_limit",
    "test_negative_charge_is_a_host_bug",
    "test_nested_execution_from_a_host_function",
    "test_out_of_fuel_in_a_loop_stops_early",
    "test_overrun_without_a_check_point_is_out_of_fuel",
    "test_recursion_and_return",
    "test_results_wrap_to_their_type",
    "test_trap_kinds",
    "test_unbounded_recursion_of_the_smallest_frame",
]

_ENGINE = InterpEngine()


@pytest.fixture
def engine() -> InterpEngine:
    """Overrides tests/engine/conftest.py's wasmtime fixture for the tests imported here."""
    return _ENGINE
