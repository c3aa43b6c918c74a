"""The host additions of issue 19 (CONTRACTS.md §17.5-§17.7, §18.6, §20.2): BIP340
signatures, the block clock, assets returned to the calling contract, read-only calls;
each with its failure cases. Fuel is counted by hand in tests/vectorgen/wat_host.py.
"""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen import wat_host as wh
from tests.vectorgen.bip340 import VECTORS as BIP340
from tests.vectorgen.model import Tok
from tests.vectorgen.scenarios.common import deploy_issuer
from tests.vectorgen.scenarios.contract_common import (
    EMPTY_DIGEST,
    contract_vector,
    publish,
)
from tests.vectorgen.txbuild import In, Tx, carrier, pay
from tests.vectorgen.vector import BASE_TIME, Block, Vector

#: Annex bytes of the transactions with nested calls: two starts and a new custody entry.
BIG_ANNEX = 12_000


def call_tx(v: Vector, b: Block, op: p.Op, spent: In | None = None) -> Tx:
    """A call message after one spendable output, its first input buying ample fuel."""
    return b.tx([spent or v.fund()], [pay(), carrier(p.message(op))], annex=BIG_ANNEX)


def trap(v: Vector, b: Block, op: p.Op, reason: str) -> None:
    b.expect(ev.rejected(call_tx(v, b, op), reason))


def _id(t: Tok) -> bytes:
    return t.raw()


# --- §17.5 schnorr_verify --------------------------------------------------------------------


def schnorr() -> dict[str, Any]:
    v = contract_vector(
        "host-schnorr-verify",
        "schnorr_verify on BIP340's published test vectors 0-18 (key, message of 0, 1, 17, "
        "32 or 100 bytes, signature): the contract logs 1 for the valid ones and 0 for each "
        "invalid one (key not on the curve, odd R, negated message or s, infinite sG - eP, "
        "r not a coordinate or equal to p, s equal to n, key above p): a bad signature "
        "returns 0 and never traps. A message of exactly 65,536 bytes is accepted (returns 0 "
        "for a zero key).",
        ["17.5", "17.3", "22"],
    )
    b = v.block()
    _, cid = publish(v, b, wh.SCHNORR_LOG)
    _, big = publish(v, b, wh.SCHNORR_MAX)
    b = v.block()
    for vec in BIP340:
        data = vec.pubkey + vec.signature + vec.message
        tx = call_tx(v, b, p.call(cid, data))
        b.expect(
            ev.log(tx, cid, b"\x01" if vec.valid else b"\x00"),
            ev.call(tx, cid, wh.schnorr_log_fuel(len(vec.message)), EMPTY_DIGEST),
        )
    tx = call_tx(v, b, p.call(big))
    b.expect(
        ev.log(tx, big, b"\x00"),
        ev.call(tx, big, wh.SCHNORR_MAX_FUEL, EMPTY_DIGEST),
    )
    return v.finish()


def schnorr_traps() -> dict[str, Any]:
    v = contract_vector(
        "host-schnorr-traps",
        "schnorr_verify's step order (§17.2): a message of 65,537 bytes is "
        "invalid_host_argument even from an out-of-range pointer (the length comes first); "
        "each of the key, message and signature ranges ending one byte past memory is "
        "memory_out_of_bounds, under a limit of 100 too (ranges before the charge); with "
        "all ranges valid a limit of 100 is out_of_fuel; wrong lengths cannot be expressed "
        "(the key is 32 bytes and the signature 64 by the signature of the function).",
        ["17.5", "17.2", "19.2"],
    )
    b = v.block()
    cases = [
        (wh.SCHNORR_LONG_BAD_POINTER, None, "invalid_host_argument"),
        (wh.SCHNORR_KEY_OUT, None, "memory_out_of_bounds"),
        (wh.SCHNORR_MSG_OUT, None, "memory_out_of_bounds"),
        (wh.SCHNORR_SIG_OUT, 100, "memory_out_of_bounds"),
        (wh.SCHNORR_IN_RANGE, 100, "out_of_fuel"),
    ]
    ids = [publish(v, b, code)[1] for code, _, _ in cases]
    b = v.block()
    for cid, (_, fuel, reason) in zip(ids, cases, strict=True):
        trap(v, b, p.call(cid, fuel=fuel), reason)
    return v.finish()


# --- §17.5 the block clock --------------------------------------------------------------------

