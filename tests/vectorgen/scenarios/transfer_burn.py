"""Transfer and burn scenarios (spec §6.4, §6.5), zero amounts and allocation bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.scenarios.common import deploy_issuer, rejected_alone, rejected_spend
from tests.vectorgen.txbuild import In, carrier, pay
from tests.vectorgen.vector import Vector

U128_MAX = 2**128 - 1


def split() -> dict[str, Any]:
    v = Vector(
        "transfer-split",
        "100 units split: 30 to output 1, 20 to output 2, the 50 left to the default output 0.",
        ["6.4", "7.5"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "SPLIT", 1000, 100)
    b = v.block()
    ops = (p.transfer(tok, 30, 1), p.transfer(tok, 20, 2))
    tx = b.tx([In(deploy.out(0))], [pay(), pay(), pay(), carrier(p.message(*ops))])
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.credit(tx, 0, tok, 50),
        ev.credit(tx, 1, tok, 30),
        ev.credit(tx, 2, tok, 20),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 50})
    v.ledger.hold(tx.out(1), {tok: 30})
    v.ledger.hold(tx.out(2), {tok: 20})
    return v.finish()


def invalid_output() -> dict[str, Any]:
    v = Vector(
        "transfer-invalid-output",
        "A transfer to an OP_RETURN output, then one past the last output: invalid_output, "
        "and each time the whole pool goes to the default output.",
        ["6.4", "7.4", "7.6"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "OUT", 1000, 100)
    b = v.block()
    spent = deploy.out(0)
    for bad_output in (1, 9):
        outputs = [pay(), carrier(p.message(p.transfer(tok, 10, bad_output)))]
        spent = rejected_spend(v, b, spent, tok, 100, outputs=outputs, reason="invalid_output").out(
            0
        )
    return v.finish()


def insufficient() -> dict[str, Any]:
    v = Vector(
        "transfer-insufficient",
        "Transferring 101 from a pool of 100, or a token the pool does not hold: "
        "insufficient_balance.",
        ["6.4"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "INS", 1000, 100)
    other, tok2 = deploy_issuer(v, b, "OTHER", 1000, 5)
    b = v.block()
    outputs = [pay(), pay(), carrier(p.message(p.transfer(tok, 101, 1)))]
    rejected_spend(v, b, deploy.out(0), tok, 100, outputs=outputs, reason="insufficient_balance")
    rejected_alone(v, b, p.message(p.transfer(tok2, 1, 0)), "insufficient_balance")
    del other
    return v.finish()


def burn() -> dict[str, Any]:
    v = Vector(
        "burn",
        "Burning 40 of 100 (event burn, cause 0; the 60 left go to the default output); then "
        "burning 61 of 60 is insufficient_balance.",
        ["6.5", "7.8"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "BURN", 1000, 100)
    b = v.block()
    tx = b.tx([In(deploy.out(0))], [pay(), carrier(p.message(p.burn(tok, 40)))])
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.burn(tx, tok, 40, 0),
        ev.credit(tx, 0, tok, 60),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 60})
    v.ledger.update(tok, burned=40)
    outputs = [pay(), carrier(p.message(p.burn(tok, 61)))]
    rejected_spend(v, b, tx.out(0), tok, 60, outputs=outputs, reason="insufficient_balance")
    return v.finish()


def zero_amounts() -> dict[str, Any]:
    v = Vector(
        "zero-amounts",
        "A transfer, a burn and an issuer mint of 0 are invalid_amount.",
        ["6.1"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "ZERO", 1000, 100)
    b = v.block()
    tx = b.tx(
        [In(deploy.out(0)), In(deploy.out(1))],
        [pay(), pay(), carrier(p.message(p.transfer(tok, 0, 1)))],
    )
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.rejected(tx, "invalid_amount"),
        ev.credit(tx, 0, tok, 100),
        ev.authority(tx, tok, 0),
    )
    tx2 = b.tx([In(tx.out(0))], [pay(), carrier(p.message(p.burn(tok, 0)))])
    b.expect(
        ev.debit(tx2, tx.out(0), tok, 100),
        ev.rejected(tx2, "invalid_amount"),
        ev.credit(tx2, 0, tok, 100),
        ev.authority(tx2, tok, 0),
    )
    tx3 = b.tx([In(tx2.out(0))], [pay(), carrier(p.message(p.mint(tok, 0)))])
    b.expect(
        ev.debit(tx3, tx2.out(0), tok, 100),
        ev.rejected(tx3, "invalid_amount"),
        ev.credit(tx3, 0, tok, 100),
        ev.authority(tx3, tok, 0),
    )
    v.ledger.spend(deploy.out(0), deploy.out(1))
    v.ledger.hold(tx3.out(0), {tok: 100}, auth=(tok,))
    v.ledger.update(tok, authority=tx3.out(0))
    return v.finish()


def allocation_overflow() -> dict[str, Any]:
    v = Vector(
        "allocation-overflow",
        "Pool of 2**128-1: two transfers of 2**127 (summing above the pool and above u128) "
        "are insufficient_balance; transfers of 2**128-6 and 5 to one output sum to exactly "
        "2**128-1.",
        ["6.4", "7.5", "7.9"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "HUGE", U128_MAX, U128_MAX)
    b = v.block()
    half = 2**127
    ops = (p.transfer(tok, half, 1), p.transfer(tok, half, 1))
    outputs = [pay(), pay(), carrier(p.message(*ops))]
    tx = rejected_spend(
        v, b, deploy.out(0), tok, U128_MAX, outputs=outputs, reason="insufficient_balance"
    )
    ops = (p.transfer(tok, U128_MAX - 5, 1), p.transfer(tok, 5, 1))
    tx2 = b.tx([In(tx.out(0))], [pay(), pay(), carrier(p.message(*ops))])
    b.expect(ev.debit(tx2, tx.out(0), tok, U128_MAX), ev.credit(tx2, 1, tok, U128_MAX))
    v.ledger.spend(tx.out(0))
    v.ledger.hold(tx2.out(1), {tok: U128_MAX})
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [
    split,
    invalid_output,
    insufficient,
    burn,
    zero_amounts,
    allocation_overflow,
]
