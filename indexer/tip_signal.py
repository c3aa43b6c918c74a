"""Knowing when the node has a new block: ZMQ ``hashblock``/``rawblock`` when published,
else polling.

Bitcoin Core publishes ``hashblock`` on ``-zmqpubhashblock=tcp://...`` and ``rawblock`` on
``-zmqpubrawblock=...``; the endpoint given may carry either or both, and either wakes the
follower (a ``rawblock`` body is not used: the follower fetches what it indexes itself, so
the block it applies is always the one the node names for the height). btcd publishes
nothing, so there the follower polls ``getblockcount``. Either way a missed notification
costs at most one poll interval: ZMQ only shortens the wait, it is never trusted alone.
"""

from __future__ import annotations

import logging
import threading

import zmq

log = logging.getLogger(__name__)

HASHBLOCK = b"hashblock"
RAWBLOCK = b"rawblock"
TOPICS = (HASHBLOCK, RAWBLOCK)


class TipSignal:
    """``wait(timeout)`` returns early when the node announces a block."""

    def __init__(self, zmq_url: str | None) -> None:
        self._event = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if zmq_url is not None:
            self._thread = threading.Thread(
                target=self._listen, args=(zmq_url,), name="zmq-tip", daemon=True
            )
            self._thread.start()

    def _listen(self, url: str) -> None:
        context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        socket = context.socket(zmq.SUB)
        try:
            for topic in TOPICS:
                socket.setsockopt(zmq.SUBSCRIBE, topic)
            socket.setsockopt(zmq.RCVTIMEO, 500)
            socket.connect(url)
            log.info("listening for hashblock/rawblock notifications on %s", url)
            while not self._stop.is_set():
                try:
                    topic, body, *_ = socket.recv_multipart()
                except zmq.Again:
                    continue
                if topic in TOPICS:
                    log.debug("%s notification (%s bytes)", topic.decode(), f"{len(body):,}")
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
        """Stop listening; a wait in progress returns at once."""
        self._stop.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