#: Header times (offsets from BASE_TIME) of blocks 1-13, and the median each call sees: the
#: median of the block's own time and the 10 before it, at index ⌊count / 2⌋ of the sorted
#: window (so the upper one of an even count). Worked by hand:
#: block 2: [400, 1000] -> 1000; block 4: [400, 1000, 1500, 2000] -> 1500;
#: block 11: 100 400 1000 1500 2000 [2500] 2600 2700 3000 4000 5000;
#: block 12 (block 1 left the window): 100 400 1500 2000 2500 [2600] 2700 3000 4000 4100 5000;
#: block 13 (block 2 left): 100 1500 2000 2500 2600 [2700] 3000 4000 4100 4200 5000.
CLOCK_TIMES = (1000, 400, 2000, 1500, 3000, 2500, 2600, 2700, 5000, 100, 4000, 4100, 4200)
CLOCK_MEDIANS = {1: 1000, 2: 1000, 4: 1500, 11: 2500, 12: 2600, 13: 2700}


def clock() -> dict[str, Any]:
    v = contract_vector(
        "host-block-clock",
        "block_time is the header's time field; block_median_time the median of the header "
        "times of the block and the 10 before it (fewer after activation), the element at "
        "index floor(count / 2) of the sorted times. Thirteen blocks with times out of "
        "order; the CLOCK contract logs both (u64 LE each) in blocks 1, 2, 4, 11, 12 and "
        "13; state key 09 holds the last 10 header times (u32 big-endian, oldest first).",
        ["17.5", "14.3"],
    )
    cid: Tok | None = None
    for n, offset in enumerate(CLOCK_TIMES, start=1):
        b = v.block()
        b.time = BASE_TIME + offset
        if cid is None:
            _, cid = publish(v, b, wh.CLOCK)
        if n in CLOCK_MEDIANS:
            tx = call_tx(v, b, p.call(cid))
            data = (BASE_TIME + offset).to_bytes(8, "little") + (
                BASE_TIME + CLOCK_MEDIANS[n]
            ).to_bytes(8, "little")
            b.expect(ev.log(tx, cid, data), ev.call(tx, cid, wh.CLOCK_FUEL, EMPTY_DIGEST))
    return v.finish()


# --- §17.6 send_to_caller ---------------------------------------------------------------------


def _record(asset: Tok, amount: int) -> bytes:
    return asset.wide() + amount.to_bytes(16, "little")


def send_to_caller() -> dict[str, Any]:
    v = contract_vector(
        "host-send-to-caller",
        "A router sends 10 of a token into RETURNER, which returns 4 to it with "
        "send_to_caller: custody router 4, returner 6; events deposit (pool to router), "
        "deposit (router to returner, key 16), return (key 12 the returner, key 16 the "
        "router), the returner's call, the router's call. The router held none before, so "
        "the return pays for a new custody entry (300,000); a second round (router sends 3, "
        "gets 2 back while holding 4) pays none. Custody after: router 6, returner 7.",
        ["17.6", "18.1", "18.6", "20.2", "19.1"],
    )
    b = v.block()
    _, returner = publish(v, b, wh.RETURNER)
    _, router = publish(v, b, wh.ROUTER)
    deploy, tok = deploy_issuer(v, b, "BACK", 1000, 1000)
    b = v.block()
    data = _id(returner) + _record(tok, 10) + _record(tok, 4)
    tx = call_tx(v, b, p.call(router, data, assets=[(tok, 10)]), In(deploy.out(0)))
    inner = wh.returner_fuel(new_key=True)
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 1000),
        ev.deposit(tx, router, tok, 10),
        ev.deposit(tx, returner, tok, 10, router),
        ev.returned(tx, returner, tok, 4, router),
        ev.call(tx, returner, inner, EMPTY_DIGEST, router),
        ev.call(tx, router, wh.router_fuel(inner, wh.RETURNER), EMPTY_DIGEST),
        ev.credit(tx, 0, tok, 990),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 990})
    v.ledger.contracts[router].custody[tok] = 4
    v.ledger.contracts[returner].custody[tok] = 6
    b = v.block()
    data = _id(returner) + _record(tok, 3) + _record(tok, 2)
    again = call_tx(v, b, p.call(router, data, assets=[(tok, 3)]), In(tx.out(0)))
    inner = wh.returner_fuel(new_key=False)
    b.expect(
        ev.debit(again, tx.out(0), tok, 990),
        ev.deposit(again, router, tok, 3),
        ev.deposit(again, returner, tok, 3, router),
        ev.returned(again, returner, tok, 2, router),
        ev.call(again, returner, inner, EMPTY_DIGEST, router),
        ev.call(again, router, wh.router_fuel(inner, wh.RETURNER), EMPTY_DIGEST),
        ev.credit(again, 0, tok, 987),
    )
    v.ledger.spend(tx.out(0))
    v.ledger.hold(again.out(0), {tok: 987})
    v.ledger.contracts[router].custody[tok] = 6
    v.ledger.contracts[returner].custody[tok] = 7
    return v.finish()


