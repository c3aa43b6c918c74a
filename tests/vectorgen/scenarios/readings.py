"""Readings of the contract text that an independent implementation found open (issue 18),
each pinned so that the other reading gives another reason or outcome.

Every outcome here is a rejection or a trap (fuel used = the limit), so the expectations
hold whatever each instruction costs (CONTRACTS_WASM.md §15.7); tests/mutants lists the
reversal of the reference machine each vector catches.
"""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen import wat_readings as wr
from tests.vectorgen.model import Tok
from tests.vectorgen.scenarios.contract_assets import _forwarders
from tests.vectorgen.scenarios.contract_common import (
    contract_vector,
    message_tx,
    publish,
    rejected_call,
)
from tests.vectorgen.txbuild import carrier, pay
from tests.vectorgen.vector import Block, Vector

#: Witness items that add 500 vB and 9,000 vB to a transaction, so to its fuel once fuel is
#: bought with block space (the next draft's §21.2, a call's start 250,000): the deep calls
#: below then never run short of transaction fuel before the rule they pin decides; the
#: chain of eight calls needs eight starts and eight new storage keys.
PAD = (bytes(2_000),)
CHAIN_PAD = (bytes(36_000),)


def padded_call(v: Vector, b: Block, op: p.Op, reason: str, pad: tuple[bytes, ...] = PAD) -> None:
    """A call message from a padded funding input, rejected with ``reason``."""
    tx = b.tx([v.fund(pad)], [pay(), carrier(p.message(op))])
    b.expect(ev.rejected(tx, reason))


def publish_id_first() -> dict[str, Any]:
    v = contract_vector(
        "publish-id-taken-before-module",
        "A second publish in one message with an invalid module is id_taken (§16.1 check 2 "
        "precedes the module check 3), not invalid_module.",
        ["16.1", "16.4"],
    )
    b = v.block()
    tx = message_tx(v, b, p.publish(wat.LOG), p.publish(b"\x00asm\x01\x00\x00\x00\xff"))
    b.expect(ev.rejected(tx, "id_taken"))
    return v.finish()


def instantiate_template_first() -> dict[str, Any]:
    v = contract_vector(
        "instantiate-template-before-id-taken",
        "publish then instantiate of an unknown template in one message: unknown_contract "
        "(the template is checked before the id, §16.2), not id_taken.",
        ["16.2", "16.4"],
    )
    b = v.block()
    missing = Tok(1, 99)
    tx = message_tx(v, b, p.publish(wat.LOG), p.instantiate(missing))
    b.expect(ev.rejected(tx, "unknown_contract"))
    return v.finish()


def call_contract_first() -> dict[str, Any]:
    v = contract_vector(
        "call-contract-before-assets",
        "A call of an unknown contract sending an unknown asset is unknown_contract (§16.3: "
        "the contract is checked before the assets), not unknown_token.",
        ["16.3"],
    )
    b = v.block()
    rejected_call(v, b, p.call(Tok(1, 77), assets=[(Tok(1, 78), 5)]), "unknown_contract")
    return v.finish()


def call_key3_order() -> dict[str, Any]:
    v = contract_vector(
        "call-key3-check-order",
        "Key 3 of call, entry by entry, each entry's amount before the duplicate check: "
        "[[A, 1], [A, 0]] is invalid_amount, [[A, 1], [A, 2**128]] integer_out_of_range, "
        "[[A, 1], [A, 1]] invalid_message; 65 entries are invalid_message; 64 distinct entries "
        "pass the field reads (the unknown contract then rejects). An input of 65,537 bytes "
        "is invalid_message, one of 65,536 passes the field reads.",
        ["16.3"],
    )
    b = v.block()
    nobody = Tok(1, 77)
    a = Tok(1, 78)
    many = [(Tok(1, 100 + i), 1) for i in range(64)]
    for op, reason in (
        (p.call(nobody, assets=[(a, 1), (a, 0)]), "invalid_amount"),
        (p.call(nobody, assets=[(a, 1), (a, 2**128)]), "integer_out_of_range"),
        (p.call(nobody, assets=[(a, 1), (a, 1)]), "invalid_message"),
        (p.call(nobody, assets=[*many, (a, 1)]), "invalid_message"),
        (p.call(nobody, assets=many), "unknown_contract"),
        (p.call(nobody, bytes(65_537)), "invalid_message"),
        (p.call(nobody, bytes(65_536)), "unknown_contract"),
    ):
        tx = message_tx(v, b, op)
        b.expect(ev.rejected(tx, reason))
    return v.finish()


