"""The block fetch process without a node: an error crosses back as itself, and the child
does not outlive it. (tests/regtest/test_fetch_process.py fetches from real nodes.)"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from indexer.fetch_process import Fetchers, FetchStoppedError, fetch_blocks_in_process
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