def send_to_caller_traps() -> dict[str, Any]:
    v = contract_vector(
        "host-send-to-caller-traps",
        "send_to_caller fails: called by the transaction (depth 1) it is no_calling_contract, "
        "before its arguments (amount 0 here); returning more than the callee holds is "
        "custody_insufficient and returning 0 invalid_host_argument, each trapping the "
        "router too, so the whole message is rejected and the pool settles as with no "
        "message; an asset pointer out of range is memory_out_of_bounds.",
        ["17.6", "17.2", "19.1", "19.2"],
    )
    b = v.block()
    _, returner = publish(v, b, wh.RETURNER)
    _, router = publish(v, b, wh.ROUTER)
    _, caller = publish(v, b, wh.CALLER)
    _, bad = publish(v, b, wh.RETURN_BAD_POINTER)
    deploy, tok = deploy_issuer(v, b, "FAIL", 1000, 1000)
    b = v.block()
    trap(v, b, p.call(returner, _record(tok, 0)), "no_calling_contract")
    spent = deploy.out(0)
    for back, reason in ((6, "custody_insufficient"), (0, "invalid_host_argument")):
        data = _id(returner) + _record(tok, 5) + _record(tok, back)
        tx = call_tx(v, b, p.call(router, data, assets=[(tok, 5)]), In(spent))
        b.expect(
            ev.debit(tx, spent, tok, 1000),
            ev.rejected(tx, reason),
            ev.credit(tx, 0, tok, 1000),
        )
        v.ledger.spend(spent)
        spent = tx.out(0)
        v.ledger.hold(spent, {tok: 1000})
    trap(v, b, p.call(caller, _id(bad)), "memory_out_of_bounds")
    return v.finish()


# --- §17.7 call_view ------------------------------------------------------------------------


def call_view() -> dict[str, Any]:
    v = contract_vector(
        "host-call-view",
        "VIEWER views PONG and logs its return data 'pong'; then views VIEW_RELAY, which "
        "views PONG in turn (a view inside a view) and returns the same. A read-only call "
        "leaves no call event of its own: only the viewer's log and call events appear, "
        "and the viewer's fuel includes the views' (call_view 20,000 + input bytes + the view "
        "start of the callee (400,000 + 2 per module byte) + its fuel).",
        ["17.7", "20.2"],
    )
    b = v.block()
    _, pong = publish(v, b, wat.PONG)
    _, viewer = publish(v, b, wh.VIEWER)
    _, relay = publish(v, b, wh.VIEW_RELAY)
    b = v.block()
    tx = call_tx(v, b, p.call(viewer, _id(pong)))
    fuel = wh.viewer_fuel(8, 4, wat.PONG_FUEL, wat.PONG)
    b.expect(ev.log(tx, viewer, b"pong"), ev.call(tx, viewer, fuel, EMPTY_DIGEST))
    tx = call_tx(v, b, p.call(viewer, _id(relay) + _id(pong)))
    inner = wh.view_relay_fuel(4, wat.PONG_FUEL, wat.PONG)
    fuel = wh.viewer_fuel(16, 4, inner, wh.VIEW_RELAY)
    b.expect(ev.log(tx, viewer, b"pong"), ev.call(tx, viewer, fuel, EMPTY_DIGEST))
    return v.finish()


def call_view_traps() -> dict[str, Any]:
    v = contract_vector(
        "host-call-view-traps",
        "In a read-only call every state-changing function traps with read_only_call before "
        "its own checks: storage_set (FORWARD), emit (LOG), call_contract (CALLER, even with "
        "no assets, of PONG which changes nothing), send_to_caller (RETURNER). A view is a "
        "nested call for the other "
        "rules: of itself reentrant_call, of an unknown id unknown_contract, of a trapping "
        "callee that trap's reason (unreachable); 65,537 bytes of input is "
        "invalid_host_argument before the id's range.",
        ["17.7", "17.4", "17.2", "19.2"],
    )
    b = v.block()
    _, viewer = publish(v, b, wh.VIEWER)
    _, forward = publish(v, b, wat.FORWARD)
    _, log = publish(v, b, wat.LOG)
    _, caller = publish(v, b, wh.CALLER)
    _, returner = publish(v, b, wh.RETURNER)
    _, unreachable = publish(v, b, wat.UNREACHABLE)
    _, long = publish(v, b, wh.VIEW_LONG_BAD_POINTER)
    _, pong = publish(v, b, wat.PONG)
    b = v.block()
    for data, reason in (
        (_id(forward), "read_only_call"),
        (_id(log), "read_only_call"),
        (_id(caller) + _id(pong), "read_only_call"),
        (_id(returner) + bytes(28), "read_only_call"),
        (_id(viewer), "reentrant_call"),
        (Tok(1, 99).raw(), "unknown_contract"),
        (_id(unreachable), "unreachable"),
    ):
        trap(v, b, p.call(viewer, data), reason)
    trap(v, b, p.call(long), "invalid_host_argument")
    return v.finish()


VECTORS = [
    schnorr,
    schnorr_traps,
    clock,
    send_to_caller,
    send_to_caller_traps,
    call_view,
    call_view_traps,
]
