"""``publish``/``call`` wait for their transaction to be in a block, not merely known.

The answer shapes are the API's own for ``GET /v1/txs/{txid}``: with a pending view an
unmined transaction is 200 with ``"confirmation": "pending"`` and ``"block": null``.
"""

from __future__ import annotations

import threading
from typing import Any, cast

from cli.contract_chain import Target, wait_for
from indexer.node_thread import NodeThread

PENDING = {"confirmation": "pending", "block": None, "status": "accepted"}
MINED = {"confirmation": "confirmed", "block": {"height": 7, "hash": "00" * 32}}


class Answers:
    """A composer whose tx() answers, in turn, what the list says (then the last)."""

    where = "http://127.0.0.1:1"

    def __init__(self, *answers: dict[str, Any] | None) -> None:
        self.answers = list(answers)
        self.asked = 0

    def tx(self, txid: str) -> dict[str, Any] | None:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def indexed_height(self) -> int | None:
        return 6


def test_a_pending_answer_is_waited_past_until_the_block_has_it() -> None:
    composer = Answers(None, PENDING, PENDING, MINED)
    target = Target(cast(Any, composer), cast(NodeThread, None), 1.0, 30.0, threading.Event())
    said: list[str] = []
    tx = wait_for(target, "ab" * 32, said.append)
    assert tx["block"]["height"] == 7
    assert composer.asked == 4
