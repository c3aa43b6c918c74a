"""Authority scenarios (spec §7.7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.model import TokenState
from tests.vectorgen.scenarios.common import deploy_issuer, next_tok
from tests.vectorgen.txbuild import In, carrier, pay
from tests.vectorgen.vector import Vector


def without_message() -> dict[str, Any]:
    v = Vector(
        "authority-spent-without-message",
        "An authority output spent without a message moves to the default output: one "
        "authority event, no debit or credit.",
        ["7.7", "7.2"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "AUTH", 1000, 100)
    b = v.block()
    tx = b.tx([In(deploy.out(1))], [b"\x6a\x00", pay()])
    b.expect(ev.authority(tx, tok, 1))
    v.ledger.spend(deploy.out(1))
    v.ledger.hold(tx.out(1), auth=(tok,))
    v.ledger.update(tok, authority=tx.out(1))
    return v.finish()


def pointer() -> dict[str, Any]:
    v = Vector(
        "authority-pointer",
        "An authority spent with an empty message and a pointer moves to the pointer output.",
        ["7.7", "7.4"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "AUTH", 1000, 100)
    b = v.block()
    tx = b.tx([In(deploy.out(1))], [pay(), pay(), carrier(p.message(pointer=1))])
    b.expect(ev.authority(tx, tok, 1))
    v.ledger.spend(deploy.out(1))
    v.ledger.hold(tx.out(1), auth=(tok,))
    v.ledger.update(tok, authority=tx.out(1))
    return v.finish()


def rejected() -> dict[str, Any]:
    v = Vector(
        "authority-rejected-message",
        "An authority spent with a rejected message (and a pointer) moves to the default output.",
        ["7.7", "7.6"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "AUTH", 1000, 100)
    b = v.block()
    payload = p.message(p.mint(tok, 901), pointer=1)
    tx = b.tx([In(deploy.out(1))], [pay(), pay(), carrier(payload)])
    b.expect(ev.rejected(tx, "supply_exceeded"), ev.authority(tx, tok, 0))
    v.ledger.spend(deploy.out(1))
    v.ledger.hold(tx.out(0), auth=(tok,))
    v.ledger.update(tok, authority=tx.out(0))
    return v.finish()


def with_balance() -> dict[str, Any]:
    v = Vector(
        "authority-with-balance",
        "An output holding both a balance and the authority: a mint to output 1 with pointer "
        "2 credits the mint and the pool, then moves the authority to the pointer.",
        ["7.7", "7.8", "9.3"],
    )
    b = v.block()
    tok = next_tok(b)
    op = p.deploy("BOTH", 1000, authority=0, premine=100)
    deploy = b.tx([v.fund()], [pay(), carrier(p.message(op))])
    b.expect(
        ev.deploy(deploy, tok, "BOTH", 1000),
        ev.authority(deploy, tok, 0),
        ev.mint(deploy, 0, tok, 100),
        ev.credit(deploy, 0, tok, 100),
    )
    v.ledger.hold(deploy.out(0), {tok: 100}, auth=(tok,))
    v.ledger.token(tok, TokenState("BOTH", 1000, deploy.txid, minted=100, authority=deploy.out(0)))
    b = v.block()
    payload = p.message(p.mint(tok, 10, 1), pointer=2)
    tx = b.tx([In(deploy.out(0))], [pay(), pay(), pay(), carrier(payload)])
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.mint(tx, 1, tok, 10),
        ev.credit(tx, 1, tok, 10),
        ev.credit(tx, 2, tok, 100),
        ev.authority(tx, tok, 2),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(1), {tok: 10})
    v.ledger.hold(tx.out(2), {tok: 100}, auth=(tok,))
    v.ledger.update(tok, minted=110, mints=1, authority=tx.out(2))
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [without_message, pointer, rejected, with_balance]
