"""Commitment scenarios: empty blocks and irrelevant transactions (spec §7.2, §11)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen.payloads import message
from tests.vectorgen.scenarios.common import rejected_alone
from tests.vectorgen.txbuild import pay
from tests.vectorgen.vector import Vector


def empty_blocks() -> dict[str, Any]:
    v = Vector(
        "empty-blocks",
        "Three blocks with only a coinbase from activation height 100: events hash H(0x80) "
        "each, the state hash chains the block hashes, the state stays empty.",
        ["11.1", "11.2", "11.3"],
        activation_height=100,
    )
    for _ in range(3):
        v.block()
    return v.finish()


def irrelevant_transactions() -> dict[str, Any]:
    v = Vector(
        "irrelevant-transactions",
        "Transactions without carriers that spend no protocol outputs have no effect.",
        ["7.2"],
    )
    b = v.block()
    b.tx([v.fund()], [pay(), b"\x6a\x04abcd"])
    b.tx([v.fund(), v.fund()], [pay()])
    return v.finish()


def many_events() -> dict[str, Any]:
    v = Vector(
        "many-events",
        "25 rejected messages in one block: the events array head takes a one-byte count "
        "(0x98 0x19).",
        ["11.1"],
    )
    b = v.block()
    for _ in range(25):
        rejected_alone(v, b, message({0: 8}), "unknown_operation")
    return v.finish()


VECTORS: list[Callable[[], dict[str, Any]]] = [empty_blocks, irrelevant_transactions, many_events]
