"""Settlement scenarios: default output, no spendable output, rejected messages, drain order,
chains of spends in one block and across blocks (spec §7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.scenarios.common import deploy_issuer, rejected_alone, rejected_spend
from tests.vectorgen.txbuild import In, carrier, pay
from tests.vectorgen.vector import Vector


def default_output() -> dict[str, Any]:
    v = Vector(
        "default-output-skips-opreturn",
        "Without a message the pool goes to the first output that is not OP_RETURN: after two "
        "OP_RETURN outputs, output 2; an empty script counts as spendable.",
        ["7.4", "7.5"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "DEF", 1000, 100)
    b = v.block()
    tx = b.tx([In(deploy.out(0))], [b"\x6a\x01\x00", b"\x6a", pay(), pay()])
    b.expect(ev.debit(tx, deploy.out(0), tok, 100), ev.credit(tx, 2, tok, 100))
    tx2 = b.tx([In(tx.out(2))], [b"\x6a", b""])
    b.expect(ev.debit(tx2, tx.out(2), tok, 100), ev.credit(tx2, 1, tok, 100))
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx2.out(1), {tok: 100})
    return v.finish()


def no_spendable_output() -> dict[str, Any]:
    v = Vector(
        "no-spendable-output",
        "Balance and authority spent into a transaction with only OP_RETURN outputs: the "
        "balance is burned with cause 1 and the authority destroyed; later mints are "
        "unauthorized.",
        ["7.5", "7.7", "6.3"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "GONE", 1000, 100)
    b = v.block()
    tx = b.tx([In(deploy.out(0)), In(deploy.out(1))], [b"\x6a\x00"])
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.burn(tx, tok, 100, 1),
        ev.authority(tx, tok, None),
    )
    v.ledger.spend(deploy.out(0), deploy.out(1))
    v.ledger.update(tok, burned=100, authority=None)
    b = v.block()
    rejected_alone(v, b, p.message(p.mint(tok, 1)), "unauthorized")
    return v.finish()


def rejected_settlement() -> dict[str, Any]:
    v = Vector(
        "rejected-message-settlement",
        "A rejected message with a pointer: the pool goes to the default output, not the "
        "pointer. A rejected message in a transaction without spendable outputs: burned, "
        "cause 1.",
        ["7.6", "7.5", "5.5"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "REJ", 1000, 100)
    b = v.block()
    payload = p.message(p.transfer(tok, 10, 2), p.burn(tok, 1000), pointer=2)
    outputs = [pay(), pay(), pay(), carrier(payload)]
    tx = rejected_spend(
        v, b, deploy.out(0), tok, 100, outputs=outputs, reason="insufficient_balance"
    )
    tx2 = b.tx([In(tx.out(0))], [carrier(p.message(p.burn(tok, 1000)))])
    b.expect(
        ev.debit(tx2, tx.out(0), tok, 100),
        ev.rejected(tx2, "insufficient_balance"),
        ev.burn(tx2, tok, 100, 1),
    )
    v.ledger.spend(tx.out(0))
    v.ledger.update(tok, burned=100)
    return v.finish()


def spent_without_message() -> dict[str, Any]:
    v = Vector(
        "spent-without-message",
        "A token output spent by a transaction without a carrier moves to its default output.",
        ["7.2", "7.5"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "PLAIN", 1000, 100)
    b = v.block()
    tx = b.tx([v.fund(), In(deploy.out(0))], [pay(), pay()])
    b.expect(ev.debit(tx, deploy.out(0), tok, 100), ev.credit(tx, 0, tok, 100))
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 100})
    return v.finish()


def drain_order() -> dict[str, Any]:
    v = Vector(
        "input-drain-order",
        "Debits follow input order, tokens ascending within an input; credits go by output then "
        "token; authorities move in input order (B's before A's), after the credits.",
        ["7.3", "7.5", "7.7", "7.8"],
    )
    b = v.block()
    dep_a, tok_a = deploy_issuer(v, b, "AAA", 1000, 100)
    dep_b, tok_b = deploy_issuer(v, b, "BBB", 1000, 200)
    b = v.block()
    ops = (p.transfer(tok_b, 50, 1), p.transfer(tok_a, 30, 1))
    mix = b.tx([In(dep_a.out(0)), In(dep_b.out(0))], [pay(), pay(), carrier(p.message(*ops))])
    b.expect(
        ev.debit(mix, dep_a.out(0), tok_a, 100),
        ev.debit(mix, dep_b.out(0), tok_b, 200),
        ev.credit(mix, 0, tok_a, 70),
        ev.credit(mix, 0, tok_b, 150),
        ev.credit(mix, 1, tok_a, 30),
        ev.credit(mix, 1, tok_b, 50),
    )
    v.ledger.spend(dep_a.out(0), dep_b.out(0))
    v.ledger.hold(mix.out(0), {tok_a: 70, tok_b: 150})
    v.ledger.hold(mix.out(1), {tok_a: 30, tok_b: 50})
    b = v.block()
    join = b.tx([In(dep_b.out(1)), In(mix.out(1)), In(dep_a.out(1)), In(mix.out(0))], [pay()])
    b.expect(
        ev.debit(join, mix.out(1), tok_a, 30),
        ev.debit(join, mix.out(1), tok_b, 50),
        ev.debit(join, mix.out(0), tok_a, 70),
        ev.debit(join, mix.out(0), tok_b, 150),
        ev.credit(join, 0, tok_a, 100),
        ev.credit(join, 0, tok_b, 200),
        ev.authority(join, tok_b, 0),
        ev.authority(join, tok_a, 0),
    )
    v.ledger.spend(mix.out(0), mix.out(1), dep_a.out(1), dep_b.out(1))
    v.ledger.hold(join.out(0), {tok_a: 100, tok_b: 200}, auth=(tok_a, tok_b))
    v.ledger.update(tok_a, authority=join.out(0))
    v.ledger.update(tok_b, authority=join.out(0))
    return v.finish()


def in_block_chain() -> dict[str, Any]:
    v = Vector(
        "in-block-chain",
        "Deploy, transfer and a plain spend of the transferred output, all in one block: each "
        "transaction sees the outputs of the ones before it.",
        ["7.1"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "CHAIN", 1000, 100)
    tx = b.tx([In(deploy.out(0))], [pay(), pay(), carrier(p.message(p.transfer(tok, 40, 1)))])
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.credit(tx, 0, tok, 60),
        ev.credit(tx, 1, tok, 40),
    )
    tx2 = b.tx([In(tx.out(1))], [pay()])
    b.expect(ev.debit(tx2, tx.out(1), tok, 40), ev.credit(tx2, 0, tok, 40))
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 60})
    v.ledger.hold(tx2.out(0), {tok: 40})
    return v.finish()


def multi_block_chain() -> dict[str, Any]:
    v = Vector(
        "multi-block-chain",
        "Deploy at height 1, empty blocks at 2 and 3 (chained into the state hash), a transfer "
        "at 4, a plain spend at 5, an empty block at 6.",
        ["7.1", "11.1", "11.2"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "MULTI", 1000, 100)
    v.block()
    v.block()
    b = v.block()
    tx = b.tx([In(deploy.out(0))], [pay(), pay(), carrier(p.message(p.transfer(tok, 1, 1)))])
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.credit(tx, 0, tok, 99),
        ev.credit(tx, 1, tok, 1),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 99})
    v.ledger.hold(tx.out(1), {tok: 1})
    b = v.block()
    tx2 = b.tx([In(tx.out(0)), In(tx.out(1))], [pay(), pay()])
    b.expect(
        ev.debit(tx2, tx.out(0), tok, 99),
        ev.debit(tx2, tx.out(1), tok, 1),
        ev.credit(tx2, 0, tok, 100),
    )
    v.ledger.spend(tx.out(0), tx.out(1))
    v.ledger.hold(tx2.out(0), {tok: 100})
    v.block()
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [
    default_output,
    no_spendable_output,
    rejected_settlement,
    spent_without_message,
    drain_order,
    in_block_chain,
    multi_block_chain,
]
