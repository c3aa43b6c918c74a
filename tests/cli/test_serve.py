"""``rootstate serve`` as a process over a store another process wrote."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cli.exits import Exit
from regtest.node import free_loopback_ports
from tests.api.world import build_world

ROOTSTATE = [sys.executable, "-m", "cli"]


def serve(data_dir: Path, api_port: int, rpc_port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "ROOTSTATE_RPC_USER": "u", "ROOTSTATE_RPC_PASSWORD": "p"}
    argv = [
        *ROOTSTATE,
        "--network=regtest",
        f"--data-dir={data_dir}",
        f"--rpc-url=http://127.0.0.1:{rpc_port}",
        f"--api-port={api_port}",
        "--api-max-page-size=10",
        "serve",
    ]
    return subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)


def test_serve_answers_from_the_store_and_stops_cleanly(tmp_path: Path) -> None:
    build_world(tmp_path / "regtest").store.close()
    api_port, rpc_port = free_loopback_ports(2)  # nothing listens on rpc_port: no node
    process = serve(tmp_path, api_port, rpc_port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "rootstate serve did not come up"
                time.sleep(0.05)
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
