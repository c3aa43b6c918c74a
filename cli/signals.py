"""Stop requests: SIGINT and SIGTERM turned into an event the indexer and the API watch."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

log = logging.getLogger("rootstate")


def stop_on_signals(stop: threading.Event | None = None) -> threading.Event:
    """SIGINT and SIGTERM set ``stop``, so the indexer finishes its batch and closes the store.

    uvicorn handles these signals while it serves, then restores the handlers found here and
    raises the signal again: with the default handlers that would kill the process mid-batch.
    """
    stop = stop or threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: finishing the current batch, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop
