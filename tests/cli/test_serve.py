"""``rootstate serve`` as a process over a store another process wrote."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cli.exits import Exit
from regtest.node import free_loopback_ports
from tests.api.world import build_world

ROOTSTATE = [sys.executable, "-m", "cli"]


def serve(data_dir: Path, api_port: int, rpc_port: int, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ROOTSTATE_RPC_USER": "u", "ROOTSTATE_RPC_PASSWORD": "p"}
    argv = [
        *ROOTSTATE,
        "--network=regtest",
        f"--data-dir={data_dir}",
        f"--rpc-url=http://127.0.0.1:{rpc_port}",
        f"--api-port={api_port}",
        "--api-max-page-size=10",
        "serve",
        *extra,
    ]
    return subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)


def wait_until_serving(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"rootstate serve at {url} did not come up"


def wait_until_up(http: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if http.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "rootstate serve did not come up"
        time.sleep(0.05)


def test_serve_answers_from_the_store_and_stops_cleanly(tmp_path: Path) -> None:
    build_world(tmp_path / "regtest").store.close()
    api_port, rpc_port = free_loopback_ports(2)  # nothing listens on rpc_port: no node
    process = serve(tmp_path, api_port, rpc_port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as http:
            wait_until_up(http)
            assert http.get("/v1/tokens/ROOT").json()["supply"] == "1900"
            too_big = http.get("/v1/events", params={"limit": 11})
            assert too_big.json()["error"]["code"] == "invalid_limit"  # --api-max-page-size
            status = http.get("/v1/status").json()
            assert status["indexed"]["height"] == 4
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err


def test_serve_without_a_store_says_so(tmp_path: Path) -> None:
    api_port, rpc_port = free_loopback_ports(2)
    process = serve(tmp_path, api_port, rpc_port)
    _, err = process.communicate(timeout=30)
    assert process.returncode == Exit.NO_STORE
    assert "no store at" in err and "the indexer creates it" in err


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def test_serve_with_two_workers_forks_two_that_share_the_port(tmp_path: Path) -> None:
    build_world(tmp_path / "regtest").store.close()
    api_port, rpc_port = free_loopback_ports(2)
    process = serve(tmp_path, api_port, rpc_port, "--workers", "2")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as http:
            wait_until_up(http)
            workers = children(process.pid)
            assert len(workers) == 2
            # Each worker answers on the shared port (connections land on either).
            for _ in range(20):
                with httpx.Client(base_url=f"http://127.0.0.1:{api_port}") as fresh:
                    assert fresh.get("/v1/status").json()["indexed"]["height"] == 4
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    for worker in workers:
        assert not Path(f"/proc/{worker}").exists()


def test_sigterm_stops_serve_while_a_client_holds_a_stream_open(tmp_path: Path) -> None:
    """A client that never closes its /v1/stream (Node's fetch does not when the server
    starts shutting down) must not keep the server alive: SIGTERM ends it within seconds."""
    build_world(tmp_path / "regtest").store.close()
    api_port, rpc_port = free_loopback_ports(2)
    process = serve(tmp_path, api_port, rpc_port)
    with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as http:
        wait_until_up(http)
    holder = socket.create_connection(("127.0.0.1", api_port), timeout=30)
    try:
        holder.sendall(
            b"GET /v1/stream HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n"
        )
        head = holder.recv(65_536)
        assert head.startswith(b"HTTP/1.1 200"), head
        started = time.monotonic()
        process.terminate()
        _, err = process.communicate(timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        holder.close()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert stopped_in < 10, f"serve took {stopped_in:.1f} s to stop"
