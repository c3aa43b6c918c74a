"""The connection guard over real sockets: each limit refuses with the JSON error shape."""

from __future__ import annotations

import asyncio
import contextlib
import json
import select
import socket
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.guard import ConnectionLimits
from api.server import ServerThread

LIMITS = ConnectionLimits(
    max_head_bytes=4096,
    max_url_bytes=2048,
    head_timeout=1.5,
    keep_alive_timeout=1,
    max_connections=8,
)


async def ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def slow(request: Request) -> Response:
    await asyncio.sleep(1.0)
    return JSONResponse({"ok": True})


def make_server() -> ServerThread:
    return ServerThread(Starlette(routes=[Route("/ok", ok), Route("/slow", slow)]), limits=LIMITS)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with make_server() as running:
        yield running


@pytest.fixture
def fresh_server() -> Iterator[ServerThread]:
    """A server no other test has connections to (the capacity tests count them)."""
    with make_server() as running:
        yield running


def connect(server: ServerThread) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=5)
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def exchange(server: ServerThread, raw: bytes) -> tuple[int, dict[str, object]]:
    with connect(server) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(raw)
        reply = read_all(sock)
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/json" in head.lower()
    return status, json.loads(body)


def test_a_plain_request_is_served(server: ServerThread) -> None:
    status, body = exchange(server, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (status, body) == (200, {"ok": True})


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, "malformed_request"),
        (b"GET /o\x01k HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed_request"),
        (b"GET /ok HTTP/1.1\r\nHost: x\r\nX-A: \x7f\x00\r\n\r\n", 400, "malformed_request"),
        (b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "url_too_long"),
        (
            b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n",
            431,
            "headers_too_large",
        ),
    ],
)
def test_malformed_and_oversize_requests_get_json_errors(
    server: ServerThread, raw: bytes, status: int, code: str
) -> None:
    got, body = exchange(server, raw)
    assert got == status
    assert body["error"]["code"] == code  # type: ignore[index]


def test_a_huge_header_is_cut_off_early(server: ServerThread) -> None:
    """A 64 MiB header is refused after the first few KiB, not buffered."""
    with connect(server) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        with pytest.raises(OSError):
            while sent < 64 << 20:
                sock.sendall(b"a" * 65536)
                sent += 65536
        assert sent < 8 << 20


def test_a_silent_connection_is_closed_with_408(server: ServerThread) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        reply = read_all(sock)
    assert time.monotonic() - started < 4
    assert reply.startswith(b"HTTP/1.1 408")
    assert b'"request_timeout"' in reply


def test_a_trickled_head_is_closed_at_its_deadline(server: ServerThread) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\n")
        time.sleep(0.2)
        sock.sendall(b"Host: x\r\n")
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 408")


def test_an_idle_kept_alive_connection_is_closed(server: ServerThread) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 200")
    assert 0.5 < time.monotonic() - started < 4


def test_past_the_limit_the_longest_idle_connection_makes_room(
    fresh_server: ServerThread,
) -> None:
    server = fresh_server
    idle = [connect(server) for _ in range(LIMITS.max_connections)]
    try:
        time.sleep(0.1)
        status, body = exchange(server, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        # Well before the head deadline, exactly one idle connection was closed for room.
        readable, _, _ = select.select(idle, [], [], 0.5)
        evicted = [read_all(sock) for sock in readable]
    finally:
        for sock in idle:
            sock.close()
    assert (status, body) == (200, {"ok": True})
    assert len(evicted) == 1
    assert evicted[0].startswith(b"HTTP/1.1 503") and b'"connection_evicted"' in evicted[0]


def test_past_the_limit_with_every_connection_busy_a_new_one_gets_503(
    fresh_server: ServerThread,
) -> None:
    server = fresh_server
    busy = [connect(server) for _ in range(LIMITS.max_connections)]
    try:
        for sock in busy:
            sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        status, body = exchange(server, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
    finally:
        for sock in busy:
            sock.close()
    assert status == 503
    assert body["error"]["code"] == "too_many_connections"  # type: ignore[index]
