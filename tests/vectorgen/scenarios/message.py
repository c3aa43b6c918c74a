"""Message-level scenarios: shape, unknown keys, version, operation count, pointer (spec §5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen.encoders import canonical
from tests.vectorgen.model import Terms, TokenState
from tests.vectorgen.scenarios.common import (
    deploy_issuer,
    next_tok,
    rejected_alone,
    rejected_spend,
)
from tests.vectorgen.txbuild import In, carrier, pay
from tests.vectorgen.vector import Vector

DEPLOY_OP = p.deploy("MSG", 1000, mint_terms=p.terms(10, 100))
OPEN = Terms(10, 100)


def shape() -> dict[str, Any]:
    v = Vector(
        "message-shape",
        "Payloads that are valid CBOR but not a message: not a map, no version, a text "
        "version, no operations, operations not an array, an operation not a map, an operation "
        "without a code, a text pointer.",
        ["5.1", "5.2"],
    )
    b = v.block()
    for body in (
        [1, [DEPLOY_OP]],
        {1: [DEPLOY_OP]},
        {0: "1", 1: [DEPLOY_OP]},
        {0: 1},
        {0: 1, 1: {0: DEPLOY_OP}},
        {0: 1, 1: [[1, "MSG"]]},
        {0: 1, 1: [{1: "MSG", 3: 1000}]},
        {0: 1, 1: [], 2: "0"},
    ):
        rejected_alone(v, b, canonical(body), "invalid_message")
    return v.finish()


def _accept_deploy(v: Vector, payload: bytes, ticker: str = "MSG") -> None:
    b = v.current
    tok = next_tok(b)
    tx = b.tx([v.fund()], [pay(), carrier(payload)])
    b.expect(ev.deploy(tx, tok, ticker, 1000, terms=OPEN))
    v.ledger.token(tok, TokenState(ticker, 1000, tx.txid, terms=OPEN))


def message_unknown_keys() -> dict[str, Any]:
    v = Vector(
        "message-unknown-keys",
        "An unknown odd key in the message map is ignored; an unknown even key rejects.",
        ["5.4"],
    )
    b = v.block()
    _accept_deploy(v, p.message(DEPLOY_OP, k3="future", k101=[1, 2]))
    rejected_alone(v, b, p.message(DEPLOY_OP, k4=0), "invalid_message")
    return v.finish()


def operation_unknown_keys() -> dict[str, Any]:
    v = Vector(
        "operation-unknown-keys",
        "An unknown odd key in an operation map is ignored; an unknown even key rejects.",
        ["5.4"],
    )
    b = v.block()
    _accept_deploy(v, p.message({**DEPLOY_OP, 9: b"x"}))
    rejected_alone(v, b, p.message({**DEPLOY_OP, 8: 0}), "invalid_message")
    return v.finish()


def terms_unknown_keys() -> dict[str, Any]:
    v = Vector(
        "terms-unknown-keys",
        "An unknown odd key in the mint terms is ignored (not kept in the record or event); an "
        "unknown even key rejects.",
        ["5.4", "6.2.2"],
    )
    b = v.block()
    _accept_deploy(v, p.message(p.deploy("MSG", 1000, mint_terms={0: 10, 1: 100, 5: 7})))
    bad = p.deploy("MSG", 1000, mint_terms={0: 10, 1: 100, 4: 7})
    rejected_alone(v, b, p.message(bad), "invalid_message")
    return v.finish()


def unsupported_version() -> dict[str, Any]:
    v = Vector(
        "unsupported-version",
        "Version 2 (even with an unknown even key) is unsupported_version and the spent "
        "balance settles to the default output, not the pointer; version 0 is "
        "unsupported_version; version 2**64 is integer_out_of_range.",
        ["5.2", "5.4", "7.6"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "VER", 1000, 100)
    b = v.block()
    payload = p.message(pointer=1, version=2, k4=1)
    outputs = [pay(), pay(), carrier(payload)]
    rejected_spend(v, b, deploy.out(0), tok, 100, outputs=outputs, reason="unsupported_version")
    rejected_alone(v, b, p.message(DEPLOY_OP, version=0), "unsupported_version")
    rejected_alone(v, b, p.message(DEPLOY_OP, version=2**64), "integer_out_of_range")
    return v.finish()


def zero_ops_pointer() -> dict[str, Any]:
    v = Vector(
        "zero-ops-pointer",
        "A message with no operations and a pointer routes the whole pool to the pointer output.",
        ["5.1", "7.4", "7.5"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "PTR", 1000, 100)
    b = v.block()
    tx = b.tx([In(deploy.out(0))], [pay(), pay(), carrier(p.message(pointer=1))])
    b.expect(ev.debit(tx, deploy.out(0), tok, 100), ev.credit(tx, 1, tok, 100))
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(1), {tok: 100})
    return v.finish()


def operation_count() -> dict[str, Any]:
    v = Vector(
        "operation-count",
        "64 transfers of 1 in one message are accepted; 65 operations are invalid_message.",
        ["5.1", "5.2"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "OPS", 1000, 100)
    b = v.block()
    ops = [p.transfer(tok, 1, 1)] * 64
    tx = b.tx([In(deploy.out(0))], [pay(), pay(), carrier(p.message(*ops))])
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.credit(tx, 0, tok, 36),
        ev.credit(tx, 1, tok, 64),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 36})
    v.ledger.hold(tx.out(1), {tok: 64})
    rejected_alone(v, b, p.message(*([p.transfer(tok, 1, 1)] * 65)), "invalid_message")
    return v.finish()


def unknown_operation() -> dict[str, Any]:
    v = Vector(
        "unknown-operation",
        "Operation codes 8 and 0 are unknown_operation (also after a valid deploy, which is "
        "then not applied, and before a bad pointer); code 2**64 is integer_out_of_range. "
        "(Codes 5-7 are the contract operations of CONTRACTS.md §16.)",
        ["5.2", "6.0"],
    )
    b = v.block()
    rejected_alone(v, b, p.message({0: 8}), "unknown_operation")
    rejected_alone(v, b, p.message({0: 0, 1: "x"}), "unknown_operation")
    rejected_alone(v, b, p.message(DEPLOY_OP, {0: 8}), "unknown_operation")
    rejected_alone(v, b, p.message({0: 9}, pointer=99), "unknown_operation")
    rejected_alone(v, b, p.message({0: 2**64}), "integer_out_of_range")
    return v.finish()


def pointer_invalid() -> dict[str, Any]:
    v = Vector(
        "pointer-invalid",
        "A pointer to an OP_RETURN output or past the outputs is invalid_output (the pool goes "
        "to the default output); a pointer above u32 is integer_out_of_range.",
        ["5.2", "7.4", "7.6"],
    )
    b = v.block()
    deploy, tok = deploy_issuer(v, b, "PTR", 1000, 100)
    b = v.block()
    outputs = [pay(), pay(), carrier(p.message(pointer=2))]
    rejected_spend(v, b, deploy.out(0), tok, 100, outputs=outputs, reason="invalid_output")
    rejected_alone(v, b, p.message(pointer=5), "invalid_output")
    rejected_alone(v, b, p.message(pointer=2**32), "integer_out_of_range")
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [
    shape,
    message_unknown_keys,
    operation_unknown_keys,
    terms_unknown_keys,
    unsupported_version,
    zero_ops_pointer,
    operation_count,
    unknown_operation,
    pointer_invalid,
]
