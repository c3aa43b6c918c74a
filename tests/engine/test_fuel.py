"""Exact fuel (spec §15.7), counted by hand from the schedule's weights.

The weights used here (spec §15.7.1): 0 for ``unreachable nop block loop else end drop``, 2
for ``call`` and loads, 4 for division and remainder and ``call_indirect``, 128 for
``memory.grow``, 1 for every other instruction, and FN = 4 for each invocation of a defined
function. Every segment (§15.7.2) is charged in full when control enters it, so an execution
runs out of fuel at the start of the segment that does not fit, never in its middle.
"""

from __future__ import annotations

import pytest

from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm.engine import EngineTrap, HostCaller, HostImport, TrapKind, ValType
from tests.engine.conftest import run

FN = 4
MEM = '(memory (export "memory") 1)'


def test_empty_function(engine: WasmtimeEngine) -> None:
    result = run(engine, f'(module {MEM} (func (export "call")))')
    assert (result.fuel_used, result.trap) == (FN, None)


def test_free_instructions(engine: WasmtimeEngine) -> None:
    # nop, block, loop, end, drop are free; i32.const costs 1.
    text = f'(module {MEM} (func (export "call") nop block loop nop end end i32.const 1 drop))'
    assert run(engine, text).fuel_used == FN + 1


def test_recursion_and_return(engine: WasmtimeEngine) -> None:
    # $f(n) for n > 0: local.get, i32.eqz, if, local.get, i32.const, i32.sub, call (2),
    # i32.const, i32.add = 10; $f(0): local.get, i32.eqz, if, i32.const, return = 5.
    # call: i32.const, call (2), drop (0) = 3.  Total: (FN+3) + 5*(FN+10) + (FN+5).
    text = f"""(module {MEM}
      (func $f (param i32) (result i32)
        local.get 0 i32.eqz
        if (result i32) i32.const 0 return
        else local.get 0 i32.const 1 i32.sub call $f i32.const 1 i32.add end)
      (func (export "call") i32.const 5 call $f drop))"""
    expected = (FN + 3) + 5 * (FN + 10) + (FN + 5)
    assert expected == 86
    assert run(engine, text).fuel_used == expected
    assert run(engine, text, fuel=expected).fuel_used == expected
    assert run(engine, text, fuel=expected - 1).trap == TrapKind.OUT_OF_FUEL


def test_loop_counts_every_iteration(engine: WasmtimeEngine) -> None:
    # Per iteration: local.get, i32.const, i32.add, local.tee, i32.const, i32.lt_u, br_if = 7.
    text = f"""(module {MEM} (func (export "call") (local i32)
      loop local.get 0 i32.const 1 i32.add local.tee 0 i32.const 1000 i32.lt_u br_if 0 end))"""
    assert run(engine, text).fuel_used == FN + 7 * 1000
    # The loop body is a segment of its own, charged at every entry: 1,000 charges of 7
    # after the entry's 4 fit in 7,004 and not in 7,003.
    assert run(engine, text, fuel=FN + 7 * 1000 - 1).trap == TrapKind.OUT_OF_FUEL


def test_out_of_fuel_in_a_loop_stops_early(engine: WasmtimeEngine) -> None:
    text = f'(module {MEM} (func (export "call") loop br 0 end))'
    result = run(engine, text, fuel=5_000)
    assert (result.fuel_used, result.trap) == (5_000, TrapKind.OUT_OF_FUEL)


def test_straight_line_code_is_charged_when_entered(engine: WasmtimeEngine) -> None:
    # One segment of 50 paid instructions: it runs whole or not at all.
    body = "i32.const 1 drop " * 50
    text = f'(module {MEM} (func (export "call") {body}))'
    assert run(engine, text).fuel_used == FN + 50
    assert run(engine, text, fuel=FN + 50).trap is None
    assert run(engine, text, fuel=FN + 49).trap == TrapKind.OUT_OF_FUEL
    assert run(engine, text, fuel=0).trap == TrapKind.OUT_OF_FUEL


