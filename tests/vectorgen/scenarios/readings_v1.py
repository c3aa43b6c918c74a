"""Readings of the v1 text that the mutant method found unpinned (issue 18), each with the
outcome the text gives and another reading would not."""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.model import Tok
from tests.vectorgen.scenarios.common import deploy_issuer, rejected_alone
from tests.vectorgen.txbuild import In
from tests.vectorgen.vector import Vector

TERMS = p.terms(10, 100)
#: An OP_RETURN output that is no carrier (no magic): not spendable (§7.4).
BARE_OP_RETURN = b"\x6a"


def check_orders() -> dict[str, Any]:
    v = Vector(
        "v1-check-orders",
        "Orders the v1 text fixes: every operation code is checked before any operation "
        "applies (a zero transfer before an unknown code is unknown_operation); two deploys "
        "of one ticker in a message are invalid_deploy (one deploy per message before the "
        "ticker rule); a mint or transfer of an unknown token to output 99 is unknown_token "
        "(the token before the output).",
        ["6.0", "6.2.1", "6.3", "6.4"],
    )
    b = v.block()
    nowhere = Tok(1, 99)
    deploy = p.deploy("TWIN", 1000, mint_terms=TERMS)
    for payload, reason in (
        (p.message(p.transfer(nowhere, 0, 0), {0: 8}), "unknown_operation"),
        (p.message(deploy, deploy), "invalid_deploy"),
        (p.message(p.mint(nowhere, None, 99)), "unknown_token"),
        (p.message(p.transfer(nowhere, 1, 99)), "unknown_token"),
    ):
        rejected_alone(v, b, payload, reason)
    return v.finish()


def burn_order() -> dict[str, Any]:
    v = Vector(
        "no-output-burn-order",
        "A transaction without a spendable output spends B's then A's premine (A < B): the "
        "debits follow the inputs, the burns (cause 1) follow ascending asset id.",
        ["7.3", "7.5", "7.8"],
    )
    b = v.block()
    first, a = deploy_issuer(v, b, "ALPHA", 1000, 10)
    second, tok_b = deploy_issuer(v, b, "BETA", 1000, 20)
    b = v.block()
    tx = b.tx([In(second.out(0)), In(first.out(0))], [BARE_OP_RETURN])
    b.expect(
        ev.debit(tx, second.out(0), tok_b, 20),
        ev.debit(tx, first.out(0), a, 10),
        ev.burn(tx, a, 10, 1),
        ev.burn(tx, tok_b, 20, 1),
    )
    v.ledger.spend(first.out(0), second.out(0))
    v.ledger.update(a, burned=10)
    v.ledger.update(tok_b, burned=20)
    return v.finish()


VECTORS = [check_orders, burn_order]
