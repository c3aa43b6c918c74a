"""Streams share the store reads, are capped, and drop a client that does not read."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.heavy import HeavyWork
from api.server import ServerThread
from api.sse import Position
from api.stream_hub import StreamHub
from protocol.params import Network
from tests.api.test_sse import stream
from tests.api.world import World, build_world

SETTINGS = ApiSettings(network=Network.REGTEST, stream_poll_seconds=0.02, max_streams=4)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[World, Starlette, httpx.Client]]:
    world = build_world(tmp_path / "store")
    app = create_app(ApiContext(world.store, SETTINGS))
    try:
        with (
            ServerThread(app) as server,
            httpx.Client(base_url=server.url, timeout=20) as http,
        ):
            yield world, app, http
    finally:
        world.store.close()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_many_subscribers_cost_one_read_per_block(
    served: tuple[World, Starlette, httpx.Client],
) -> None:
    world, app, http = served
    hub: StreamHub = app.state.streams
    with stream(http) as a, stream(http) as b, stream(http) as c:
        streams = [a, b, c]
        assert all(s.next()["event"] == "hello" for s in streams)
        wait_until(lambda: hub.live == 3)
        before = hub.blocks_read
        for _ in range(3):
            world.chain.block()
        for s in streams:
            assert [s.next()["data"]["height"] for _ in range(3)] == [5, 6, 7]
        # Three blocks were read once each, not once per subscriber.
        assert hub.blocks_read - before == 3


def test_streams_past_the_cap_are_refused_then_admitted_again(
    served: tuple[World, Starlette, httpx.Client],
) -> None:
    _, app, http = served
    hub: StreamHub = app.state.streams
    with stream(http) as a, stream(http), stream(http), stream(http):
        a.next()
        refused = http.get("/v1/stream")
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "too_many_streams"
        assert refused.headers["retry-after"] == "5"
    wait_until(lambda: hub.open_streams == 0)
    with stream(http) as again:
        assert again.next()["event"] == "hello"


def test_a_resume_from_far_back_replays_in_order_then_goes_live(
    served: tuple[World, Starlette, httpx.Client],
) -> None:
    world, app, http = served
    hub: StreamHub = app.state.streams
    with stream(http) as first:
        cursor = first.next()["id"]  # height 4
    for _ in range(60):
        world.chain.block()
    with stream(http, params={"cursor": cursor}) as late:
        assert late.next()["data"]["height"] == 4
        assert [late.next()["data"]["height"] for _ in range(60)] == list(range(5, 65))
        wait_until(lambda: hub.live == 1)
        world.chain.block()
        assert late.next()["data"]["height"] == 65


def test_a_subscriber_that_does_not_read_is_dropped_not_buffered(world_store: World) -> None:
    settings = ApiSettings(network=Network.REGTEST, stream_queue_blocks=2)
    heavy = HeavyWork(world_store.store.config, 1, 0)
    hub = StreamHub(ApiContext(world_store.store, settings), heavy)

    async def scenario() -> list[bytes]:
        subscriber = hub.open()
        assert subscriber is not None
        await hub.step()  # the hub takes the tip's position
        position = Position(4, world_store.store.tip().block_hash)  # type: ignore[union-attr]
        assert hub.join(subscriber, position)
        for n in range(5):
            subscriber.offer(b"block %d" % n)
        assert subscriber.dropped and hub.live == 0
        sent = []
        async for chunk in subscriber.messages(position, 0, None):
            sent.append(chunk)
        return sent

    try:
        sent = asyncio.run(scenario())
    finally:
        heavy.close()
    assert sent[0].startswith(b"event: hello")
    assert sent[1].startswith(b"event: error") and b'"slow_consumer"' in sent[1]
    assert len(sent) == 2
    assert hub.open_streams == 0


@pytest.fixture
def world_store(tmp_path: Path) -> Iterator[World]:
    world = build_world(tmp_path / "store")
    yield world
    world.store.close()
