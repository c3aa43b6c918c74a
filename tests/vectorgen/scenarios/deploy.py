"""Deploy scenarios (spec §6.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.model import Terms, TokenState
from tests.vectorgen.scenarios.common import next_tok, rejected_alone, rejected_ops
from tests.vectorgen.txbuild import carrier, pay
from tests.vectorgen.vector import Vector

OPEN = Terms(10, 100)
TERMS = p.terms(10, 100)


def _open_deploy(v: Vector, ticker: str, max_supply: int = 1000, decimals: int = 0) -> None:
    b = v.current
    tok = next_tok(b)
    op = p.deploy(ticker, max_supply, decimals=decimals or None, mint_terms=TERMS)
    tx = b.tx([v.fund()], [pay(), carrier(p.message(op))])
    b.expect(ev.deploy(tx, tok, ticker, max_supply, decimals=decimals, terms=OPEN))
    v.ledger.token(tok, TokenState(ticker, max_supply, tx.txid, decimals=decimals, terms=OPEN))


def open_mint() -> dict[str, Any]:
    v = Vector(
        "deploy-open-mint",
        "An open-mint deploy with decimals and a full window, then a mint in the next block.",
        ["6.2", "6.2.2", "6.2.3", "6.3"],
    )
    b = v.block()
    tok = next_tok(b)
    terms = Terms(50, 3, 1, 100)
    op = p.deploy("OPEN", 150, decimals=8, mint_terms=p.terms(50, 3, 1, 100))
    tx = b.tx([v.fund()], [pay(), carrier(p.message(op))])
    b.expect(ev.deploy(tx, tok, "OPEN", 150, decimals=8, terms=terms))
    v.ledger.token(tok, TokenState("OPEN", 150, tx.txid, decimals=8, terms=terms))
    b = v.block()
    mint = b.tx([v.fund()], [carrier(p.message(p.mint(tok))), pay()])
    b.expect(ev.mint(mint, 1, tok, 50), ev.credit(mint, 1, tok, 50))
    v.ledger.hold(mint.out(1), {tok: 50})
    v.ledger.update(tok, minted=50, mints=1)
    return v.finish()


def issuer() -> dict[str, Any]:
    v = Vector(
        "deploy-issuer",
        "An issuer deploy without premine: a deploy event and an authority bound to output 1.",
        ["6.2", "6.2.3", "7.7"],
    )
    b = v.block()
    tok = next_tok(b)
    op = p.deploy("ISSUE", 10**6, decimals=2, authority=1)
    tx = b.tx([v.fund()], [pay(), pay(), carrier(p.message(op))])
    b.expect(ev.deploy(tx, tok, "ISSUE", 10**6, decimals=2), ev.authority(tx, tok, 1))
    v.ledger.hold(tx.out(1), auth=(tok,))
    v.ledger.token(tok, TokenState("ISSUE", 10**6, tx.txid, decimals=2, authority=tx.out(1)))
    return v.finish()


def premine() -> dict[str, Any]:
    v = Vector(
        "deploy-premine",
        "Premine to an explicit premine output; premine of an open-mint token to the target "
        "named by the pointer; premine and authority on the same output.",
        ["6.2", "6.2.3", "7.5", "9.3"],
    )
    b = v.block()
    tok = next_tok(b)
    op = p.deploy("PRE", 1000, authority=1, premine=500, premine_out=2)
    tx = b.tx([v.fund()], [pay(), pay(), pay(), carrier(p.message(op))])
    b.expect(
        ev.deploy(tx, tok, "PRE", 1000),
        ev.authority(tx, tok, 1),
        ev.mint(tx, 2, tok, 500),
        ev.credit(tx, 2, tok, 500),
    )
    v.ledger.hold(tx.out(1), auth=(tok,))
    v.ledger.hold(tx.out(2), {tok: 500})
    v.ledger.token(tok, TokenState("PRE", 1000, tx.txid, minted=500, authority=tx.out(1)))

    tok2 = next_tok(b)
    op = p.deploy("PREOPEN", 1000, mint_terms=TERMS, premine=70)
    tx2 = b.tx([v.fund()], [carrier(p.message(op, pointer=2)), pay(), pay()])
    b.expect(
        ev.deploy(tx2, tok2, "PREOPEN", 1000, terms=OPEN),
        ev.mint(tx2, 2, tok2, 70),
        ev.credit(tx2, 2, tok2, 70),
    )
    v.ledger.hold(tx2.out(2), {tok2: 70})
    v.ledger.token(tok2, TokenState("PREOPEN", 1000, tx2.txid, minted=70, terms=OPEN))

    tok3 = next_tok(b)
    op = p.deploy("BOTH", 1000, authority=0, premine=1000, premine_out=0)
    tx3 = b.tx([v.fund()], [pay(), carrier(p.message(op))])
    b.expect(
        ev.deploy(tx3, tok3, "BOTH", 1000),
        ev.authority(tx3, tok3, 0),
        ev.mint(tx3, 0, tok3, 1000),
        ev.credit(tx3, 0, tok3, 1000),
    )
    v.ledger.hold(tx3.out(0), {tok3: 1000}, auth=(tok3,))
    v.ledger.token(tok3, TokenState("BOTH", 1000, tx3.txid, minted=1000, authority=tx3.out(0)))
    return v.finish()


def decimals() -> dict[str, Any]:
    v = Vector(
        "deploy-decimals",
        "Decimals 18 is accepted; 19 is invalid_deploy; 2**64 is integer_out_of_range.",
        ["6.2", "6.2.1"],
    )
    b = v.block()
    _open_deploy(v, "DEC", decimals=18)
    rejected_alone(
        v, b, p.message(p.deploy("DECB", 1000, decimals=19, mint_terms=TERMS)), "invalid_deploy"
    )
    big = p.deploy("DECC", 1000, decimals=2**64, mint_terms=TERMS)
    rejected_alone(v, b, p.message(big), "integer_out_of_range")
    return v.finish()


def ticker_length() -> dict[str, Any]:
    v = Vector(
        "ticker-length",
        "Tickers of 3 and 12 characters are accepted; 2 and 13 are invalid_ticker.",
        ["6.2.1"],
    )
    b = v.block()
    rejected_alone(v, b, p.message(p.deploy("AB", 1000, mint_terms=TERMS)), "invalid_ticker")
    _open_deploy(v, "ABC")
    _open_deploy(v, "ABCDEFGHIJ12")
    bad = p.deploy("ABCDEFGHIJ123", 1000, mint_terms=TERMS)
    rejected_alone(v, b, p.message(bad), "invalid_ticker")
    return v.finish()


def ticker_charset() -> dict[str, Any]:
    v = Vector(
        "ticker-charset",
        "Lower case, a digit first, punctuation, a space and non-ASCII are invalid_ticker; "
        "digits after the first letter are fine; a ticker given as bytes is invalid_message.",
        ["6.2.1", "5.3"],
    )
    b = v.block()
    for ticker in ("abc", "Abc", "1AB", "AB-C", "AB C", "ÄBC"):
        rejected_alone(v, b, p.message(p.deploy(ticker, 1000, mint_terms=TERMS)), "invalid_ticker")
    _open_deploy(v, "A1B2")
    as_bytes = {0: 1, 1: b"XYZ", 3: 1000, 4: TERMS}
    rejected_alone(v, b, p.message(as_bytes), "invalid_message")
    return v.finish()


def ticker_taken_same_block() -> dict[str, Any]:
    v = Vector(
        "ticker-taken-same-block",
        "The second deploy of a ticker in the same block is ticker_taken.",
        ["6.2.1"],
    )
    b = v.block()
    _open_deploy(v, "SAME")
    rejected_alone(v, b, p.message(p.deploy("SAME", 5, authority=0)), "ticker_taken")
    return v.finish()


def ticker_taken_later_block() -> dict[str, Any]:
    v = Vector(
        "ticker-taken-later-block",
        "A rejected deploy does not take its ticker; the first accepted one does, forever.",
        ["6.2.1"],
    )
    b = v.block()
    bad = p.deploy("LATE", 1000, decimals=19, mint_terms=TERMS)
    rejected_alone(v, b, p.message(bad), "invalid_deploy")
    _open_deploy(v, "LATE")
    b = v.block()
    rejected_alone(v, b, p.message(p.deploy("LATE", 1000, mint_terms=TERMS)), "ticker_taken")
    return v.finish()


def one_deploy_per_message() -> dict[str, Any]:
    v = Vector(
        "one-deploy-per-message",
        "Two deploys in one message (different tickers) are invalid_deploy; neither happens.",
        ["6.2.1", "5.5"],
    )
    b = v.block()
    ops = (p.deploy("ONE", 10, mint_terms=p.terms(1, 10)), p.deploy("TWO", 10, authority=0))
    rejected_alone(v, b, p.message(*ops), "invalid_deploy")
    return v.finish()


def invalid_deploy() -> dict[str, Any]:
    v = Vector(
        "deploy-invalid-parameters",
        "invalid_deploy: max supply 0; terms and authority; neither; amount per mint above "
        "max supply; premine output without premine; cap 0; start equal to end. A bad "
        "ticker with bad decimals is invalid_ticker (rule 1 first).",
        ["6.2.1", "6.2.2"],
    )
    b = v.block()
    cases = [
        p.deploy("BAD", 0, mint_terms=TERMS),
        p.deploy("BAD", 1000, mint_terms=TERMS, authority=0),
        p.deploy("BAD", 1000),
        p.deploy("BAD", 9, mint_terms=TERMS),
        p.deploy("BAD", 1000, authority=0, premine_out=0),
        p.deploy("BAD", 1000, mint_terms=p.terms(10, 0)),
        p.deploy("BAD", 1000, mint_terms=p.terms(10, 5, 7, 7)),
    ]
    for op in cases:
        rejected_alone(v, b, p.message(op), "invalid_deploy")
    bad_both = p.deploy("bad", 1000, decimals=19, mint_terms=TERMS)
    rejected_alone(v, b, p.message(bad_both), "invalid_ticker")
    return v.finish()


def deploy_other_reasons() -> dict[str, Any]:
    v = Vector(
        "deploy-amount-output-supply",
        "Premine 0 and terms amount 0 are invalid_amount; premine above max supply is "
        "supply_exceeded; an OP_RETURN authority output and an out-of-range premine output are "
        "invalid_output; missing ticker or max supply is invalid_message.",
        ["6.1", "6.2.1", "6.2.2", "5.3"],
    )
    b = v.block()
    cases: list[tuple[dict[int, Any], str]] = [
        (p.deploy("BAD", 1000, authority=0, premine=0), "invalid_amount"),
        (p.deploy("BAD", 1000, mint_terms=p.terms(0, 5)), "invalid_amount"),
        (p.deploy("BAD", 1000, authority=0, premine=1001), "supply_exceeded"),
        (p.deploy("BAD", 1000, authority=1), "invalid_output"),
        (p.deploy("BAD", 1000, authority=0, premine=5, premine_out=7), "invalid_output"),
        ({0: 1, 3: 1000, 4: TERMS}, "invalid_message"),
        ({0: 1, 1: "BAD", 4: TERMS}, "invalid_message"),
    ]
    rejected_ops(v, b, cases)
    return v.finish()


def no_spendable_output() -> dict[str, Any]:
    v = Vector(
        "deploy-no-spendable-output",
        "An open-mint deploy needs no output and is accepted in a transaction whose only output "
        "is its carrier; a premine there has no target and is invalid_output.",
        ["6.2.1", "7.4"],
    )
    b = v.block()
    tok = next_tok(b)
    tx = b.tx([v.fund()], [carrier(p.message(p.deploy("NOOUT", 1000, mint_terms=TERMS)))])
    b.expect(ev.deploy(tx, tok, "NOOUT", 1000, terms=OPEN))
    v.ledger.token(tok, TokenState("NOOUT", 1000, tx.txid, terms=OPEN))
    payload = p.message(p.deploy("NOOUTPRE", 1000, mint_terms=TERMS, premine=5))
    tx2 = b.tx([v.fund()], [carrier(payload)])
    b.expect(ev.rejected(tx2, "invalid_output"))
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [
    open_mint,
    issuer,
    premine,
    decimals,
    ticker_length,
    ticker_charset,
    ticker_taken_same_block,
    ticker_taken_later_block,
    one_deploy_per_message,
    invalid_deploy,
    deploy_other_reasons,
    no_spendable_output,
]
