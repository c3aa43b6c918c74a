"""The fuel schedule and its segments (spec/CONTRACTS_WASM.md §15.7), counted by hand.

Each vector fails under the rule it replaces (wasmtime's count, checked only at function
entries and loop headers): there a call of the divide-by-zero contract with a limit of 9
trapped on the division, and the weights contract used another amount.
"""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen.scenarios.contract_common import (
    EMPTY_DIGEST,
    contract_vector,
    op_return_tx,
    publish,
    rejected_call,
)

#: `i32.const 1 i32.const 0 i32.div_u drop`: one segment, 4 (entry) + 1 + 1 + 4 + 0 = 10.
DIVIDE_SEGMENT_FUEL = 10

#: Every weight class once. The entry segment runs to the br_table (block is no cut):
#: 4 (entry) + i32.const 1 + i64.load 2 (drop 0) + i32.const 1 + i32.const 1 + i32.rem_u 4
#: + call 2 + i32.const 1 + call_indirect 4 + i32.const 1 + memory.grow 128 + i32.const 1
#: + br_table 1 = 151; each callee's entry 4, twice; the loop body (local.get, i32.const,
#: i32.add, local.tee, i32.const, i32.lt_u, br_if = 7) three times = 21; the `end`s and the
#: `loop` cost 0. Total 151 + 8 + 21 = 180.
WEIGHTS = wat.module(
    """
    (func (export "call") (local i32)
      i32.const 0 i64.load drop
      i32.const 7 i32.const 2 i32.rem_u drop
      call $e
      i32.const 0 call_indirect (type $v)
      i32.const 1 memory.grow drop
      block i32.const 2 br_table 0 0 0 end
      loop local.get 0 i32.const 1 i32.add local.tee 0 i32.const 3 i32.lt_u br_if 0 end)
    """,
    extra="(type $v (func)) (table 1 funcref) (elem (i32.const 0) $e) (func $e)",
)
WEIGHTS_FUEL = 180


def segment_paid_whole() -> dict[str, Any]:
    v = contract_vector(
        "contract-metering-segment",
        f"A segment is paid in full when entered: the divide-by-zero contract (one segment "
        f"of {DIVIDE_SEGMENT_FUEL}) with a limit of {DIVIDE_SEGMENT_FUEL - 1} is out_of_fuel "
        f"before its division runs; with {DIVIDE_SEGMENT_FUEL} it traps on the division.",
        ["15.7", "19.2"],
    )
    b = v.block()
    _, cid = publish(v, b, wat.DIVIDE_BY_ZERO)
    b = v.block()
    rejected_call(v, b, p.call(cid, fuel=DIVIDE_SEGMENT_FUEL - 1), "out_of_fuel")
    rejected_call(v, b, p.call(cid, fuel=DIVIDE_SEGMENT_FUEL), "integer_divide_by_zero")
    return v.finish()


def weights() -> dict[str, Any]:
    v = contract_vector(
        "contract-metering-weights",
        f"Every weight class of §15.7.1 once (a load, a remainder, a call, a call_indirect, "
        f"memory.grow, a br_table, a loop) uses exactly {WEIGHTS_FUEL} fuel: a limit of "
        f"{WEIGHTS_FUEL - 1} is out_of_fuel, {WEIGHTS_FUEL} succeeds.",
        ["15.7", "16.5", "21.1"],
    )
    b = v.block()
    _, cid = publish(v, b, WEIGHTS)
    b = v.block()
    rejected_call(v, b, p.call(cid, fuel=WEIGHTS_FUEL - 1), "out_of_fuel")
    tx = op_return_tx(v, b, p.call(cid, fuel=WEIGHTS_FUEL))
    b.expect(ev.call(tx, cid, WEIGHTS_FUEL, EMPTY_DIGEST))
    return v.finish()


VECTORS = [segment_paid_whole, weights]