def _trapping_calls(
    name: str, description: str, sections: list[str], cases: list[tuple[bytes, int, str]]
) -> dict[str, Any]:
    """Publish each module, then call each (fuel limit, 0 = default) in the next block."""
    v = contract_vector(name, description, sections)
    b = v.block()
    ids = [publish(v, b, code)[1] for code, _, _ in cases]
    b = v.block()
    for cid, (_, fuel, reason) in zip(ids, cases, strict=True):
        rejected_call(v, b, p.call(cid, fuel=fuel or None), reason)
    return v.finish()


def host_step_order() -> dict[str, Any]:
    return _trapping_calls(
        "host-step-order",
        "The step order of §17.2 per function, each call trapping with the reason of the "
        "step that comes first: send's zero amount before its vout (invalid_host_argument); "
        "send's vout before its charge, under a limit of 200 (invalid_output); send's charge "
        "before its custody check, limit 200 (out_of_fuel); issue's sub 0 before its amount's "
        "range; emit's, set_return's and storage_set's length bounds before their ranges; "
        "tx_input's index before its range; tx_output_value at index = count.",
        ["17.2", "17.3"],
        [
            (wr.SEND_ZERO_TO_NOWHERE, 0, "invalid_host_argument"),
            (wr.SEND_TO_NOWHERE, 200, "invalid_output"),
            (wr.SEND_UNFUNDED, 200, "out_of_fuel"),
            (wr.ISSUE_SUB_ZERO_BAD_POINTER, 0, "invalid_host_argument"),
            (wr.EMIT_LONG_BAD_POINTER, 0, "invalid_host_argument"),
            (wr.RETURN_LONG_BAD_POINTER, 0, "invalid_host_argument"),
            (wr.STORE_LONG_BAD_POINTER, 0, "storage_limit"),
            (wr.INPUT_99_BAD_POINTER, 0, "invalid_host_argument"),
            (wr.OUTPUT_AT_COUNT, 0, "invalid_host_argument"),
        ],
    )


def zero_length_ranges() -> dict[str, Any]:
    return _trapping_calls(
        "host-zero-length-ranges",
        "Zero-length ranges and optional outputs (§17.1, §17.2): received(65536, 0) with "
        "nothing received returns (the division after it traps); received(65537, 0) and "
        "input_read(70000) of an empty input are memory_out_of_bounds; tx_output_script "
        "with cap 0 and a pointer past memory writes and checks nothing; caller_id(70000) "
        "from the transaction checks nothing.",
        ["17.1", "17.2", "17.3"],
        [
            (wr.RECEIVED_AT_END, 0, "integer_divide_by_zero"),
            (wr.RECEIVED_PAST_END, 0, "memory_out_of_bounds"),
            (wr.INPUT_READ_PAST_END, 0, "memory_out_of_bounds"),
            (wr.SCRIPT_TOO_SMALL_BAD_POINTER, 0, "integer_divide_by_zero"),
            (wr.CALLER_ID_BAD_POINTER, 0, "integer_divide_by_zero"),
        ],
    )


def reentry_before_depth() -> dict[str, Any]:
    v = contract_vector(
        "nested-reentry-before-depth",
        "Eight forwarders call down a chain whose last id is the first again: at depth 8 the "
        "callee is both executing and too deep; re-entry is checked first (reentrant_call). "
        "A caller giving its callee fuel 50 (less than the callee needs) is out_of_fuel.",
        ["17.4"],
    )
    b = v.block()
    chain = _forwarders(v, b, 8)
    _, limited = publish(v, b, wr.LIMITED)
    _, log = publish(v, b, wat.LOG)
    b = v.block()
    loop = b"".join(c.raw() for c in [*chain[1:], chain[0]])
    padded_call(v, b, p.call(chain[0], loop), "reentrant_call", CHAIN_PAD)
    padded_call(v, b, p.call(limited, log.raw()), "out_of_fuel")
    return v.finish()


