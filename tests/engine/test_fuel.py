"""Exact fuel (spec §15.7), computed by hand over the instrumented module.

Every defined function invocation costs FN = 13 on top of its own instructions: 1 for the
invocation itself (wasmtime's function entry), 8 for the prologue (global.get, i32.const,
i32.sub, global.set, global.get, i32.const, i32.gt_u, if; `unreachable` and `end` are free)
and 4 for the epilogue (global.get, i32.const, i32.add, global.set). The wrapping `block`
and its `end` are free; a `return` becomes a `br`, which costs 1.
"""

from __future__ import annotations

import pytest

from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm.engine import HostCaller, HostImport, TrapKind, ValType
from tests.engine.conftest import run

FN = 13
MEM = '(memory (export "memory") 1)'


def test_empty_function(engine: WasmtimeEngine) -> None:
    result = run(engine, f'(module {MEM} (func (export "call")))')
    assert (result.fuel_used, result.trap) == (FN, None)


def test_free_instructions(engine: WasmtimeEngine) -> None:
    # nop, block, loop, end, drop are free; i32.const costs 1.
    text = f'(module {MEM} (func (export "call") nop block loop nop end end i32.const 1 drop))'
    assert run(engine, text).fuel_used == FN + 1


def test_recursion_and_return(engine: WasmtimeEngine) -> None:
    # $f(n) for n > 0: local.get, i32.eqz, if, local.get, i32.const, i32.sub, call,
    # i32.const, i32.add = 9; $f(0): local.get, i32.eqz, if, i32.const, br (was return) = 5.
    # call: i32.const, call, drop(0) = 2.  Total: (FN+2) + 5*(FN+9) + (FN+5).
    text = f"""(module {MEM}
      (func $f (param i32) (result i32)
        local.get 0 i32.eqz
        if (result i32) i32.const 0 return
        else local.get 0 i32.const 1 i32.sub call $f i32.const 1 i32.add end)
      (func (export "call") i32.const 5 call $f drop))"""
    expected = (FN + 2) + 5 * (FN + 9) + (FN + 5)
    assert expected == 143
    assert run(engine, text).fuel_used == expected
    assert run(engine, text, fuel=expected).fuel_used == expected
    assert run(engine, text, fuel=expected - 1).trap == TrapKind.OUT_OF_FUEL


def test_loop_counts_every_iteration(engine: WasmtimeEngine) -> None:
    # Per iteration: local.get, i32.const, i32.add, local.tee, i32.const, i32.lt_u, br_if = 7.
    text = f"""(module {MEM} (func (export "call") (local i32)
      loop local.get 0 i32.const 1 i32.add local.tee 0 i32.const 1000 i32.lt_u br_if 0 end))"""
    assert run(engine, text).fuel_used == FN + 7 * 1000


def test_out_of_fuel_in_a_loop_stops_early(engine: WasmtimeEngine) -> None:
    text = f'(module {MEM} (func (export "call") loop br 0 end))'
    result = run(engine, text, fuel=5_000)
    assert (result.fuel_used, result.trap) == (5_000, TrapKind.OUT_OF_FUEL)


def test_overrun_without_a_check_point_is_out_of_fuel(engine: WasmtimeEngine) -> None:
    # Straight-line code has no check point after the entry; the overrun is found at the end.
    body = "i32.const 1 drop " * 50
    text = f'(module {MEM} (func (export "call") {body}))'
    assert run(engine, text).fuel_used == FN + 50
    assert run(engine, text, fuel=FN + 49).trap == TrapKind.OUT_OF_FUEL
    assert run(engine, text, fuel=0).trap == TrapKind.OUT_OF_FUEL


def _charging(amount: int) -> dict[str, HostImport]:
    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        caller.charge(amount)

    return {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}


def test_host_charge_counts_and_traps_when_short(engine: WasmtimeEngine) -> None:
    text = f"""(module (import "rootstate" "emit" (func $emit (param i32 i32))) {MEM}
      (func (export "call") i32.const 0 i32.const 0 call $emit))"""
    # i32.const, i32.const, call = 3; the host function itself has no wasm cost.
    assert run(engine, text, imports=_charging(1_000)).fuel_used == FN + 3 + 1_000
    exact = FN + 3 + 1_000
    assert run(engine, text, fuel=exact, imports=_charging(1_000)).trap is None
    short = run(engine, text, fuel=exact - 1, imports=_charging(1_000))
    assert (short.trap, short.fuel_used) == (TrapKind.OUT_OF_FUEL, exact - 1)


def test_fuel_left_seen_by_the_host(engine: WasmtimeEngine) -> None:
    seen: list[int] = []

    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        seen.append(caller.fuel_left())

    imports = {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}
    text = f"""(module (import "rootstate" "emit" (func $emit (param i32 i32))) {MEM}
      (func (export "call") i32.const 0 i32.const 0 call $emit))"""
    run(engine, text, fuel=100, imports=imports)
    # Before the host call: the invocation (1), the prologue (8) and 3 instructions.
    assert seen == [100 - (1 + 8 + 3)]


def test_negative_charge_is_a_host_bug(engine: WasmtimeEngine) -> None:
    with pytest.raises(ValueError, match="negative"):
        text = f"""(module (import "rootstate" "emit" (func $emit (param i32 i32))) {MEM}
          (func (export "call") i32.const 0 i32.const 0 call $emit))"""
        run(engine, text, imports=_charging(-1))


@pytest.mark.parametrize(
    ("text", "passes_at"),
    [
        # Export entry: U = 1 at the check (the invocation is counted first).
        (f'(module {MEM} (func (export "call") unreachable))', 1),
        # Callee entry: 1 + 8 (prologue) + 1 (call) + 1 (callee invocation) = 11.
        (f'(module {MEM} (func $g unreachable) (func (export "call") call $g))', 11),
        # Loop header: 1 + 8 + i32.const = 10 when the loop body is entered.
        (f'(module {MEM} (func (export "call") i32.const 1 drop loop unreachable end))', 10),
    ],
)
def test_check_points_decide_between_traps(
    engine: WasmtimeEngine, text: str, passes_at: int
) -> None:
    # With fuel >= U at the last check point the contract's own trap wins, even though
    # the prologue has already overrun the limit by then; one less, and fuel runs out.
    assert run(engine, text, fuel=passes_at).trap == TrapKind.UNREACHABLE
    assert run(engine, text, fuel=passes_at - 1).trap == TrapKind.OUT_OF_FUEL
