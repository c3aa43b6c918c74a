"""Catch-up progress: one live line on a terminal, periodic key=value logs elsewhere.

Rates are over the last :data:`RATE_WINDOW_SECONDS`, not since start: an average since start
decays while the indexer follows the tip (a block every ten minutes) and understates a
catch-up that resumes after a quiet spell.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

log = logging.getLogger("rootstate.progress")

#: Blocks/s, MB/s and the ETA are measured over this trailing window.
RATE_WINDOW_SECONDS = 30.0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 86_400:
        return f"{seconds // 86_400}d{seconds % 86_400 // 3600:02d}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    """Counts applied blocks and bytes; reports height, blocks/s, MB/s and ETA.

    On a terminal the line is rewritten in place; :meth:`close` ends it with a newline if a
    stop left it open, so what is printed next starts on a line of its own.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty()
        self._interval = 1.0 if self._tty else interval
        self._clock = clock
        self._last_report = 0.0
        self._line_open = False
        self.blocks = 0
        self.bytes = 0
        self.height = 0
        self.target = 0
        # (time, blocks, bytes) at the start and after each block: those in the window, and
        # the last one before it, for a span to divide by when the window holds one block.
        self._samples: deque[tuple[float, int, int]] = deque([(clock(), 0, 0)])

    def set_target(self, height: int) -> None:
        self.target = height

    def block(self, height: int, size: int) -> None:
        self.blocks += 1
        self.bytes += size
        self.height = height
        now = self._clock()
        self._samples.append((now, self.blocks, self.bytes))
        while len(self._samples) > 2 and self._samples[1][0] < now - RATE_WINDOW_SECONDS:
            self._samples.popleft()
        if now - self._last_report >= self._interval or height >= self.target:
            self._last_report = now
            self.report()

    def line(self) -> str:
        now = self._clock()
        samples = self._samples
        # From the oldest sample inside the window; from the one before it only when the
        # window holds a single block (a block after a quiet spell: its true rate is low).
        start = 1 if len(samples) > 2 and samples[0][0] < now - RATE_WINDOW_SECONDS else 0
        then, blocks, size = samples[start]
        elapsed = max(now - then, 1e-9)
        rate = (self.blocks - blocks) / elapsed
        mbps = (self.bytes - size) / elapsed / 1e6
        left = max(self.target - self.height, 0)
        eta = _duration(left / rate) if rate > 0 and left else "0m00s"
        return (
            f"height={self.height:,} target={self.target:,} blocks={self.blocks:,} "
            f"rate={rate:,.1f}blk/s throughput={mbps:,.1f}MB/s eta={eta}"
        )

    def report(self) -> None:
        if self._tty:
            self._stream.write("\r\x1b[2K" + self.line())
            self._line_open = self.height < self.target
            if not self._line_open:
                self._stream.write("\n")
            self._stream.flush()
        else:
            log.info("sync %s", self.line())

    def close(self) -> None:
        """End a live line a stop left open (Ctrl-C during a catch-up)."""
        if self._line_open:
            self._stream.write("\n")
            self._stream.flush()
            self._line_open = False