def test_weights_of_the_heavier_classes(engine: WasmtimeEngine) -> None:
    def used(body: str, extra: str = "") -> int:
        result = run(engine, f'(module {MEM} {extra} (func (export "call") {body}))')
        assert result.trap is None
        return result.fuel_used

    assert used("i32.const 7 i32.const 2 i32.div_u drop") == FN + 1 + 1 + 4
    assert used("i64.const 7 i64.const 2 i64.rem_s drop") == FN + 1 + 1 + 4
    assert used("i32.const 0 i64.load drop") == FN + 1 + 2
    assert used("i32.const 0 i64.const 1 i64.store") == FN + 1 + 1 + 1
    # memory.grow is one static price whatever it is asked for, growing or failing.
    assert used("i32.const 1 memory.grow drop") == FN + 1 + 128
    assert used("i32.const 100 memory.grow drop") == FN + 1 + 128
    assert used("i32.const 0 memory.grow drop") == FN + 1 + 128
    # call_indirect (4) and the callee's entry (4).
    table = "(type $v (func)) (table 1 funcref) (elem (i32.const 0) $e) (func $e)"
    assert used("i32.const 0 call_indirect (type $v)", table) == FN + 1 + 4 + FN
    # br_table weighs 1 whatever its length; the block and its end are free.
    assert used("block i32.const 1 br_table 0 0 0 0 0 end") == FN + 1 + 1


@pytest.mark.parametrize(
    ("text", "passes_at"),
    [
        # The export's entry segment: FN, `unreachable` free.
        (f'(module {MEM} (func (export "call") unreachable))', FN),
        # FN + call (2), then the callee's entry FN.
        (f'(module {MEM} (func $g unreachable) (func (export "call") call $g))', FN + 2 + FN),
        # Entry segment FN + i32.const (drop, loop free); the loop body costs 0: no charge.
        (f'(module {MEM} (func (export "call") i32.const 1 drop loop unreachable end))', FN + 1),
        # A trap in the middle of a segment: the segment's whole cost (4 + 1 + 1 + 4) is
        # charged before its first instruction runs, so with one unit less the division
        # never happens (under a rule that only checked at entries it would).
        (f'(module {MEM} (func (export "call") i32.const 1 i32.const 0 i32.div_u drop))', 10),
    ],
)
def test_segments_decide_between_traps(engine: WasmtimeEngine, text: str, passes_at: int) -> None:
    expected = run(engine, text, fuel=passes_at).trap
    assert expected in (TrapKind.UNREACHABLE, TrapKind.INTEGER_DIVIDE_BY_ZERO)
    assert run(engine, text, fuel=passes_at - 1).trap == TrapKind.OUT_OF_FUEL


def _charging(amount: int) -> dict[str, HostImport]:
    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        caller.charge(amount)

    return {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}


EMIT = '(import "rootstate" "emit" (func $emit (param i32 i32)))'


def test_host_charge_counts_and_traps_when_short(engine: WasmtimeEngine) -> None:
    text = f"""(module {EMIT} {MEM}
      (func (export "call") i32.const 0 i32.const 0 call $emit))"""
    # i32.const, i32.const, call (2) = 4; the host function itself has no wasm cost.
    exact = FN + 4 + 1_000
    assert run(engine, text, imports=_charging(1_000)).fuel_used == exact
    assert run(engine, text, fuel=exact, imports=_charging(1_000)).trap is None
    short = run(engine, text, fuel=exact - 1, imports=_charging(1_000))
    assert (short.trap, short.fuel_used) == (TrapKind.OUT_OF_FUEL, exact - 1)


def test_fuel_left_seen_by_the_host_excludes_the_whole_segment(engine: WasmtimeEngine) -> None:
    seen: list[int] = []

    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        seen.append(caller.fuel_left())

    imports = {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}
    text = f"""(module {EMIT} {MEM}
      (func (export "call") i32.const 0 i32.const 0 call $emit i32.const 1 drop))"""
    result = run(engine, text, fuel=100, imports=imports)
    # The entry segment (FN, 2 constants, call 2, and the i32.const after the call) is
    # charged before any of it runs.
    assert seen == [100 - (FN + 5)]
    assert result.fuel_used == FN + 5


def test_a_charge_that_does_not_fit_consumes_nothing(engine: WasmtimeEngine) -> None:
    seen: list[int] = []

    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        before = caller.fuel_left()
        try:
            caller.charge(before + 1)
        except EngineTrap as trap:
            assert trap.kind == TrapKind.OUT_OF_FUEL
        seen.extend([before, caller.fuel_left()])
        caller.charge(before)  # exactly what is left fits
        seen.append(caller.fuel_left())

    imports = {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}
    text = f"""(module {EMIT} {MEM}
      (func (export "call") i32.const 0 i32.const 0 call $emit))"""
    result = run(engine, text, fuel=50, imports=imports)
    assert seen == [50 - (FN + 4), 50 - (FN + 4), 0]
    assert (result.trap, result.fuel_used) == (None, 50)


def test_negative_charge_is_a_host_bug(engine: WasmtimeEngine) -> None:
    with pytest.raises(ValueError, match="negative"):
        text = f"""(module {EMIT} {MEM}
          (func (export "call") i32.const 0 i32.const 0 call $emit))"""
        run(engine, text, imports=_charging(-1))
