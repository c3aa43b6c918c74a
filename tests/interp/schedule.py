"""Phase A fuel: the instruction schedule of spec §15.7 as currently written.

Kept apart so that it can go once the instrumentation meters fuel itself (issue 18: an
engine then needs no fuel logic of its own). The executor adds ``cost(op)`` per executed
instruction, ENTRY per defined-function invocation, and checks U > F at function entries
and loop headers; `memory.grow` adds the pages it asks for (spec/CONTRACTS.md §21.3).
"""

from __future__ import annotations

# unreachable nop block loop else end return drop: free (§15.7).
FREE = frozenset({0x00, 0x01, 0x02, 0x03, 0x05, 0x0B, 0x0F, 0x1A})
ENTRY = 1  # per invocation of a defined function, counted before its entry check


def cost(op: int) -> int:
    """The fuel of one execution of the wasm instruction ``op``."""
    return 0 if op in FREE else 1
