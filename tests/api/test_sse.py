"""The live stream over a real server while blocks are applied and rolled back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.server import ServerThread
from protocol.params import Network
from tests.api.world import ALICE, BOB, World, build_world, display, point
from tests.protocol.builders import message_tx, spend, transfer
from tests.vectorgen.payloads import message

SETTINGS = ApiSettings(network=Network.REGTEST, stream_poll_seconds=0.02)
Message = dict[str, Any]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[World, httpx.Client]]:
    world = build_world(tmp_path / "store")
    try:
        with (
            ServerThread(create_app(ApiContext(world.store, SETTINGS))) as server,
            httpx.Client(base_url=server.url, timeout=20) as http,
        ):
            yield world, http
    finally:
        world.store.close()


class Stream:
    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines

    def next(self) -> Message:
        fields: Message = {}
        for line in self._lines:
            if not line:
                if "event" in fields:
                    fields["data"] = json.loads(fields["data"])
                    return fields
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        raise AssertionError("the stream ended")


@contextmanager
def stream(http: httpx.Client, **kwargs: Any) -> Iterator[Stream]:
    with http.stream("GET", "/v1/stream", **kwargs) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response.iter_lines())


def alt_hash(height: int) -> bytes:
    return hashlib.sha256(b"other branch %d" % height).digest()


def test_new_blocks_then_a_reorg_then_a_resume(live: tuple[World, httpx.Client]) -> None:
    world, http = live
    first_cursor = None
    with stream(http) as events:
        hello = events.next()
        assert hello["event"] == "hello" and hello["data"]["height"] == 4
        first_cursor = hello["id"]
        # Height 5: ALICE sends 200 ROOT from E:1 to BOB.
        tx = message_tx(message(transfer((1, 1), 200, 2)), [spend(world.txs["E"], 1)], [ALICE, BOB])
        world.chain.block(tx)
        got = [events.next() for _ in range(4)]
        assert [m["event"] for m in got] == ["event", "event", "event", "block"]
        assert [m["data"]["type"] for m in got[:3]] == ["debit", "credit", "credit"]
        assert got[2]["data"]["outpoint"] == point(tx, 2)
        block = got[3]
        assert block["data"]["height"] == 5
        old_cursor = block["id"]
        assert old_cursor == f"5-{block['data']['hash']}"
        # The node reorganises: height 5 is replaced by an empty block on another branch.
        world.store.rollback_to(4)
        world.chain.height = 4
        world.chain.block(block_id=alt_hash(5))
        reorg = events.next()
        assert reorg == {
            "event": "reorg",
            "data": {"fork_height": 4, "rolled_back": {"from": 5, "to": 5}},
        }
        replaced = events.next()
        assert replaced["event"] == "block"
        assert replaced["data"]["hash"] == display(alt_hash(5))
        assert replaced["data"]["event_count"] == 0
    # A client that saw the abandoned block 5 resumes: told first, then given the new branch.
    with stream(http, headers={"Last-Event-ID": old_cursor}) as events:
        assert events.next()["data"] == {"fork_height": 4, "rolled_back": {"from": 5, "to": 5}}
        assert events.next()["event"] == "hello"
        assert events.next()["data"]["hash"] == display(alt_hash(5))
    # One that stopped at height 4 just catches up.
    with stream(http, params={"cursor": first_cursor}) as events:
        assert events.next()["event"] == "hello"
        assert events.next()["id"] == f"5-{display(alt_hash(5))}"


@pytest.mark.parametrize(
    "cursor", ["5", "x-" + "ab" * 32, f"4-{'ab' * 32}", "99999999999-" + "ab" * 32]
)
def test_bad_cursors_are_refused_before_streaming(
    live: tuple[World, httpx.Client], cursor: str
) -> None:
    _, http = live
    response = http.get("/v1/stream", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
