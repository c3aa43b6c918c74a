"""The fuel schedule (spec §15.7.1): the weight of every accepted instruction.

Every value here is consensus: a weight decides how much fuel an execution uses and where it
runs out. A fuel unit is meant to stand for about a nanosecond of work on the reference
machine with the default back end, so each class weighs at least what it was measured to
cost there (``python -m bench.schedule``); most instructions are a machine instruction or
two and cost far less than a unit. The classes that cost more weigh more: division (a
hardware divide), loads (a dependent chain waits on the cache), calls (a frame), indirect
calls (a table bounds check, a signature check, an indirect jump) and memory.grow (a trip
into the engine's runtime whether or not it grows; the pages it can add are bounded by
MAX_MEMORY_PAGES for the whole execution, so it needs no per-page price).
"""

from __future__ import annotations

from types import MappingProxyType

#: (class, weight, first opcode bytes). An opcode in no class weighs BASE_WEIGHT.
CLASSES: tuple[tuple[str, int, tuple[int, ...]], ...] = (
    # No work of their own: structure markers (the branches are what jump), `drop` (a
    # compile-time pop) and `unreachable` (it ends the execution, which then consumes its
    # whole limit anyway).
    ("free", 0, (0x00, 0x01, 0x02, 0x03, 0x05, 0x0B, 0x1A)),
    ("load", 2, (0x28, 0x29, *range(0x2C, 0x36))),
    ("call", 2, (0x10,)),  # the callee's invocation adds FUNCTION_ENTRY
    ("division", 4, (0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82)),
    ("call_indirect", 4, (0x11,)),
    ("memory.grow", 128, (0x40,)),
)
BASE_WEIGHT = 1

#: Each invocation of a defined function: the frame reservation and release of §15.6 and
#: the fuel check at its entry, which the instrumentation adds to every function.
FUNCTION_ENTRY = 4

WEIGHTS = MappingProxyType({op: w for _, w, ops in CLASSES for op in ops})


def weight(opcode: int) -> int:
    """The fuel weight of an accepted instruction, by its first opcode byte (spec §15.7.1)."""
    return WEIGHTS.get(opcode, BASE_WEIGHT)


#: Instructions after which a new segment begins (spec §15.7.2): those that branch or may
#: branch, and those just after which a branch can land (loop, if, else, end).
SEGMENT_ENDS = frozenset([0x00, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F])
