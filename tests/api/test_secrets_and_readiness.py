"""No credential from the node URL reaches a response or a log line; /readyz needs the node."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from api.app import create_app
from api.context import ApiContext
from api.server import ServerThread
from api.wiring import node_height
from indexer.config import load_config
from tests.api.conftest import SETTINGS
from tests.api.world import World

SECRET = "s3cr3t-pa55"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def serve(world: World, ctx: ApiContext) -> Iterator[httpx.Client]:
    with (
        ServerThread(create_app(ctx)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        yield http


def test_the_node_urls_password_is_in_no_response_or_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://alice:{SECRET}@127.0.0.1:{closed_port()}"
    config = load_config(environ={"ROOTSTATE_RPC_URL": url, "ROOTSTATE_NETWORK": "regtest"})
    assert SECRET not in repr(config)
    ctx = ApiContext(world.store, SETTINGS, node_height=node_height(config))
    caplog.set_level(logging.DEBUG)
    for http in serve(world, ctx):
        asyncio.run(ctx.monitor.tick())
        status = http.get("/v1/status")
        ready = http.get("/readyz")
        metrics = http.get("/metrics")
    error = status.json()["node"]["error"]
    assert "127.0.0.1" in error  # the node is named, without its credentials
    for text in (status.text, ready.text, metrics.text, caplog.text):
        assert SECRET not in text
        assert "alice:" not in text


def test_readyz_needs_a_recent_answer_from_the_node(world: World) -> None:
    answers: list[int] = []  # the node is down until a height is put here

    async def height() -> int:
        if not answers:
            raise ConnectionError("node down")
        return answers[0]

    ctx = ApiContext(world.store, replace(SETTINGS, node_fresh_seconds=1.0), node_height=height)
    for http in serve(world, ctx):
        never = http.get("/readyz")  # the app's own first poll failed too
        assert never.status_code == 503
        assert never.json()["error"]["code"] == "node_unreachable"
        answers.append(4)
        asyncio.run(ctx.monitor.tick())
        assert http.get("/readyz").json() == {"status": "ready", "height": 4, "lag_blocks": 0}
        answers.clear()
        asyncio.run(ctx.monitor.tick())
        # The last answer is still recent: ready; once it is older than 1 s: not.
        assert http.get("/readyz").status_code == 200
        time.sleep(1.2)
        gone = http.get("/readyz")
        assert gone.status_code == 503
        assert "node down" in gone.json()["error"]["message"]
