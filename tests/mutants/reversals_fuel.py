"""Rule reversals of the fuel schedule and metering (spec/CONTRACTS_WASM.md §15.7): the
weights, where segments end, where and how each charge is checked.

A reversal that lets a loop run without paying (no segment after ``loop``) would make a
spinning contract never end, so it runs its listed vector only (``listed_only``). The
weights live in ``protocol.wasm.schedule.WEIGHTS``, read at validation, so each weight
reversal swaps that table.
"""

from __future__ import annotations

from types import MappingProxyType

from protocol.wasm import schedule
from tests.mutants.runner import Reversal

M_SCHEDULE = "protocol.wasm.schedule"
M_INSTRUMENT = "protocol.wasm.instrument"
M_HOST_CALLER = "engine.host"


def _weights(changes: dict[int, int]) -> tuple[tuple[str, str, object], ...]:
    return ((M_SCHEDULE, "WEIGHTS", MappingProxyType({**schedule.WEIGHTS, **changes})),)


def _without_cut(opcode: int) -> tuple[tuple[str, str, object], ...]:
    return ((M_SCHEDULE, "SEGMENT_ENDS", schedule.SEGMENT_ENDS - {opcode}),)


def _weight(name: str, reading: str, changes: dict[int, int], caught_by: str) -> Reversal:
    return Reversal(
        name, "15.7", reading, caught_by, constants=_weights(changes), fresh_engine=True
    )


_LOADS = {op: 1 for op in (0x28, 0x29, *range(0x2C, 0x36))}
_DIVISIONS = {op: 1 for op in (0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82)}

REVERSALS: tuple[Reversal, ...] = (
    Reversal(
        "entry-charge-3",
        "15.7",
        "a function's invocation costs 3, not 4",
        "stack-frame-cost",
        constants=((M_SCHEDULE, "FUNCTION_ENTRY", 3),),
        fresh_engine=True,
    ),
    _weight("loads-weigh-1", "loads weigh 1, not 2", _LOADS, "stack-frame-cost"),
    _weight("call-weighs-1", "a call weighs 1, not 2", {0x10: 1}, "stack-frame-cost"),
    _weight("division-weighs-1", "a division weighs 1", _DIVISIONS, "stack-frame-cost"),
    _weight("drop-weighs-1", "drop weighs 1, not 0", {0x1A: 1}, "contract-caller-and-outputs"),
    _weight("block-weighs-1", "block weighs 1, not 0", {0x02: 1}, "stack-frame-cost"),
    _weight("grow-weighs-1", "memory.grow weighs 1, not 128", {0x40: 1}, "contract-memory-grow"),
    _weight("if-is-free", "if weighs 0, like block", {0x04: 0}, "stack-frame-cost"),
    Reversal(
        "no-segment-after-if",
        "15.7",
        "a segment does not end at an `if`: the then-branch is paid with the condition",
        "contract-instantiate",
        constants=_without_cut(0x04),
        fresh_engine=True,
    ),
    Reversal(
        "loop-body-paid-once",
        "15.7",
        "a segment does not end at `loop`: the loop body is paid on falling in, not on each "
        "branch back",
        "contract-metering-weights",
        constants=_without_cut(0x03),
        fresh_engine=True,
        listed_only=True,
    ),
    Reversal(
        "no-segment-after-br-if",
        "15.7",
        "a segment does not end at `br_if`: what follows is paid even when it branches",
        "metering-branch-skips",
        constants=_without_cut(0x0D),
        fresh_engine=True,
    ),
    Reversal(
        "no-segment-after-br",
        "15.7",
        "a segment does not end at `br`: the dead code after it is paid",
        "metering-branch-skips",
        constants=_without_cut(0x0C),
        fresh_engine=True,
    ),
    Reversal(
        "no-segment-after-br-table",
        "15.7",
        "a segment does not end at `br_table`",
        "metering-branch-skips",
        constants=_without_cut(0x0E),
        fresh_engine=True,
    ),
    Reversal(
        "no-segment-after-else",
        "15.7",
        "a segment does not end at an `else`",
        "contract-publish-init",
        constants=_without_cut(0x05),
        fresh_engine=True,
    ),
    Reversal(
        "no-segment-after-end",
        "15.7",
        "a segment does not end at an `end`",
        "stack-frame-cost",
        constants=_without_cut(0x0B),
        fresh_engine=True,
    ),
    Reversal(
        "charge-traps-at-zero",
        "15.7",
        "a charge that leaves exactly 0 fuel traps",
        "stack-frame-cost",
        M_INSTRUMENT,
        'b"\\x42\\x00\\x53\\x04\\x40\\x00\\x0b"',
        'b"\\x42\\x00\\x57\\x04\\x40\\x00\\x0b"',
        fresh_engine=True,
    ),
    Reversal(
        "entry-charge-after-frame",
        "15.7",
        "a function's entry charge comes after its frame reservation and stack check",
        "stack-frame-cost",
        M_INSTRUMENT,
        "    out += _charge(fuel, entry[1])\n"
        '    out += get + b"\\x41" + cost + b"\\x6b" + put\n'
        '    out += get + b"\\x41" + sleb(STACK_BUDGET) + b"\\x4b\\x04\\x40\\x00\\x0b"\n',
        '    out += get + b"\\x41" + cost + b"\\x6b" + put\n'
        '    out += get + b"\\x41" + sleb(STACK_BUDGET) + b"\\x4b\\x04\\x40\\x00\\x0b"\n'
        "    out += _charge(fuel, entry[1])\n",
        fresh_engine=True,
    ),
    Reversal(
        "host-charge-exact-traps",
        "15.7",
        "a host charge that uses exactly the fuel left traps",
        "contract-call-fuel-exact",
        M_HOST_CALLER,
        "if fuel > remaining:",
        "if fuel >= remaining:",
    ),
)
