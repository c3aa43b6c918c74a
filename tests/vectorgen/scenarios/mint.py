"""Mint scenarios (spec §6.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.model import Terms, Tok, TokenState
from tests.vectorgen.scenarios.common import deploy_issuer, deploy_open, next_tok, rejected_alone
from tests.vectorgen.txbuild import In, Tx, carrier, pay
from tests.vectorgen.vector import Block, Vector


def _mint_ok(v: Vector, b: Block, tok: Tok, amount: int, op: dict[int, Any] | None = None) -> Tx:
    """An accepted open mint to output 0 (the default target) from a funding input."""
    tx = b.tx([v.fund()], [pay(), carrier(p.message(op or p.mint(tok)))])
    b.expect(ev.mint(tx, 0, tok, amount), ev.credit(tx, 0, tok, amount))
    v.ledger.hold(tx.out(0), {tok: amount})
    return tx


def open_amount() -> dict[str, Any]:
    v = Vector(
        "mint-open-amount",
        "An open mint without an amount, with the terms' amount, and to an explicit output "
        "succeed; another amount or 0 is invalid_amount; an OP_RETURN output is invalid_output.",
        ["6.1", "6.3"],
    )
    b = v.block()
    _, tok = deploy_open(v, b, "OPEN", 1000, Terms(10, 100))
    b = v.block()
    _mint_ok(v, b, tok, 10)
    _mint_ok(v, b, tok, 10, p.mint(tok, 10))
    tx = b.tx([v.fund()], [pay(), pay(), carrier(p.message(p.mint(tok, out=1)))])
    b.expect(ev.mint(tx, 1, tok, 10), ev.credit(tx, 1, tok, 10))
    v.ledger.hold(tx.out(1), {tok: 10})
    rejected_alone(v, b, p.message(p.mint(tok, 11)), "invalid_amount")
    rejected_alone(v, b, p.message(p.mint(tok, 0)), "invalid_amount")
    rejected_alone(v, b, p.message(p.mint(tok, out=1)), "invalid_output")
    v.ledger.update(tok, minted=30, mints=3)
    return v.finish()


def window() -> dict[str, Any]:
    v = Vector(
        "mint-window",
        "Terms start 3, end 5: mints at heights 2 and 5 are mint_closed, at 3 and 4 accepted "
        "(start inclusive, end exclusive).",
        ["6.2.2", "6.3"],
    )
    terms = Terms(5, 100, 3, 5)
    b = v.block()
    _, tok = deploy_open(v, b, "WIN", 1000, terms)
    b = v.block()
    rejected_alone(v, b, p.message(p.mint(tok)), "mint_closed")
    for minted in (5, 10):
        b = v.block()
        _mint_ok(v, b, tok, 5)
        v.ledger.update(tok, minted=minted, mints=minted // 5)
    b = v.block()
    rejected_alone(v, b, p.message(p.mint(tok)), "mint_closed")
    return v.finish()


def cap() -> dict[str, Any]:
    v = Vector(
        "mint-cap-reached",
        "Cap 2: one mint, then a message with two mints (the second fails, so neither counts), "
        "a second mint, then mint_cap_reached.",
        ["6.3", "5.5"],
    )
    b = v.block()
    _, tok = deploy_open(v, b, "CAP", 1000, Terms(5, 2))
    b = v.block()
    _mint_ok(v, b, tok, 5)
    rejected_alone(v, b, p.message(p.mint(tok), p.mint(tok)), "mint_cap_reached")
    _mint_ok(v, b, tok, 5)
    rejected_alone(v, b, p.message(p.mint(tok)), "mint_cap_reached")
    v.ledger.update(tok, minted=10, mints=2)
    return v.finish()


def supply() -> dict[str, Any]:
    v = Vector(
        "mint-supply-exceeded",
        "Open mints of 10 with max supply 25: the third is supply_exceeded. An issuer mint of "
        "11 over a premine of 90 of 100 is supply_exceeded; 10 is accepted.",
        ["6.3"],
    )
    b = v.block()
    _, open_tok = deploy_open(v, b, "SUP", 25, Terms(10, 5))
    deploy, tok = deploy_issuer(v, b, "ISS", 100, 90)
    b = v.block()
    _mint_ok(v, b, open_tok, 10)
    _mint_ok(v, b, open_tok, 10)
    rejected_alone(v, b, p.message(p.mint(open_tok)), "supply_exceeded")
    v.ledger.update(open_tok, minted=20, mints=2)
    over = b.tx([In(deploy.out(1))], [pay(), carrier(p.message(p.mint(tok, 11)))])
    b.expect(ev.rejected(over, "supply_exceeded"), ev.authority(over, tok, 0))
    ok = b.tx([In(over.out(0))], [pay(), carrier(p.message(p.mint(tok, 10)))])
    b.expect(ev.mint(ok, 0, tok, 10), ev.credit(ok, 0, tok, 10), ev.authority(ok, tok, 0))
    v.ledger.spend(deploy.out(1))
    v.ledger.hold(ok.out(0), {tok: 10}, auth=(tok,))
    v.ledger.update(tok, minted=100, mints=1, authority=ok.out(0))
    return v.finish()


def issuer_mint() -> dict[str, Any]:
    v = Vector(
        "mint-issuer",
        "An issuer mint spending the authority succeeds and the authority moves to the "
        "target; a mint without spending it is unauthorized; an issuer mint without an amount "
        "is invalid_message, and the spent authority still moves.",
        ["6.3", "7.7", "7.8"],
    )
    b = v.block()
    tok = next_tok(b)
    op = p.deploy("AUTH", 1000, authority=1)
    deploy = b.tx([v.fund()], [pay(), pay(), carrier(p.message(op))])
    b.expect(ev.deploy(deploy, tok, "AUTH", 1000), ev.authority(deploy, tok, 1))
    v.ledger.hold(deploy.out(1), auth=(tok,))
    v.ledger.token(tok, TokenState("AUTH", 1000, deploy.txid, authority=deploy.out(1)))
    b = v.block()
    mint = b.tx(
        [v.fund(), In(deploy.out(1))], [pay(), pay(), carrier(p.message(p.mint(tok, 40, 1)))]
    )
    b.expect(ev.mint(mint, 1, tok, 40), ev.credit(mint, 1, tok, 40), ev.authority(mint, tok, 0))
    rejected_alone(v, b, p.message(p.mint(tok, 5)), "unauthorized")
    no_amount = b.tx([In(mint.out(0))], [carrier(p.message(p.mint(tok))), pay()])
    b.expect(ev.rejected(no_amount, "invalid_message"), ev.authority(no_amount, tok, 1))
    v.ledger.spend(deploy.out(1))
    v.ledger.hold(mint.out(1), {tok: 40})
    v.ledger.hold(no_amount.out(1), auth=(tok,))
    v.ledger.update(tok, minted=40, mints=1, authority=no_amount.out(1))
    return v.finish()


def in_deploying_message() -> dict[str, Any]:
    v = Vector(
        "mint-in-deploying-message",
        "An issuer token minted in its deploying message is unauthorized (nothing happens); an "
        "open-mint token can be minted there.",
        ["6.3", "5.5"],
    )
    b = v.block()
    tok = next_tok(b)
    ops = (p.deploy("SELF", 1000, authority=0), p.mint(tok, 5))
    rejected_alone(v, b, p.message(*ops), "unauthorized")
    tok2 = next_tok(b)
    ops = (p.deploy("SELFOPEN", 1000, mint_terms=p.terms(7, 10)), p.mint(tok2))
    tx = b.tx([v.fund()], [pay(), carrier(p.message(*ops))])
    terms = Terms(7, 10)
    b.expect(
        ev.deploy(tx, tok2, "SELFOPEN", 1000, terms=terms),
        ev.mint(tx, 0, tok2, 7),
        ev.credit(tx, 0, tok2, 7),
    )
    v.ledger.hold(tx.out(0), {tok2: 7})
    v.ledger.token(tok2, TokenState("SELFOPEN", 1000, tx.txid, minted=7, mints=1, terms=terms))
    return v.finish()


def unknown_token() -> dict[str, Any]:
    v = Vector(
        "unknown-token",
        "Mint, transfer and burn of a token id that names no token are unknown_token; a token "
        "id part above u32 is integer_out_of_range; a malformed token id is invalid_message.",
        ["6.1", "6.3", "6.4", "6.5"],
    )
    b = v.block()
    ghost = Tok(1, 99)
    rejected_alone(v, b, p.message(p.mint(ghost, 5)), "unknown_token")
    rejected_alone(v, b, p.message(p.transfer(ghost, 5, 0)), "unknown_token")
    rejected_alone(v, b, p.message(p.burn(ghost, 5)), "unknown_token")
    rejected_alone(v, b, p.message({0: 2, 1: [2**32, 0]}), "integer_out_of_range")
    rejected_alone(v, b, p.message({0: 2, 1: [1]}), "invalid_message")
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [
    open_amount,
    window,
    cap,
    supply,
    issuer_mint,
    in_deploying_message,
    unknown_token,
]
