"""Catch-up progress: one live line on a terminal, periodic key=value logs elsewhere."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger("rootstate.progress")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 86_400:
        return f"{seconds // 86_400}d{seconds % 86_400 // 3600:02d}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    """Counts applied blocks and bytes; reports height, blocks/s, MB/s and ETA."""

    def __init__(self, stream: TextIO | None = None, interval: float = 10.0) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty()
        self._interval = 1.0 if self._tty else interval
        self._start = time.monotonic()
        self._last_report = 0.0
        self.blocks = 0
        self.bytes = 0
        self.height = 0
        self.target = 0

    def set_target(self, height: int) -> None:
        self.target = height

    def block(self, height: int, size: int) -> None:
        self.blocks += 1
        self.bytes += size
        self.height = height
        now = time.monotonic()
        if now - self._last_report >= self._interval or height >= self.target:
            self._last_report = now
            self.report()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = self.blocks / elapsed
        mbps = self.bytes / elapsed / 1e6
        left = max(self.target - self.height, 0)
        eta = _duration(left / rate) if rate > 0 and left else "0m00s"
        return (
            f"height={self.height:,} target={self.target:,} blocks={self.blocks:,} "
            f"rate={rate:,.1f}blk/s throughput={mbps:,.1f}MB/s eta={eta}"
        )

    def report(self) -> None:
        if self._tty:
            self._stream.write("\r\x1b[2K" + self.line())
            if self.height >= self.target:
                self._stream.write("\n")
            self._stream.flush()
        else:
            log.info("sync %s", self.line())
