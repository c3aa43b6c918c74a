"""Knowing when the node has a new block: ZMQ ``hashblock`` when published, else polling.

Bitcoin Core publishes ``hashblock`` on ``-zmqpubhashblock=tcp://...``; btcd publishes
nothing, so there the follower polls ``getblockcount``. Either way a missed notification
costs at most one poll interval: ZMQ only shortens the wait, it is never trusted alone.
"""

from __future__ import annotations

import logging
import threading

import zmq

log = logging.getLogger(__name__)

HASHBLOCK = b"hashblock"


class TipSignal:
    """``wait(timeout)`` returns early when the node announces a block."""

    def __init__(self, zmq_url: str | None) -> None:
        self._event = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if zmq_url is not None:
            self._thread = threading.Thread(
                target=self._listen, args=(zmq_url,), name="zmq-hashblock", daemon=True
            )
            self._thread.start()

    def _listen(self, url: str) -> None:
        context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        socket = context.socket(zmq.SUB)
        try:
            socket.setsockopt(zmq.SUBSCRIBE, HASHBLOCK)
            socket.setsockopt(zmq.RCVTIMEO, 500)
            socket.connect(url)
            log.info("listening for hashblock notifications on %s", url)
            while not self._stop.is_set():
                try:
                    topic, body, *_ = socket.recv_multipart()
                except zmq.Again:
                    continue
                if topic == HASHBLOCK:
                    log.debug("hashblock %s", body.hex())
                    self._event.set()
        except zmq.ZMQError as exc:
            log.warning("ZMQ %s failed (%s); falling back to polling", url, exc)
        finally:
            socket.close(linger=0)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True when a block was announced meanwhile."""
        announced = self._event.wait(timeout)
        self._event.clear()
        return announced

    def wake(self) -> None:
        """End the current wait at once (a stop request); safe from any thread."""
        self._event.set()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
