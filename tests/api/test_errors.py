"""Every error is JSON with a stable code; the unexpected ones are logged 500s."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.server import ServerThread
from protocol.params import Network
from tests.api.world import World

CORS = ApiSettings(network=Network.REGTEST, cors_origins=("https://wallet.example",))


@pytest.fixture
def cors_client(world: World) -> Iterator[httpx.Client]:
    app = create_app(ApiContext(world.store, CORS))

    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    app.add_route("/boom", boom)
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as http:
        yield http


def test_unknown_routes_and_methods(client: httpx.Client) -> None:
    missing = client.get("/v2/everything")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "no route for /v2/everything",
    }
    wrong = client.post("/v1/status")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert client.delete("/v1/outpoints").status_code == 405


def test_an_unexpected_exception_is_a_logged_json_500(
    cors_client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="api.errors")
    response = cors_client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "a bug" not in response.text  # no internals leak to clients
    assert any("GET /boom" in r.getMessage() and r.exc_info for r in caplog.records)


def test_cors_only_for_configured_origins(cors_client: httpx.Client, client: httpx.Client) -> None:
    allowed = cors_client.get("/v1/status", headers={"Origin": "https://wallet.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://wallet.example"
    other = cors_client.get("/v1/status", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = cors_client.options(
        "/v1/outpoints",
        headers={
            "Origin": "https://wallet.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    plain = client.get("/v1/status", headers={"Origin": "https://wallet.example"})
    assert "access-control-allow-origin" not in plain.headers
