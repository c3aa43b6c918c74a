"""The pending view as a running service: its own node connection, contract engine and
feed thread, over a store that another thread or process indexes.

The view only reads the store. Its engine loads the indexer's compiled modules from the
disk cache read-only (the follower owns that directory) and runs every update on its own
worker thread, so contract calls in pending transactions run exactly as in a block, without
waiting on or slowing the follower's engine.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from indexer.config import Config
from indexer.contract_engine import CachedEngine, contract_engine, contract_machine
from indexer.mempool_feed import MempoolFeed
from indexer.mempool_layer import MempoolLayer
from indexer.node_thread import NodeThread
from indexer.runtime import node_settings
from indexer.store_reader import StoreReader

log = logging.getLogger(__name__)


class MempoolService:
    """Start with :meth:`start`, stop with :meth:`close` (idempotent)."""

    def __init__(self, config: Config, reader: StoreReader) -> None:
        self.engine: CachedEngine = contract_engine(
            config.engine_config, replace(config.module_cache, read_only=True)
        )
        self.layer = MempoolLayer(contract_machine(self.engine), config.mempool_max_bytes)
        # retry_deadline 0: a node that is down fails the step at once; the feed's loop
        # retries every poll and keeps serving the last view meanwhile.
        self.node = NodeThread(node_settings(config, retry_deadline=0.0))
        self.feed = MempoolFeed(
            self.layer,
            self.node,
            reader,
            poll_seconds=config.poll_seconds,
            zmq_url=config.zmq_sequence_url,
            runner=self.engine,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mempool", daemon=True)

    def start(self) -> None:
        self._thread.start()
        log.info(
            "pending view on (memory cap %s bytes, %s)",
            f"{self.layer.max_bytes:,}",
            "ZMQ sequence" if self.feed.listener is not None else "polling the mempool",
        )

    def _run(self) -> None:
        try:
            self.feed.run(self._stop)
        except Exception:  # the view is a convenience: it must never take the indexer down
            log.exception("the pending view stopped")

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        self.node.interrupt()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.feed.close()
        self.node.close()
