"""``rootstate`` as a process, with no node listening: stop requests, the API while waiting
for the node, and the exit code of each failure that needs no node to show."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.exits import Exit
from regtest.node import free_loopback_ports
from tests.api.world import build_world

ROOTSTATE = [sys.executable, "-m", "cli"]
#: Lines that must never reach an operator's terminal on a requested stop.
NOISE = ("Traceback", "Task was destroyed", "KeyboardInterrupt", "Exception ignored")


def rootstate(data_dir: Path, *args: str, rpc_port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "ROOTSTATE_RPC_USER": "u", "ROOTSTATE_RPC_PASSWORD": "p"}
    argv = [
        *ROOTSTATE,
        *args,  # the command first: flags after it must work too
        "--network=regtest",
        f"--data-dir={data_dir}",
        f"--rpc-url=http://127.0.0.1:{rpc_port}",
        "--poll-seconds=60",
    ]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_log(process: subprocess.Popen[str], text: str, timeout: float = 30) -> list[str]:
    """stderr lines up to the first that contains ``text``."""
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    for line in process.stderr:
        lines.append(line)
        if text in line:
            return lines
        assert time.monotonic() < deadline, "".join(lines)
    raise AssertionError(f"exited ({process.wait()}) before logging {text!r}: {''.join(lines)}")


def stop_quietly(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> str:
    """Send ``signum``; the command must end at once (not after a poll interval or a node's
    back-off), exit 0 and print nothing but log lines. Returns its stderr."""
    started = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    took = time.monotonic() - started
    assert process.returncode == Exit.OK, err
    assert not [noise for noise in NOISE if noise in err], err
    assert took < 10, f"took {took:.1f} s to stop"
    return err


@pytest.mark.parametrize(("command", "signum"), [("index", signal.SIGINT), ("run", signal.SIGTERM)])
def test_a_stop_request_while_the_node_is_down_ends_at_once_and_quietly(
    tmp_path: Path, command: str, signum: int
) -> None:
    api_port, rpc_port = free_loopback_ports(2)
    process = rootstate(tmp_path, command, f"--api-port={api_port}", rpc_port=rpc_port)
    try:
        # The node client is retrying with back-off: the signal lands in a wait.
        wait_for_log(process, "unreachable")
        if command == "run":
            # ...while the API answers already: alive, not ready, and saying why.
            with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=5) as http:
                assert http.get("/healthz").json() == {"status": "ok"}
                for path in ("/readyz", "/v1/status", "/v1/tokens"):
                    response = http.get(path)
                    assert response.status_code == 503, path
                    error = response.json()["error"]
                    assert error["code"] == "not_ready"
                    assert (
                        f"waiting for the node at http://127.0.0.1:{rpc_port}" in error["message"]
                    )
        err = stop_quietly(process, signum)
    finally:
        process.kill()
    assert "stopping" in err
    assert not (tmp_path / "regtest").exists()  # nothing was created for a node never seen


def test_status_exits_non_zero_at_once_when_the_node_is_down(tmp_path: Path) -> None:
    (rpc_port,) = free_loopback_ports(1)
    process = rootstate(tmp_path, "status", rpc_port=rpc_port)
    out, err = process.communicate(timeout=30)
    assert process.returncode == Exit.NODE_DOWN, err
    assert "unreachable" in out and "gave up after 1 tries" in out
    assert "retrying" not in err  # asked once, no back-off


def test_rollback_without_a_store_creates_none(tmp_path: Path) -> None:
    (rpc_port,) = free_loopback_ports(1)
    process = rootstate(tmp_path, "rollback", "--to=3", rpc_port=rpc_port)
    _, err = process.communicate(timeout=30)
    assert process.returncode == Exit.NO_STORE, err
    assert f"no store at {tmp_path / 'regtest'}" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["run", "serve"])
def test_an_api_port_in_use_has_its_own_exit_code(tmp_path: Path, command: str) -> None:
    (rpc_port,) = free_loopback_ports(1)
    if command == "serve":  # serve needs a store to get as far as binding
        build_world(tmp_path / "regtest").store.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        process = rootstate(tmp_path, command, f"--api-port={port}", rpc_port=rpc_port)
        _, err = process.communicate(timeout=30)
    assert process.returncode == Exit.API_BIND, err
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in err
    assert "API on" not in err
    assert "unreachable" not in err  # it failed before waiting for any node


def test_a_bad_setting_is_a_configuration_error(tmp_path: Path) -> None:
    (rpc_port,) = free_loopback_ports(1)
    process = rootstate(tmp_path, "status", "--rpc-timeout=-1", rpc_port=rpc_port)
    _, err = process.communicate(timeout=30)
    assert process.returncode == Exit.CONFIG, err
    assert "rpc_timeout=-1.0 is invalid" in err
