"""The tip signal wakes the follower on a ZMQ ``hashblock`` and never on anything else.

A real ZMQ PUB socket sends the frames Bitcoin Core sends (topic, 32-byte hash, 4-byte
sequence); with bitcoind on PATH the regtest suite covers Core's own publisher.
"""

from __future__ import annotations

import threading
import time

import pytest
import zmq

from indexer.tip_signal import TipSignal
from regtest.node import free_loopback_ports


def _publisher(port: int) -> zmq.Socket[bytes]:
    socket: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.PUB)
    socket.bind(f"tcp://127.0.0.1:{port}")
    return socket


def test_without_zmq_the_wait_is_a_plain_timeout() -> None:
    signal = TipSignal(None)
    started = time.monotonic()
    assert signal.wait(0.2) is False
    assert time.monotonic() - started >= 0.2
    signal.close()


@pytest.mark.parametrize("topic", [b"hashblock", b"rawblock"])
def test_block_topics_wake_the_waiter_and_other_topics_do_not(topic: bytes) -> None:
    (port,) = free_loopback_ports(1)
    publisher = _publisher(port)
    signal = TipSignal(f"tcp://127.0.0.1:{port}")
    try:
        time.sleep(0.5)  # a SUB socket misses what is sent before it has connected
        publisher.send_multipart([b"hashtx", bytes(32), (1).to_bytes(4, "little")])
        assert signal.wait(0.5) is False
        publisher.send_multipart([topic, bytes(range(32)), (2).to_bytes(4, "little")])
        started = time.monotonic()
        assert signal.wait(5.0) is True
        assert time.monotonic() - started < 5.0
        assert signal.wait(0.2) is False  # the announcement is consumed once
    finally:
        signal.close()
        publisher.close(linger=0)


def test_a_bad_endpoint_falls_back_to_polling() -> None:
    signal = TipSignal("tcp://256.0.0.1:1")
    try:
        assert signal.wait(0.3) is False
    finally:
        signal.close()


def test_closing_ends_a_wait_in_progress() -> None:
    (port,) = free_loopback_ports(1)
    signal = TipSignal(f"tcp://127.0.0.1:{port}")
    closer = threading.Timer(0.2, signal.close)
    closer.start()
    started = time.monotonic()
    signal.wait(30.0)
    assert time.monotonic() - started < 10.0
    closer.join()
