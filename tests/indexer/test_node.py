"""Node client error handling.

A fake node is used only for answers a real node cannot be made to give on demand
(warming up, work queue full, pruned blocks); a refused connection is real. The same
client against a real btcd is exercised by tests/regtest.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from indexer.node import (
    BlockPrunedError,
    NodeAuthError,
    NodeClient,
    NodeError,
    NodeSettings,
    NodeUnavailableError,
)
from regtest.node import free_loopback_ports

Responder = Callable[[str, list[Any]], tuple[int, dict[str, Any] | None]]


class _Handler(BaseHTTPRequestHandler):
    responder: Responder
    calls: list[str]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.calls.append(body["method"])
        status, payload = self.responder(body["method"], body.get("params", []))
        # 200 without a payload: an empty body, as btcd sends while it shuts down.
        empty = status == 200 and payload is None
        data = b"" if empty else json.dumps({"id": body["id"], **(payload or {})}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def fake_node() -> Iterator[Callable[[Responder], tuple[str, list[str]]]]:
    servers: list[ThreadingHTTPServer] = []

    def start(responder: Responder) -> tuple[str, list[str]]:
        calls: list[str] = []
        handler = type("H", (_Handler,), {"responder": staticmethod(responder), "calls": calls})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", calls

    yield start
    for server in servers:
        server.shutdown()


def _settings(url: str, deadline: float | None = 5.0, cookie: Path | None = None) -> NodeSettings:
    user, password = (None, None) if cookie else ("u", "p")
    return NodeSettings(url, user, password, cookie, rest="off", timeout=5, retry_deadline=deadline)


def _run(settings: NodeSettings, method: str, *params: Any) -> Any:
    async def go() -> Any:
        async with NodeClient(settings) as client:
            return await client.call(method, *params)

    return asyncio.run(go())


def test_warming_up_is_retried_until_ready(fake_node: Any) -> None:
    answers = iter([(-28, "Loading block index..."), (-28, "Verifying blocks..."), None])

    def responder(method: str, params: list[Any]) -> tuple[int, dict[str, Any]]:
        answer = next(answers)
        if answer is None:
            return 200, {"result": 321, "error": None}
        return 500, {"result": None, "error": {"code": answer[0], "message": answer[1]}}

    url, calls = fake_node(responder)
    assert _run(_settings(url), "getblockcount") == 321
    assert calls == ["getblockcount"] * 3


def test_busy_node_is_retried(fake_node: Any) -> None:
    answers = iter([503, 200])

    def responder(method: str, params: list[Any]) -> tuple[int, dict[str, Any] | None]:
        status = next(answers)
        return status, {"result": 7, "error": None} if status == 200 else None

    url, calls = fake_node(responder)
    assert _run(_settings(url), "getblockcount") == 7
    assert len(calls) == 2


def test_empty_reply_of_a_stopping_node_is_retried(fake_node: Any) -> None:
    answers = iter([None, {"result": 9, "error": None}])

    def responder(method: str, params: list[Any]) -> tuple[int, dict[str, Any] | None]:
        return 200, next(answers)

    url, calls = fake_node(responder)
    assert _run(_settings(url), "getblockcount") == 9
    assert len(calls) == 2


def test_pruned_block_is_a_clear_error_without_retry(fake_node: Any) -> None:
    def responder(method: str, params: list[Any]) -> tuple[int, dict[str, Any]]:
        error = {"code": -1, "message": "Block not available (pruned data)"}
        return 500, {"result": None, "error": error}

    url, calls = fake_node(responder)
    with pytest.raises(BlockPrunedError, match="run the node without pruning"):
        _run(_settings(url), "getblock", "00" * 32, 0)
    assert calls == ["getblock"]


def test_rejected_credentials_are_not_retried(fake_node: Any) -> None:
    url, calls = fake_node(lambda method, params: (401, None))
    with pytest.raises(NodeAuthError, match="rejected the RPC credentials"):
        _run(_settings(url), "getblockcount")
    assert len(calls) == 1


def test_other_rpc_errors_surface_with_code(fake_node: Any) -> None:
    error = {"code": -32601, "message": "Method not found"}
    url, _ = fake_node(lambda method, params: (500, {"result": None, "error": error}))
    with pytest.raises(NodeError, match="node error -32601: Method not found"):
        _run(_settings(url), "nosuchmethod")


def test_unreachable_node_gives_up_only_at_a_deadline() -> None:
    (port,) = free_loopback_ports(1)
    with pytest.raises(NodeUnavailableError, match="unreachable") as caught:
        _run(_settings(f"http://127.0.0.1:{port}", deadline=1.0), "getblockcount")
    assert "tries" in str(caught.value)


def test_missing_cookie_file_is_explained(tmp_path: Path) -> None:
    with pytest.raises(NodeAuthError, match="cannot read RPC cookie file"):
        NodeClient(_settings("http://127.0.0.1:1", cookie=tmp_path / ".cookie"))


def test_cookie_credentials_are_sent(fake_node: Any, tmp_path: Path) -> None:
    seen: list[str] = []

    class Recording(_Handler):
        def do_POST(self) -> None:
            seen.append(self.headers["Authorization"])
            super().do_POST()

    cookie = tmp_path / ".cookie"
    cookie.write_text("__cookie__:s3cret\n")
    calls: list[str] = []
    handler = type(
        "H",
        (Recording,),
        {
            "responder": staticmethod(lambda m, p: (200, {"result": 1, "error": None})),
            "calls": calls,
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert _run(_settings(url, cookie=cookie), "getblockcount") == 1
    finally:
        server.shutdown()
    # base64("__cookie__:s3cret")
    assert seen == ["Basic X19jb29raWVfXzpzM2NyZXQ="]
