"""Carrier scenarios: OP_RETURN and taproot envelopes (spec §3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.model import Terms, TokenState
from tests.vectorgen.scenarios.common import (
    deploy_open,
    next_tok,
    rejected_script,
    witness_deploy,
)
from tests.vectorgen.script import (
    ENVELOPE_OPEN,
    MAGIC_PUSH,
    OP_ENDIF,
    OP_RETURN,
    envelope,
    push,
    pushdata1,
)
from tests.vectorgen.txbuild import In, carrier, envelope_in, envelope_witness, pay
from tests.vectorgen.vector import Vector

OPEN = Terms(10, 100)
DEPLOY = p.message(p.deploy("ENV", 1000, mint_terms=p.terms(10, 100)))


def opreturn_single_push() -> dict[str, Any]:
    v = Vector("opreturn-single-push", "A deploy and a mint, each in one OP_RETURN push.", ["3.2"])
    b = v.block()
    _, tok = deploy_open(v, b, "ONEPUSH", 1000, OPEN)
    mint = b.tx([v.fund()], [pay(), carrier(p.message(p.mint(tok)))])
    b.expect(ev.mint(mint, 0, tok, 10), ev.credit(mint, 0, tok, 10))
    v.ledger.hold(mint.out(0), {tok: 10})
    v.ledger.update(tok, minted=10, mints=1)
    return v.finish()


def opreturn_extra_pushes() -> dict[str, Any]:
    v = Vector(
        "opreturn-extra-pushes",
        "The payload split over four pushes after the magic (one empty, one a non-minimal "
        "OP_PUSHDATA1); all concatenate.",
        ["3.2.1", "3.2.3"],
    )
    b = v.block()
    tok = next_tok(b)
    payload = p.message(p.deploy("SPLIT", 500, mint_terms=p.terms(5, 100)))
    script = OP_RETURN + MAGIC_PUSH + push(payload[:3]) + b"\x00"
    script += pushdata1(payload[3:11]) + push(payload[11:])
    tx = b.tx([v.fund()], [pay(), script])
    b.expect(ev.deploy(tx, tok, "SPLIT", 500, terms=Terms(5, 100)))
    v.ledger.token(tok, TokenState("SPLIT", 500, tx.txid, terms=Terms(5, 100)))
    return v.finish()


def opreturn_non_minimal_magic() -> dict[str, Any]:
    v = Vector(
        "opreturn-non-minimal-magic",
        "The magic pushed with OP_PUSHDATA1 or OP_PUSHDATA2 is not the magic: no carrier, "
        "the transactions have no effect and the block no events.",
        ["3.1", "3.2.2"],
    )
    b = v.block()
    b.tx([v.fund()], [pay(), OP_RETURN + pushdata1(b"rstate") + push(DEPLOY)])
    b.tx([v.fund()], [pay(), OP_RETURN + b"\x4d\x06\x00rstate" + push(DEPLOY)])
    return v.finish()


def opreturn_malformed_nonpush() -> dict[str, Any]:
    v = Vector(
        "opreturn-malformed-nonpush",
        "A non-push after the magic (OP_1, OP_1NEGATE) makes the carrier malformed.",
        ["3.2.1", "3.2.3", "8"],
    )
    b = v.block()
    rejected_script(v, b, carrier(DEPLOY) + b"\x51", "malformed_carrier")
    rejected_script(v, b, OP_RETURN + MAGIC_PUSH + b"\x4f" + push(DEPLOY), "malformed_carrier")
    return v.finish()


def opreturn_malformed_truncated() -> dict[str, Any]:
    v = Vector(
        "opreturn-malformed-truncated",
        "A push after the magic whose length byte or data runs past the script end.",
        ["3.2.1", "3.2.3"],
    )
    b = v.block()
    rejected_script(v, b, carrier(DEPLOY) + b"\x4c", "malformed_carrier")
    rejected_script(v, b, OP_RETURN + MAGIC_PUSH + b"\x0a" + DEPLOY[:3], "malformed_carrier")
    return v.finish()


def opreturn_empty_payload() -> dict[str, Any]:
    v = Vector(
        "opreturn-empty-payload",
        "A carrier with nothing after the magic, or one empty push, carries the empty payload.",
        ["3.2.3", "4.1"],
    )
    b = v.block()
    rejected_script(v, b, OP_RETURN + MAGIC_PUSH, "invalid_cbor")
    rejected_script(v, b, OP_RETURN + MAGIC_PUSH + b"\x00", "invalid_cbor")
    return v.finish()


def two_opreturn_carriers() -> dict[str, Any]:
    v = Vector(
        "two-opreturn-carriers",
        "Two OP_RETURN carriers reject the message (even if one is malformed); a carrier next "
        "to a non-carrier OP_RETURN output is fine.",
        ["3.2.2", "3.4"],
    )
    b = v.block()
    tx = b.tx([v.fund()], [pay(), carrier(DEPLOY), carrier(DEPLOY)])
    b.expect(ev.rejected(tx, "multiple_carriers"))
    tx = b.tx([v.fund()], [carrier(DEPLOY), pay(), carrier(DEPLOY) + b"\x51"])
    b.expect(ev.rejected(tx, "multiple_carriers"))
    tok = next_tok(b)
    tx = b.tx([v.fund()], [b"\x6a\x04abcd", carrier(DEPLOY), pay()])
    b.expect(ev.deploy(tx, tok, "ENV", 1000, terms=OPEN))
    v.ledger.token(tok, TokenState("ENV", 1000, tx.txid, terms=OPEN))
    return v.finish()


def envelope_single_chunk() -> dict[str, Any]:
    v = Vector(
        "envelope-single-chunk",
        "A deploy and a mint each in a one-chunk taproot envelope.",
        ["3.3.1", "3.3.2"],
    )
    b = v.block()
    tok = next_tok(b)
    deploy = b.tx([envelope_in(v.fund_point(), DEPLOY)], [pay()])
    b.expect(ev.deploy(deploy, tok, "ENV", 1000, terms=OPEN))
    mint = b.tx([envelope_in(v.fund_point(), p.message(p.mint(tok)))], [pay(), pay()])
    b.expect(ev.mint(mint, 0, tok, 10), ev.credit(mint, 0, tok, 10))
    v.ledger.token(tok, TokenState("ENV", 1000, deploy.txid, minted=10, mints=1, terms=OPEN))
    v.ledger.hold(mint.out(0), {tok: 10})
    return v.finish()


def _padded_deploy(ticker: str, pad: int) -> bytes:
    """A deploy message padded by an ignored odd key 3 holding ``pad`` bytes."""
    return p.message(p.deploy(ticker, 1000, mint_terms=p.terms(10, 100)), k3=b"\xab" * pad)


def envelope_multi_chunk() -> dict[str, Any]:
    v = Vector(
        "envelope-multi-chunk",
        "A payload over several envelope chunks of exactly 520 bytes (the largest allowed) and "
        "a last shorter one; a second envelope uses many 100-byte chunks.",
        ["3.3.2", "5.4"],
    )
    b = v.block()
    payload = _padded_deploy("BIG", 1200)
    assert len(payload) > 1040
    tok = next_tok(b)
    tx = b.tx([envelope_in(v.fund_point(), payload, 520)], [pay()])
    b.expect(ev.deploy(tx, tok, "BIG", 1000, terms=OPEN))
    v.ledger.token(tok, TokenState("BIG", 1000, tx.txid, terms=OPEN))
    tok2 = next_tok(b)
    tx2 = b.tx([envelope_in(v.fund_point(), _padded_deploy("BIGGER", 700), 100)], [pay()])
    b.expect(ev.deploy(tx2, tok2, "BIGGER", 1000, terms=OPEN))
    v.ledger.token(tok2, TokenState("BIGGER", 1000, tx2.txid, terms=OPEN))
    return v.finish()


def _envelope_tx(v: Vector, body: bytes, reason: str | None) -> None:
    """One transaction whose only input carries ``body`` in its tapscript."""
    b = v.current
    tx = b.tx([In(v.fund_point(), envelope_witness(body))], [pay()])
    if reason is not None:
        b.expect(ev.rejected(tx, reason))


def envelope_chunk_521() -> dict[str, Any]:
    v = Vector(
        "envelope-chunk-521",
        "An envelope chunk of 521 bytes makes the envelope malformed.",
        ["3.3.2", "8"],
    )
    v.block()
    _envelope_tx(v, envelope(_padded_deploy("BIG", 1200), 521), "malformed_envelope")
    return v.finish()


def envelope_truncated() -> dict[str, Any]:
    v = Vector(
        "envelope-truncated",
        "An envelope whose script ends before OP_ENDIF, and one with a truncated push inside.",
        ["3.3.2"],
    )
    v.block()
    _envelope_tx(v, ENVELOPE_OPEN + push(DEPLOY), "malformed_envelope")
    _envelope_tx(v, ENVELOPE_OPEN + push(DEPLOY) + b"\x4c\xff\x00\x01", "malformed_envelope")
    return v.finish()


def envelope_empty_body() -> dict[str, Any]:
    v = Vector(
        "envelope-empty-body",
        "An envelope with no push before OP_ENDIF is a carrier with the empty payload.",
        ["3.3.2", "4.1"],
    )
    v.block()
    _envelope_tx(v, ENVELOPE_OPEN + OP_ENDIF, "invalid_cbor")
    return v.finish()


def envelope_nonpush_inside() -> dict[str, Any]:
    v = Vector(
        "envelope-nonpush-inside",
        "A non-push (OP_1, OP_DROP) inside an envelope body makes it malformed.",
        ["3.3.2"],
    )
    v.block()
    _envelope_tx(v, ENVELOPE_OPEN + push(DEPLOY) + b"\x51" + OP_ENDIF, "malformed_envelope")
    _envelope_tx(v, ENVELOPE_OPEN + b"\x75" + push(DEPLOY) + OP_ENDIF, "malformed_envelope")
    return v.finish()


def envelope_inside_push() -> dict[str, Any]:
    v = Vector(
        "envelope-inside-push",
        "Envelope bytes inside a push's data are not at an operation boundary: no carrier.",
        ["3.3.2"],
    )
    v.block()
    _envelope_tx(v, push(envelope(DEPLOY)) + b"\x75", None)
    return v.finish()


def envelope_foreign_ignored() -> dict[str, Any]:
    v = Vector(
        "envelope-foreign-ignored",
        "An ordinals 'ord' envelope, and an envelope whose magic is pushed with OP_PUSHDATA1, "
        "are not envelopes of this protocol.",
        ["3.1", "3.3.2"],
    )
    v.block()
    ordinal = b"\x00\x63" + push(b"ord") + b"\x01\x01" + push(b"text/plain") + b"\x00"
    _envelope_tx(v, ordinal + push(b"hello") + OP_ENDIF, None)
    _envelope_tx(v, b"\x00\x63" + pushdata1(b"rstate") + push(DEPLOY) + OP_ENDIF, None)
    return v.finish()


def envelope_with_annex() -> dict[str, Any]:
    v = Vector(
        "envelope-with-annex",
        "With an annex (last element starting 0x50) the envelope is still read from the "
        "tapscript before it.",
        ["3.3.1"],
    )
    b = v.block()
    witness_deploy(v, b, envelope_witness(envelope(DEPLOY), annex=b"\x50\x01\x02\x03"), "ENV", OPEN)
    return v.finish()


def envelope_only_in_annex() -> dict[str, Any]:
    v = Vector(
        "envelope-only-in-annex",
        "An envelope inside the annex is never read: after a script-path tapscript without "
        "one, and after a key-path signature.",
        ["3.3.1"],
    )
    b = v.block()
    annex = b"\x50" + envelope(DEPLOY)
    b.tx([In(v.fund_point(), envelope_witness(b"", annex=annex))], [pay()])
    b.tx([In(v.fund_point(), (b"\x5a" * 64, annex))], [pay()])
    return v.finish()


def keypath_envelope_ignored() -> dict[str, Any]:
    v = Vector(
        "keypath-envelope-ignored",
        "A one-element witness (key-path shape) holding envelope bytes has no tapscript.",
        ["3.3.1"],
    )
    b = v.block()
    b.tx([In(v.fund_point(), (envelope(DEPLOY),))], [pay()])
    return v.finish()


def bad_control_blocks() -> dict[str, Any]:
    v = Vector(
        "bad-control-blocks",
        "Control blocks of 32, 34 and 33+32*129 bytes, or with leaf version 0xc2, make the "
        "element before them no tapscript; a 0xc1 control block of 33+32*128 bytes is valid.",
        ["3.3.1"],
    )
    b = v.block()
    key = b"\x22" * 32
    for control in (
        b"\xc0" + key[:31],
        b"\xc0" + key + b"\x00",
        b"\xc0" + key * 130,
        b"\xc2" + key,
    ):
        b.tx([In(v.fund_point(), envelope_witness(envelope(DEPLOY), control))], [pay()])
    control = b"\xc1" + key + key * 128
    witness_deploy(v, b, envelope_witness(envelope(DEPLOY), control), "ENV", OPEN)
    return v.finish()


def truncated_push_outside_envelope() -> dict[str, Any]:
    v = Vector(
        "truncated-push-outside-envelope",
        "A truncated push after a well-formed envelope leaves it valid; one before an envelope "
        "ends the search without error (no carrier).",
        ["3.3.2"],
    )
    b = v.block()
    witness_deploy(v, b, envelope_witness(envelope(DEPLOY) + b"\x4c"), "ENV", OPEN)
    _envelope_tx(v, b"\x4d\xff\xff" + envelope(DEPLOY), None)
    return v.finish()


def two_envelopes() -> dict[str, Any]:
    v = Vector(
        "two-envelopes",
        "Two envelopes in one tapscript, or one in each of two inputs: multiple_carriers.",
        ["3.4"],
    )
    b = v.block()
    _envelope_tx(v, envelope(DEPLOY) + envelope(DEPLOY), "multiple_carriers")
    tx = b.tx([envelope_in(v.fund_point(), DEPLOY), envelope_in(v.fund_point(), DEPLOY)], [pay()])
    b.expect(ev.rejected(tx, "multiple_carriers"))
    return v.finish()


def envelope_and_opreturn() -> dict[str, Any]:
    v = Vector(
        "envelope-and-opreturn",
        "An envelope and an OP_RETURN carrier in one transaction: multiple_carriers.",
        ["3.4"],
    )
    b = v.block()
    tx = b.tx([envelope_in(v.fund_point(), DEPLOY)], [pay(), carrier(DEPLOY)])
    b.expect(ev.rejected(tx, "multiple_carriers"))
    return v.finish()


def malformed_envelope_stops_search() -> dict[str, Any]:
    v = Vector(
        "malformed-envelope-stops-search",
        "After a malformed envelope the tapscript is not searched further (one malformed "
        "carrier); after a well-formed one it is (two carriers). Other inputs are still "
        "searched: a malformed envelope in input 0 and a good one in input 1 are two carriers.",
        ["3.3.2", "3.4"],
    )
    v.block()
    bad = ENVELOPE_OPEN + push(DEPLOY) + b"\x51" + OP_ENDIF
    _envelope_tx(v, bad + envelope(DEPLOY), "malformed_envelope")
    _envelope_tx(v, envelope(DEPLOY) + bad, "multiple_carriers")
    b = v.current
    bad_in = In(v.fund_point(), envelope_witness(bad))
    tx = b.tx([bad_in, envelope_in(v.fund_point(), DEPLOY)], [pay()])
    b.expect(ev.rejected(tx, "multiple_carriers"))
    return v.finish()


def coinbase_carrier_ignored() -> dict[str, Any]:
    v = Vector(
        "coinbase-carrier-ignored",
        "A coinbase transaction with an OP_RETURN carrier holding a valid deploy is ignored.",
        ["3.5"],
    )
    v.block(coinbase_outputs=[carrier(DEPLOY)])
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [
    opreturn_single_push,
    opreturn_extra_pushes,
    opreturn_non_minimal_magic,
    opreturn_malformed_nonpush,
    opreturn_malformed_truncated,
    opreturn_empty_payload,
    two_opreturn_carriers,
    envelope_single_chunk,
    envelope_multi_chunk,
    envelope_chunk_521,
    envelope_truncated,
    envelope_empty_body,
    envelope_nonpush_inside,
    envelope_inside_push,
    envelope_foreign_ignored,
    envelope_with_annex,
    envelope_only_in_annex,
    keypath_envelope_ignored,
    bad_control_blocks,
    truncated_push_outside_envelope,
    two_envelopes,
    envelope_and_opreturn,
    malformed_envelope_stops_search,
    coinbase_carrier_ignored,
]
