"""NodeThread.interrupt: a stop request ends a call that waits for a node that is down; a
node thread made for a catch-up starts the block fetch process first."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest

from indexer.node import NodeSettings
from indexer.node_thread import PROCESS_MIN_BLOCKS, NodeThread, StopRequestedError
from regtest.node import free_loopback_ports
from tests.indexer.test_fetch_process import children


def unreachable() -> NodeThread:
    (port,) = free_loopback_ports(1)  # nothing listens: the client retries forever
    return NodeThread(NodeSettings(f"http://127.0.0.1:{port}", "u", "p", None))


@pytest.mark.parametrize("call", ["tip_height", "blocks", "long range"])
def test_interrupt_ends_a_retrying_call_and_close_leaves_no_task(
    caplog: pytest.LogCaptureFixture, call: str
) -> None:
    gc.collect()  # earlier tests' garbage, so that only this test's is collected below
    node = unreachable()
    outcome: list[BaseException] = []

    def ask() -> None:
        try:
            if call == "blocks":
                list(node.blocks(1, 5, 2))  # the prefetching generator of the follow loop
            elif call == "long range":
                list(node.fetch(1, PROCESS_MIN_BLOCKS, 2))  # from the block fetch process
            else:
                node.tip_height()
        except BaseException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=ask)
    caller.start()
    time.sleep(0.3 if call != "long range" else 1.5)  # inside the back-off wait
    assert caller.is_alive()
    started = time.monotonic()
    node.interrupt()
    caller.join(5)
    assert not caller.is_alive() and time.monotonic() - started < 2
    assert len(outcome) == 1 and isinstance(outcome[0], StopRequestedError)
    with pytest.raises(StopRequestedError):
        node.block_hash(1)  # refused at once after the interrupt
    node.close()
    gc.collect()  # a task left pending would be reported as it is collected
    assert "Task was destroyed" not in caplog.text


def test_a_node_thread_for_a_catch_up_starts_its_fetch_process_first_and_ends_it() -> None:
    (port,) = free_loopback_ports(1)
    settings = NodeSettings(f"http://127.0.0.1:{port}", "u", "p", None)
    before = children()
    with NodeThread(settings):
        assert children() == before  # not a catch-up: nothing started
    with NodeThread(settings, fetch_soon=True):
        started = children() - before
        assert len(started) == 1, "a catch-up's node thread starts a spare fetch process"
        assert "indexer.fetch_process" in Path(f"/proc/{started.pop()}/cmdline").read_text()
    assert children() == before