def nested_check_order() -> dict[str, Any]:
    v = contract_vector(
        "nested-check-order",
        "call_contract's steps in order (§17.4): a zero-amount record to an unknown callee is "
        "invalid_host_argument (records, step 3, before the callee, step 4); a record the "
        "caller does not hold, to an unknown callee, is unknown_contract (callee before "
        "custody, step 6).",
        ["17.4"],
    )
    b = v.block()
    _, payer = publish(v, b, wat.PAYFORWARD)
    b = v.block()
    nobody, asset = Tok(1, 77), Tok(1, 78)
    for amount, reason in ((0, "invalid_host_argument"), (5, "unknown_contract")):
        record = nobody.raw() + asset.wide() + amount.to_bytes(16, "little")
        rejected_call(v, b, p.call(payer, record), reason)
    return v.finish()


def frame_cost() -> dict[str, Any]:
    v = contract_vector(
        "stack-frame-cost",
        "The frame cost C = FRAME_BASE + P + L + H of §15.6, with H counting the pushes of "
        "unreachable code: a recursion of cost 13 (a parameter, a local, height 3) under an "
        "export of cost 10 fits 5,040 frames (the export then divides by zero) and not "
        "5,041 (stack_exhausted). "
        "Its `return` inside a block is rewritten to `br 1`. At frame 5,041 the entry "
        "charge (§15.7) comes before the frame: with fuel 55,460 it does not fit "
        "(out_of_fuel), with 55,461 it fits exactly and the frame does not "
        "(stack_exhausted).",
        ["15.6", "15.3.4", "15.7"],
    )
    b = v.block()
    _, fits = publish(v, b, wr.DEPTH_FITS)
    _, over = publish(v, b, wr.DEPTH_OVER)
    b = v.block()
    for cid, fuel, reason in (
        (fits, None, "integer_divide_by_zero"),
        (over, None, "stack_exhausted"),
        (over, wr.DEPTH_OVER_FUEL - 1, "out_of_fuel"),
        (over, wr.DEPTH_OVER_FUEL, "stack_exhausted"),
    ):
        padded_call(v, b, p.call(cid, fuel=fuel), reason)
    return v.finish()


def branches_skip() -> dict[str, Any]:
    v = contract_vector(
        "metering-branch-skips",
        "A segment ends at every br, br_if and br_table (§15.7.2): code a taken branch skips "
        "is never paid. Each contract leaves a block by a branch, skipping a division, and "
        "divides by zero after it: with exactly its count (12, 11, 12) it reaches the "
        "division (integer_divide_by_zero), with one less it is out_of_fuel.",
        ["15.7"],
    )
    b = v.block()
    cases = (
        (wr.BR_IF_SKIPS, wr.BR_IF_SKIPS_FUEL),
        (wr.BR_SKIPS, wr.BR_SKIPS_FUEL),
        (wr.BR_TABLE_SKIPS, wr.BR_TABLE_SKIPS_FUEL),
    )
    ids = [publish(v, b, code)[1] for code, _ in cases]
    b = v.block()
    for cid, (_, fuel) in zip(ids, cases, strict=True):
        rejected_call(v, b, p.call(cid, fuel=fuel), "integer_divide_by_zero")
        rejected_call(v, b, p.call(cid, fuel=fuel - 1), "out_of_fuel")
    return v.finish()


VECTORS = [
    publish_id_first,
    instantiate_template_first,
    call_contract_first,
    call_key3_order,
    host_step_order,
    zero_length_ranges,
    reentry_before_depth,
    nested_check_order,
    frame_cost,
    branches_skip,
]
