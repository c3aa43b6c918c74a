"""``rootstate serve`` (the API over a store another process indexes) and ``rootstate run``
(indexer and API in one process)."""

from __future__ import annotations

import logging
import os
import threading

import uvicorn

from api.app import create_app
from api.context import ApiContext, IndexerLink
from api.server import uvicorn_config
from api.wiring import api_settings, node_height
from cli.signals import stop_on_signals
from indexer.config import Config
from indexer.progress import Progress
from indexer.runtime import follower, opened, store_config
from indexer.store_reader import open_reader

log = logging.getLogger("rootstate.api")

#: How long `run` waits for the indexer to finish its batch after the API stops.
STOP_WAIT_SECONDS = 60.0


def cmd_serve(config: Config) -> int:
    """The API alone, reading the store the indexer (another process) writes."""
    stop_on_signals()
    reader = open_reader(store_config(config))
    try:
        ctx = ApiContext(reader, api_settings(config), node_height=node_height(config))
        app = create_app(ctx)
        log.info("API on http://%s:%s (store %s)", config.api_host, config.api_port, reader.path)
        uvicorn.Server(uvicorn_config(app, config.api_host, config.api_port)).run()
    finally:
        reader.close()
    return 0


def cmd_run(config: Config) -> int:
    """The indexer on a thread and the API in the foreground, sharing one open store."""
    with opened(config) as (node, store):
        follow = follower(config, store, node, Progress())
        stop = threading.Event()
        stop_on_signals(stop)
        failed: list[BaseException] = []
        server: uvicorn.Server | None = None

        def index() -> None:
            try:
                follow.follow(stop)
            except BaseException as exc:
                log.exception("the indexer stopped")
                failed.append(exc)
                if server is not None:
                    server.should_exit = True

        thread = threading.Thread(target=index, name="indexer", daemon=True)
        link = IndexerLink(follow.stats, thread.is_alive)
        ctx = ApiContext(store, api_settings(config), node_height=node_height(config), indexer=link)
        server = uvicorn.Server(uvicorn_config(create_app(ctx), config.api_host, config.api_port))
        thread.start()
        log.info("indexer started; API on http://%s:%s", config.api_host, config.api_port)
        try:
            server.run()
        finally:
            stop.set()
            thread.join(timeout=STOP_WAIT_SECONDS)
        if thread.is_alive():
            # Closing the store under a running write would be unsafe; LMDB is
            # crash-safe, so leaving mid-batch only loses the batch.
            log.error("the indexer did not stop within %s s; exiting", STOP_WAIT_SECONDS)
            os._exit(1)
        if failed:
            raise failed[0]
    return 0
