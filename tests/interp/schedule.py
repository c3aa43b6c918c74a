"""Phase A fuel: the instruction schedule of spec §15.7 as currently written.

Kept apart so that it can go once the instrumentation meters fuel itself (issue 18: an
engine then needs no fuel logic of its own). The executor adds ``cost(op)`` per executed
instruction, ENTRY per defined-function invocation, and checks U > F at function entries
and loop headers; `memory.grow` adds ``grow_cost(pages)`` (spec/CONTRACTS.md §21.3).
"""

from __future__ import annotations

# unreachable nop block loop else end return drop: free (§15.7).
FREE = frozenset({0x00, 0x01, 0x02, 0x03, 0x05, 0x0B, 0x0F, 0x1A})
ENTRY = 1  # per invocation of a defined function, counted before its entry check


def cost(op: int) -> int:
    """The fuel of one execution of the wasm instruction ``op``."""
    return 0 if op in FREE else 1


# wasmtime 47-50 (both back ends, measured by tests/engine/test_interp_crosscheck.py's
# generated modules): a request for up to 128 pages costs its pages, a larger one nothing.
# CONTRACTS.md §21.3 says "the number of pages it is asked for" without that cap.
GROW_CHARGED_PAGES = 128


def grow_cost(pages: int) -> int:
    """The fuel `memory.grow` adds beyond its own 1 for a request of ``pages`` (u32)."""
    return pages if pages <= GROW_CHARGED_PAGES else 0
