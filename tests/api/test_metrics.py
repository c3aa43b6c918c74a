"""/metrics in Prometheus text format, read back with prometheus_client's parser."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.server import ServerThread
from api.wiring import node_height
from indexer.config import load_config
from protocol.params import Network
from regtest.node import free_loopback_ports
from tests.api.world import build_world


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_indexer_and_request_figures(client: httpx.Client) -> None:
    client.get("/v1/tokens/ROOT")
    client.get("/v1/tokens/NOPE")
    found = samples(client.get("/metrics").text)
    assert found["rootstate_indexed_height", ()] == 4
    assert found["rootstate_reorgs_total", ()] == 0
    assert found["rootstate_reorg_depth_max", ()] == 0
    assert ("rootstate_node_up", ()) not in found  # no node is attached: nothing to report
    route = "/v1/tokens/{token}"
    ok = ("rootstate_http_requests_total", (("method", "GET"), ("route", route), ("status", "200")))
    missing = (ok[0], (("method", "GET"), ("route", route), ("status", "404")))
    assert found[ok] >= 1 and found[missing] >= 1
    assert found["rootstate_http_request_duration_seconds_count", (("route", route),)] >= 2
    # Paths with ids never become labels; only route templates do.
    assert not any("ROOT" in dict(labels).get("route", "") for _, labels in found)


def test_reorgs_and_an_unreachable_node(tmp_path: Path) -> None:
    world = build_world(tmp_path / "store")
    try:
        world.store.rollback_to(2)
        world.chain.height = 2
        world.chain.block()
        (port,) = free_loopback_ports(1)
        config = load_config(
            environ={
                "ROOTSTATE_NETWORK": "regtest",
                "ROOTSTATE_RPC_URL": f"http://127.0.0.1:{port}",
                "ROOTSTATE_RPC_USER": "u",
                "ROOTSTATE_RPC_PASSWORD": "p",
            }
        )
        ctx = ApiContext(
            world.store, ApiSettings(network=Network.REGTEST), node_height=node_height(config)
        )
        asyncio.run(ctx.monitor.tick())  # nothing listens on the port: the node is down
        with ServerThread(create_app(ctx)) as server, httpx.Client(base_url=server.url) as http:
            found = samples(http.get("/metrics").text)
            status = http.get("/v1/status").json()
            ready = http.get("/readyz")
        assert found["rootstate_indexed_height", ()] == 3
        assert found["rootstate_reorgs_total", ()] == 1
        assert found["rootstate_reorg_depth_max", ()] == 2
        assert found["rootstate_node_up", ()] == 0
        assert ("rootstate_node_height", ()) not in found
        assert status["node"]["height"] is None and status["node"]["error"]
        assert status["last_reorg"] == {"first_height": 3, "last_height": 4, "depth": 2}
        # Without the node's height there is no lag to hold readiness back.
        assert ready.status_code == 200
    finally:
        world.store.close()
