"""The block fetch process without a node: an error crosses back as itself, and the child
does not outlive it. (tests/regtest/test_fetch_process.py fetches from real nodes.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.fetch_process import (
    Fetchers,
    FetchStoppedError,
    _Outbox,
    _pipe_unread_bytes,
    fetch_blocks_in_process,
)
from indexer.node import NodeSettings, NodeUnavailableError
from regtest.node import free_loopback_ports


def children() -> set[int]:
    """This process's live child processes (Linux: /proc/self/task/*/children)."""
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            text = (task / "children").read_text()
        except FileNotFoundError:
            continue  # a thread that ended while we looked
        pids.update(int(pid) for pid in text.split())
    return pids


def test_a_node_error_in_the_child_is_raised_in_the_parent_as_itself() -> None:
    (port,) = free_loopback_ports(1)  # nothing listens there
    settings = NodeSettings(
        rpc_url=f"http://127.0.0.1:{port}",
        user="u",
        password="p",
        cookie_file=None,
        retry_deadline=0.5,
    )
    before = children()
    with pytest.raises(NodeUnavailableError, match="unreachable"):
        list(fetch_blocks_in_process(settings, 1, 100, 8, layout=True))
    assert children() == before, "the fetch process outlived its range"


def test_stopping_ends_a_child_that_waits_for_a_node_that_is_down() -> None:
    (port,) = free_loopback_ports(1)
    settings = NodeSettings(  # no retry deadline: the child would retry forever
        rpc_url=f"http://127.0.0.1:{port}", user="u", password="p", cookie_file=None
    )
    fetchers = Fetchers()
    before = children()
    stopper = threading.Timer(1.0, fetchers.stop)
    stopper.start()
    started = time.monotonic()
    with pytest.raises(FetchStoppedError):
        list(fetch_blocks_in_process(settings, 1, 100, 8, layout=True, fetchers=fetchers))
    assert time.monotonic() - started < 10.0
    stopper.join()
    assert children() == before
    with pytest.raises(FetchStoppedError):  # and a range started after the stop
        list(fetch_blocks_in_process(settings, 1, 100, 8, layout=True, fetchers=fetchers))


def unreachable_settings() -> NodeSettings:
    (port,) = free_loopback_ports(1)
    return NodeSettings(
        rpc_url=f"http://127.0.0.1:{port}",
        user="u",
        password="p",
        cookie_file=None,
        retry_deadline=0.5,
    )


def test_a_prepared_spare_takes_the_next_range_and_the_one_after_starts_afresh() -> None:
    fetchers = Fetchers()
    before = children()
    fetchers.prepare()
    spare = fetchers.spare_pid
    assert spare is not None and spare in children()
    fetchers.prepare()  # one spare at most
    assert fetchers.spare_pid == spare
    taken = fetchers.take()
    assert taken.pid == spare and fetchers.spare_pid is None
    fetchers.discard(taken)
    assert taken.stdin is not None
    taken.stdin.close()  # a spare no one sends a request: it leaves quietly
    assert taken.wait(10) == 0
    with pytest.raises(NodeUnavailableError):  # no spare: a range starts its own process
        list(fetch_blocks_in_process(unreachable_settings(), 1, 100, 8, layout=True))
    assert children() == before


def test_a_dead_spare_is_replaced_and_stop_or_close_ends_a_live_one() -> None:
    fetchers = Fetchers()
    before = children()
    fetchers.prepare()
    spare = fetchers.spare_pid
    assert spare is not None
    os.kill(spare, signal.SIGKILL)
    time.sleep(0.2)
    taken = fetchers.take()
    assert taken.pid != spare and taken.poll() is None
    fetchers.discard(taken)
    taken.kill()
    taken.wait(10)
    fetchers.prepare()
    fetchers.close()
    assert fetchers.spare_pid is None
    fetchers.prepare()
    fetchers.stop()
    fetchers.prepare()  # stopped: no more processes
    assert fetchers.spare_pid is None
    assert children() == before


def test_the_pipe_says_how_much_its_reader_has_not_read() -> None:
    read_end, write_end = os.pipe()
    try:
        assert _pipe_unread_bytes(write_end) == 0
        os.write(write_end, b"x" * 100)
        assert _pipe_unread_bytes(write_end) == 100
        assert len(os.read(read_end, 60)) == 60
        assert _pipe_unread_bytes(write_end) == 40
    finally:
        os.close(read_end)
        os.close(write_end)


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += os.read(fd, size - len(data))
    return data


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_outbox_writes_in_order_and_counts_what_the_reader_has_not_read() -> None:
    read_end, write_end = os.pipe()  # 64 KiB: the writer waits for the reader in every part
    parts = [bytes([n]) * 200_000 for n in range(3)]
    with os.fdopen(write_end, "wb") as out:
        outbox = _Outbox(out)
        assert outbox.unread_bytes() == 0  # nothing sent: the reader waits, and walks
        outbox.put((parts[0],))
        outbox.put((parts[1], parts[2]))
        # Whether still queued, in the writer's hands or in the pipe: all of it is unread.
        _wait_until(lambda: outbox.unread_bytes() == 600_000)
        received = _read_exactly(read_end, 250_000)
        _wait_until(lambda: outbox.unread_bytes() == 350_000)
        received += _read_exactly(read_end, 350_000)
        outbox.close()
        assert received == b"".join(parts)
        assert outbox.unread_bytes() == 0
    os.close(read_end)


def test_the_outbox_raises_once_the_reader_is_gone_instead_of_waiting() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "wb") as out:
        outbox = _Outbox(out)
        with pytest.raises(BrokenPipeError):
            for _ in range(100):  # more than the outbox holds: put() must not wait forever
                outbox.put((b"x" * 100_000,))
        with pytest.raises(BrokenPipeError):
            outbox.close()


def test_the_fetch_process_starts_without_the_json_rpc_stack() -> None:
    probe = (
        "import sys, indexer.fetch_process;"
        "print(sorted({'httpx', 'bitcoinrpc'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
