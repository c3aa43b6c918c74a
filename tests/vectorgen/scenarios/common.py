"""Setups many scenarios share, each with its hand-written expectations (spec §6.2.3)."""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.model import Outpoint, Terms, Tok, TokenState
from tests.vectorgen.txbuild import In, Tx, carrier, pay
from tests.vectorgen.vector import Block, Vector


def next_tok(block: Block) -> Tok:
    """The id a deploy gets when it is the next transaction of ``block``."""
    return Tok(block.height, len(block.txs) + 1)


def deploy_issuer(
    v: Vector, b: Block, ticker: str, max_supply: int, premine: int
) -> tuple[Tx, Tok]:
    """Premine to output 0 (the default target), authority on output 1."""
    tok = next_tok(b)
    op = p.deploy(ticker, max_supply, authority=1, premine=premine)
    tx = b.tx([v.fund()], [pay(), pay(), carrier(p.message(op))])
    b.expect(
        ev.deploy(tx, tok, ticker, max_supply),
        ev.authority(tx, tok, 1),
        ev.mint(tx, 0, tok, premine),
        ev.credit(tx, 0, tok, premine),
    )
    v.ledger.hold(tx.out(0), {tok: premine})
    v.ledger.hold(tx.out(1), auth=(tok,))
    v.ledger.token(
        tok, TokenState(ticker, max_supply, tx.txid, minted=premine, authority=tx.out(1))
    )
    return tx, tok


def deploy_open(v: Vector, b: Block, ticker: str, max_supply: int, terms: Terms) -> tuple[Tx, Tok]:
    tok = next_tok(b)
    raw_terms = p.terms(terms.amount, terms.cap, terms.start, terms.end)
    op = p.deploy(ticker, max_supply, mint_terms=raw_terms)
    tx = b.tx([v.fund()], [pay(), carrier(p.message(op))])
    b.expect(ev.deploy(tx, tok, ticker, max_supply, terms=terms))
    v.ledger.token(tok, TokenState(ticker, max_supply, tx.txid, terms=terms))
    return tx, tok


def witness_deploy(
    v: Vector, b: Block, witness: tuple[bytes, ...], ticker: str, terms: Terms
) -> Tx:
    """An open-mint deploy (max supply 1000) carried in ``witness``, accepted (§3.3)."""
    tok = next_tok(b)
    tx = b.tx([In(v.fund_point(), witness)], [pay()])
    b.expect(ev.deploy(tx, tok, ticker, 1000, terms=terms))
    v.ledger.token(tok, TokenState(ticker, 1000, tx.txid, terms=terms))
    return tx


def rejected_ops(v: Vector, b: Block, cases: list[tuple[dict[int, Any], str]]) -> None:
    """One message per (operation, reason), each from a funding input and rejected."""
    for op, reason in cases:
        rejected_alone(v, b, p.message(op), reason)


def rejected_alone(v: Vector, b: Block, payload: bytes, reason: str) -> Tx:
    """A message from a funding input only, rejected: one `rejected` event, no state change."""
    tx = b.tx([v.fund()], [pay(), carrier(payload)])
    b.expect(ev.rejected(tx, reason))
    return tx


def rejected_script(v: Vector, b: Block, script: bytes, reason: str) -> Tx:
    """Like rejected_alone, with the carrier output's script given raw."""
    tx = b.tx([v.fund()], [pay(), script])
    b.expect(ev.rejected(tx, reason))
    return tx


def rejected_spend(
    v: Vector,
    b: Block,
    spent: Outpoint,
    tok: Tok,
    amount: int,
    *,
    outputs: list[bytes],
    reason: str,
) -> Tx:
    """A message spending ``spent`` (holding ``amount`` of ``tok`` only), rejected with
    ``reason``: the whole pool goes to output 0, which the caller makes spendable (§7.6)."""
    tx = b.tx([In(spent)], outputs)
    b.expect(
        ev.debit(tx, spent, tok, amount), ev.rejected(tx, reason), ev.credit(tx, 0, tok, amount)
    )
    v.ledger.spend(spent)
    v.ledger.hold(tx.out(0), {tok: amount})
    return tx
