"""Rules an independent reading of the v1 text left open, each pinned by a vector.

Every scenario here is built so that the opposite reading of its rule gives other events,
reasons or state (the changelog at the end of spec/PROTOCOL.md names the rules).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.model import Terms, TokenState
from tests.vectorgen.scenarios.cbor import msg
from tests.vectorgen.scenarios.common import (
    deploy_issuer,
    deploy_open,
    next_tok,
    rejected_alone,
    rejected_ops,
    witness_deploy,
)
from tests.vectorgen.script import envelope
from tests.vectorgen.txbuild import In, carrier, envelope_witness, pay
from tests.vectorgen.vector import Vector

OPEN = Terms(10, 100)
TERMS = p.terms(10, 100)
DEEP = 100_000


def bignum_is_unsigned_integer() -> dict[str, Any]:
    v = Vector(
        "bignum-is-unsigned-integer",
        "A tag-2 bignum is an unsigned integer wherever a field wants one: amounts above "
        "2**64 (bignums) transfer, burn and mint; the bignum 2**64 in a u32 or u64 field (a "
        "token reference part, an output, the pointer, the authority and premine outputs, the "
        "terms' cap and start) is integer_out_of_range, never invalid_message.",
        ["4.2", "5.3", "6.1.1"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "BIGNUM", 2**100, 2**70)
    b = v.block()
    ops = (p.transfer(tok, 2**65, 1), p.burn(tok, 2**64))
    tx = b.tx([In(deploy.out(0))], [pay(), pay(), carrier(p.message(*ops))])
    left = 2**70 - 2**65 - 2**64
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 2**70),
        ev.burn(tx, tok, 2**64, 0),
        ev.credit(tx, 0, tok, left),
        ev.credit(tx, 1, tok, 2**65),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: left})
    v.ledger.hold(tx.out(1), {tok: 2**65})
    mint = b.tx([In(deploy.out(1))], [pay(), carrier(p.message(p.mint(tok, 2**66, 0)))])
    b.expect(
        ev.mint(mint, 0, tok, 2**66),
        ev.credit(mint, 0, tok, 2**66),
        ev.authority(mint, tok, 0),
    )
    v.ledger.spend(deploy.out(1))
    v.ledger.hold(mint.out(0), {tok: 2**66}, auth=(tok,))
    v.ledger.update(tok, minted=2**70 + 2**66, burned=2**64, mints=1, authority=mint.out(0))
    big = 2**64
    for payload in (
        p.message({0: 3, 1: [big, 1], 2: 1, 3: 0}),
        p.message({0: 3, 1: [1, big], 2: 1, 3: 0}),
        p.message(p.transfer(tok, 1, big)),
        p.message(p.mint(tok, 1, big)),
        p.message(pointer=big),
        p.message(p.deploy("BIGOUT", 1000, authority=big)),
        p.message(p.deploy("BIGOUT", 1000, authority=0, premine=1, premine_out=big)),
        p.message(p.deploy("BIGOUT", 1000, mint_terms=p.terms(1, big))),
        p.message(p.deploy("BIGOUT", 1000, mint_terms=p.terms(1, 5, big))),
    ):
        rejected_alone(v, b, payload, "integer_out_of_range")
    return v.finish()


def token_reference_check_order() -> dict[str, Any]:
    v = Vector(
        "token-reference-check-order",
        "A token reference is checked in three passes over the whole array: its length, then "
        "every element's type, then every element's bound. [2**40, 'x'], ['x', 2**40], "
        "[2**40, [1]], [2**40, 1, 2, 3], [2**40] and [] are invalid_message in a transfer; "
        "[1, 2**40], [2**40, 2**40] and [2**40, 1, 2] (a contract-asset reference, which a "
        "transfer accepts) are integer_out_of_range; a mint accepts only two elements, so "
        "[2**40, 1, 2] there is invalid_message; the reference is read before the amount "
        "(a bad reference with amount 0 is not invalid_amount); [1, 2] names no token.",
        ["6.1.1", "5.3"],
    )
    b = v.block()
    big = 2**40
    cases: list[tuple[list[Any], int, str]] = [
        ([big, "x"], 1, "invalid_message"),
        (["x", big], 1, "invalid_message"),
        ([big, [1]], 1, "invalid_message"),
        ([big, 1, 2, 3], 1, "invalid_message"),
        ([big, 1, 2], 1, "integer_out_of_range"),
        ([big], 1, "invalid_message"),
        ([], 1, "invalid_message"),
        ([1, big], 1, "integer_out_of_range"),
        ([big, big], 1, "integer_out_of_range"),
        ([big, 1], 0, "integer_out_of_range"),
        ([1, 2], 1, "unknown_token"),
    ]
    for ref, amount, reason in cases:
        rejected_alone(v, b, p.message({0: 3, 1: ref, 2: amount, 3: 0}), reason)
    rejected_alone(v, b, p.message({0: 2, 1: [big, 1, 2]}), "invalid_message")
    return v.finish()


def utf8_per_chunk() -> dict[str, Any]:
    v = Vector(
        "cbor-utf8-per-chunk",
        "Each chunk of an indefinite-length text string must itself be UTF-8: 'é' split over "
        "two chunks (c3 | a9) is invalid_cbor even though the joined string is valid; the same "
        "string in one chunk is well-formed and then forbidden_cbor_item (indefinite length).",
        ["4.1", "4.2"],
    )
    b = v.block()
    rejected_alone(v, b, msg(extra="03 7f 61c3 61a9 ff"), "invalid_cbor")
    rejected_alone(v, b, msg(extra="03 7f 62c3a9 ff"), "forbidden_cbor_item")
    return v.finish()


def empty_last_witness_element() -> dict[str, Any]:
    v = Vector(
        "witness-empty-last-element",
        "An empty last witness element is not an annex (it has no first byte 0x50): it is "
        "taken as the control block, which is too short, so the input has no tapscript and "
        "its envelope is not read (no event). A one-byte annex 0x50 is removed and the "
        "envelope before it is read.",
        ["3.3.1"],
    )
    b = v.block()
    hidden = p.message(p.deploy("EMPTYLAST", 1000, mint_terms=TERMS))
    b.tx([In(v.fund_point(), envelope_witness(envelope(hidden), annex=b""))], [pay()])
    seen = p.message(p.deploy("SHORTANNEX", 1000, mint_terms=TERMS))
    witness_deploy(v, b, envelope_witness(envelope(seen), annex=b"\x50"), "SHORTANNEX", OPEN)
    return v.finish()


def endif_is_an_operation() -> dict[str, Any]:
    v = Vector(
        "envelope-endif-is-an-operation",
        "The envelope body ends at the first OP_ENDIF operation, not the first 0x68 byte: a "
        "byte 0x68 inside pushed data (the head of an 8-character ticker) and as the length "
        "byte of an OP_PUSHDATA1 push of 104 bytes leaves the envelope well-formed.",
        ["3.3.2"],
    )
    b = v.block()
    payload = p.message(p.deploy("ABCDEFGH", 1000, mint_terms=TERMS))
    assert b"\x68ABCDEFGH" in payload
    witness_deploy(v, b, envelope_witness(envelope(payload)), "ABCDEFGH", OPEN)
    padded = p.message(p.deploy("PUSH104", 1000, mint_terms=TERMS), k3=b"\xab" * 120)
    body = envelope(padded, 104)
    assert b"\x4c\x68" in body and len(padded) > 104
    witness_deploy(v, b, envelope_witness(body), "PUSH104", OPEN)
    return v.finish()


def target_definition() -> dict[str, Any]:
    v = Vector(
        "target-one-definition",
        "One target per transaction (§7.4). With an accepted message and a pointer it is the "
        "pointer output for operations (a mint without output, an open mint), leftovers and "
        "spent authorities alike; when the message is rejected the pointer is ignored and "
        "balances and authority go to the default output.",
        ["6.1", "7.4", "7.5", "7.6", "7.7"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "TGT", 1000, 100)
    _, open_tok = deploy_open(v, b, "TGTOPEN", 1000, OPEN)
    b = v.block()
    ops = (p.mint(open_tok), p.mint(tok, 5), p.transfer(tok, 30, 0))
    tx = b.tx(
        [In(deploy.out(0)), In(deploy.out(1))],
        [pay(), pay(), pay(), carrier(p.message(*ops, pointer=2))],
    )
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.mint(tx, 2, open_tok, 10),
        ev.mint(tx, 2, tok, 5),
        ev.credit(tx, 0, tok, 30),
        ev.credit(tx, 2, tok, 75),
        ev.credit(tx, 2, open_tok, 10),
        ev.authority(tx, tok, 2),
    )
    v.ledger.spend(deploy.out(0), deploy.out(1))
    v.ledger.hold(tx.out(0), {tok: 30})
    v.ledger.hold(tx.out(2), {tok: 75, open_tok: 10}, auth=(tok,))
    v.ledger.update(tok, minted=105, mints=1, authority=tx.out(2))
    v.ledger.update(open_tok, minted=10, mints=1)
    payload = p.message(p.transfer(tok, 1000, 1), pointer=1)
    tx2 = b.tx([In(tx.out(2))], [pay(), pay(), carrier(payload)])
    b.expect(
        ev.debit(tx2, tx.out(2), tok, 75),
        ev.debit(tx2, tx.out(2), open_tok, 10),
        ev.rejected(tx2, "insufficient_balance"),
        ev.credit(tx2, 0, tok, 75),
        ev.credit(tx2, 0, open_tok, 10),
        ev.authority(tx2, tok, 0),
    )
    v.ledger.spend(tx.out(2))
    v.ledger.hold(tx2.out(0), {tok: 75, open_tok: 10}, auth=(tok,))
    v.ledger.update(tok, authority=tx2.out(0))
    return v.finish()


def deploy_bound_authority() -> dict[str, Any]:
    v = Vector(
        "deploy-bound-authority-event",
        "A deploy's authority has exactly one event, emitted by the deploy right after its "
        "deploy event and naming the authority output (not the target); settlement binds it "
        "there without another event. The spent authority of another token in the same "
        "transaction moves to the target, with its event after the credits.",
        ["6.2.3", "7.7", "7.8"],
    )
    b = v.block()
    old_deploy, old = deploy_issuer(v, b, "OLD", 1000, 100)
    b = v.block()
    new = next_tok(b)
    ops = (
        p.deploy("NEW", 500, authority=2, premine=50, premine_out=0),
        p.transfer(old, 5, 0),
    )
    tx = b.tx(
        [In(old_deploy.out(0)), In(old_deploy.out(1))],
        [pay(), pay(), pay(), carrier(p.message(*ops, pointer=1))],
    )
    b.expect(
        ev.debit(tx, old_deploy.out(0), old, 100),
        ev.deploy(tx, new, "NEW", 500),
        ev.authority(tx, new, 2),
        ev.mint(tx, 0, new, 50),
        ev.credit(tx, 0, old, 5),
        ev.credit(tx, 0, new, 50),
        ev.credit(tx, 1, old, 95),
        ev.authority(tx, old, 1),
    )
    v.ledger.spend(old_deploy.out(0), old_deploy.out(1))
    v.ledger.hold(tx.out(0), {old: 5, new: 50})
    v.ledger.hold(tx.out(1), {old: 95}, auth=(old,))
    v.ledger.hold(tx.out(2), auth=(new,))
    v.ledger.update(old, authority=tx.out(1))
    v.ledger.token(new, TokenState("NEW", 500, tx.txid, minted=50, authority=tx.out(2)))
    return v.finish()


def terms_before_ticker() -> dict[str, Any]:
    v = Vector(
        "terms-checked-before-ticker",
        "The mint terms are read and fully checked at key 4, among the field reads, before "
        "the ticker rule: with the bad ticker 'bad', terms with cap 0 or an empty window are "
        "invalid_deploy, amount 0 is invalid_amount, an unknown even key or a non-map is "
        "invalid_message, start 2**32 is integer_out_of_range. Checks of rules 2-12 (max "
        "supply 0, premine 0) still come after the ticker: invalid_ticker.",
        ["6.2.1", "6.2.2", "5.3"],
    )
    b = v.block()
    cases: list[tuple[dict[int, Any], str]] = [
        (p.deploy("bad", 1000, mint_terms=p.terms(10, 0)), "invalid_deploy"),
        (p.deploy("bad", 1000, mint_terms=p.terms(10, 5, 7, 7)), "invalid_deploy"),
        (p.deploy("bad", 1000, mint_terms=p.terms(0, 5)), "invalid_amount"),
        (p.deploy("bad", 1000, mint_terms={0: 10, 1: 5, 4: 1}), "invalid_message"),
        (p.deploy("bad", 1000, mint_terms=[10, 5]), "invalid_message"),  # type: ignore[arg-type]
        (p.deploy("bad", 1000, mint_terms=p.terms(10, 5, 2**32)), "integer_out_of_range"),
        (p.deploy("bad", 0, mint_terms=TERMS), "invalid_ticker"),
        (p.deploy("bad", 1000, authority=0, premine=0), "invalid_ticker"),
    ]
    rejected_ops(v, b, cases)
    return v.finish()


def deep_nesting() -> dict[str, Any]:
    v = Vector(
        "cbor-deep-nesting",
        f"{DEEP:,} nested one-element arrays under an ignored odd key: legal input that a "
        "decoder must handle without recursing; forbidden_cbor_item (deeper than 8). The same "
        "nesting around a reserved head (0x1c) is invalid_cbor: well-formedness is checked "
        "over the whole payload before the profile.",
        ["4", "4.1", "4.2", "4.4"],
    )
    b = v.block()
    rejected_alone(v, b, msg(extra="03" + "81" * DEEP + "00"), "forbidden_cbor_item")
    rejected_alone(v, b, msg(extra="03" + "81" * DEEP + "1c"), "invalid_cbor")
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [
    bignum_is_unsigned_integer,
    token_reference_check_order,
    utf8_per_chunk,
    empty_last_witness_element,
    endif_is_an_operation,
    target_definition,
    deploy_bound_authority,
    terms_before_ticker,
    deep_nesting,
]
