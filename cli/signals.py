"""Stop requests: SIGINT and SIGTERM, handled from the first moment of the command.

A request sets one event and calls every registered waker (interrupt the node, wake the tip
wait, stop the API server), so nothing waits out a poll interval or a node that is down. The
signal handler itself only writes a byte to a pipe: a waker may take locks, and a handler
runs between two bytecodes of the main thread, perhaps while that thread holds one of them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

log = logging.getLogger("rootstate")


class Shutdown:
    def __init__(self) -> None:
        self.requested = threading.Event()
        self._wakers: list[Callable[[], object]] = []
        self._lock = threading.Lock()

    @classmethod
    @contextmanager
    def installed(cls) -> Iterator[Shutdown]:
        """Handle SIGINT and SIGTERM inside the block (on the main thread); the previous
        handlers come back after it."""
        shutdown = cls()
        read_fd, write_fd = os.pipe()
        previous = shutdown._install(read_fd, write_fd)
        try:
            yield shutdown
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(write_fd)  # the watcher reads end-of-file and returns

    def _install(self, read_fd: int, write_fd: int) -> dict[int, Any]:
        os.set_blocking(write_fd, False)

        def handler(signum: int, _frame: FrameType | None) -> None:
            # A full pipe holds earlier requests already: this one would add nothing.
            with contextlib.suppress(OSError):
                os.write(write_fd, bytes([signum]))

        def watch() -> None:
            with os.fdopen(read_fd, "rb", buffering=0) as pipe:
                while data := pipe.read(64):
                    self._handle(data)

        threading.Thread(target=watch, name="signals", daemon=True).start()
        return {
            signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)
        }

    def _handle(self, data: bytes) -> None:
        for signum in data:
            name = signal.Signals(signum).name
            if self.requested.is_set():
                log.info("%s: already stopping", name)
            else:
                log.info("%s: stopping", name)
            self.request()

    def request(self) -> None:
        """Stop: set the event and wake every wait."""
        self.requested.set()
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    def on_stop(self, wake: Callable[[], object]) -> None:
        """Call ``wake`` on a stop request (at once if one came already)."""
        with self._lock:
            self._wakers.append(wake)
        if self.requested.is_set():
            wake()
