"""Progress: rates over a trailing window, and a live terminal line a stop leaves open."""

from __future__ import annotations

import io
import os
import re
import select
from contextlib import closing

import pytest

from indexer.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def drained(main: int) -> str:
    """Everything the terminal side has written: a pty hands it over in pieces."""
    out = b""
    while select.select([main], [], [], 0.5)[0]:
        chunk = os.read(main, 65_536)
        if not chunk:
            break
        out += chunk
    return out.decode()


def rate(line: str) -> float:
    match = re.search(r"rate=([\d,.]+)blk/s", line)
    assert match, line
    return float(match[1].replace(",", ""))


def test_the_rate_is_the_recent_one_not_an_average_since_start() -> None:
    clock = Clock()
    progress = Progress(io.StringIO(), clock=clock)
    progress.set_target(10_000)
    for height in range(1, 101):  # 100 blocks at 10 blocks/s
        clock.now += 0.1
        progress.block(height, 1_000_000)
    assert rate(progress.line()) == pytest.approx(10.0)
    clock.now += 600  # following: a block ten minutes later
    progress.block(101, 1_000_000)
    assert rate(progress.line()) == pytest.approx(1 / 600, abs=0.05)
    for height in range(102, 402):  # a catch-up again, at 100 blocks/s
        clock.now += 0.01
        progress.block(height, 1_000_000)
    assert rate(progress.line()) == pytest.approx(100.0, rel=0.01)
    assert "throughput=100.0MB/s" in progress.line()
    for height in range(402, 5_402):  # 50 s more at 100 blocks/s: the window moves along
        clock.now += 0.01
        progress.block(height, 1_000_000)
    assert rate(progress.line()) == pytest.approx(100.0, rel=0.01)


def on_a_terminal(target: int, after: str) -> str:
    """What a real pty shows when one block of ``target`` is applied, the progress closed
    (as index, verify and run close it on their way out), then ``after`` written."""
    main, side = os.openpty()
    try:
        with os.fdopen(side, "w", closefd=False) as terminal:
            with closing(Progress(terminal)) as progress:
                progress.set_target(target)
                progress.block(1, 1_000)
            terminal.write(after)
        return drained(main)
    finally:
        os.close(main)
        os.close(side)


def test_closing_ends_a_live_line_a_stop_left_open() -> None:
    """A catch-up stopped before its target leaves the cursor after the live line; closing
    the progress ends that line."""
    written = on_a_terminal(100, "Stopped.\n")
    assert "height=1 target=100" in written
    assert re.search(r"eta=\S+\r?\nStopped\.", written), repr(written)


def test_a_finished_catch_up_ends_its_line_once() -> None:
    written = on_a_terminal(1, "next\n")
    assert re.search(r"eta=\S+\r?\nnext", written), repr(written)
