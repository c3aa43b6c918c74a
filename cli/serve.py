"""``rootstate serve`` (the API over a store another process indexes) and ``rootstate run``
(indexer and API in one process).

The listening socket is bound first, before anything waits for the node, so a port in use
fails at once with its own exit code, and "API on ..." is logged only once it is true.
uvicorn's own signal handling is switched off: the command's :class:`Shutdown` handles
SIGINT and SIGTERM from its first moment and stops the server with everything else.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import closing

import uvicorn
from starlette.types import ASGIApp

from api.app import create_app
from api.context import ApiContext, IndexerLink
from api.gate import Gate
from api.server import raise_fd_limit, run_workers, uvicorn_config
from api.wiring import api_settings, node_height
from cli.exits import ApiBindError
from cli.signals import Shutdown
from indexer.config import Config
from indexer.mempool_service import MempoolService
from indexer.node_thread import StopRequestedError
from indexer.progress import Progress
from indexer.runtime import follower, opened, store_config
from indexer.store_reader import StoreReader, open_reader
from indexer.tip_signal import TipSignal

log = logging.getLogger("rootstate.api")

#: Descriptors a worker needs besides its connections: the store, logs, heavy-work pipes.
FDS_BESIDES_CONNECTIONS = 64

#: How long `run` waits for the indexer to finish its batch after the API stops.
STOP_WAIT_SECONDS = 60.0


class Server(uvicorn.Server):
    """uvicorn without its signal handlers: :class:`Shutdown` owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_api(config: Config) -> socket.socket:
    """The API's listening socket, bound and listening; ApiBindError says why not."""
    try:
        infos = socket.getaddrinfo(
            config.api_host, config.api_port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ApiBindError(f"cannot listen on {config.api_host}:{config.api_port}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            why = "the port is in use; set api_port (--api-port) to a free port"
        else:
            why = f"{exc.strerror}; check api_host and api_port"
        raise ApiBindError(f"cannot listen on {config.api_host}:{config.api_port}: {why}") from None
    return sock


def _server(app: ASGIApp, config: Config, shutdown: Shutdown) -> Server:
    limits = api_settings(config).limits
    raise_fd_limit(limits.max_connections + FDS_BESIDES_CONNECTIONS)
    server = Server(uvicorn_config(app, config.api_host, config.api_port, limits))

    def stop() -> None:
        server.should_exit = True

    shutdown.on_stop(stop)
    return server


@contextlib.contextmanager
def pending_view(config: Config, reader: StoreReader) -> Iterator[MempoolService | None]:
    """The mempool's pending view over ``reader`` while the API serves (None: off)."""
    if not config.mempool:
        yield None
        return
    mempool = MempoolService(config, reader)
    mempool.start()
    try:
        yield mempool
    finally:
        mempool.close()


def cmd_serve(config: Config, shutdown: Shutdown) -> int:
    """The API alone, reading the store the indexer (another process) writes; with
    ``api_workers`` above 1, in that many forked processes sharing the port."""
    # Fail here, with the store's own message, rather than in every worker.
    open_reader(store_config(config)).close()
    sock = bind_api(config)

    def serve(listening: socket.socket, stop: Shutdown) -> None:
        reader = open_reader(store_config(config))
        try:
            with pending_view(config, reader) as mempool:
                ctx = ApiContext(
                    reader, api_settings(config), node_height=node_height(config), mempool=mempool
                )
                _server(create_app(ctx), config, stop).run(sockets=[listening])
        finally:
            reader.close()

    if config.api_workers == 1:
        log.info(
            "API on http://%s:%s (store %s)", config.api_host, config.api_port, config.store_path
        )
        serve(sock, shutdown)
        return 0

    def worker(listening: socket.socket) -> None:
        # A forked worker has none of the parent's threads, its signal watcher included.
        with Shutdown.installed() as own:
            serve(listening, own)

    # Fork before anything opens the store: LMDB environments must not cross a fork.
    return run_workers(config.api_workers, config.api_host, config.api_port, worker, sock)


def cmd_run(config: Config, shutdown: Shutdown) -> int:
    """The API in the foreground, answering ``not_ready`` until the indexer, on a thread, has
    reached the node and opened the store; then the two share that store."""
    sock = bind_api(config)
    gate = Gate(f"waiting for the node at {config.rpc_url}; see the log")
    server = _server(gate, config, shutdown)
    api_stopped = threading.Event()
    failed: list[BaseException] = []

    def index() -> None:
        try:
            with (
                opened(
                    config, watch=lambda node: shutdown.on_stop(node.interrupt), catch_up=True
                ) as (node, store),
                closing(TipSignal(config.zmq_url)) as tips,
                closing(Progress()) as progress,
                pending_view(config, store) as mempool,
            ):
                shutdown.on_stop(tips.wake)
                follow = follower(config, store, node, progress)
                link = IndexerLink(follow.stats, thread.is_alive)
                ctx = ApiContext(
                    store,
                    api_settings(config),
                    node_height=node_height(config),
                    indexer=link,
                    mempool=mempool,
                )
                gate.open(create_app(ctx))
                log.info("indexer started")
                try:
                    follow.follow(shutdown.requested, tips)
                finally:
                    # The API reads this store: close it only once the API has stopped.
                    server.should_exit = True
                    api_stopped.wait()
        except StopRequestedError:
            if not shutdown.requested.is_set():
                failed.append(RuntimeError("the node connection was interrupted"))
        except BaseException as exc:
            failed.append(exc)
            server.should_exit = True

    thread = threading.Thread(target=index, name="indexer", daemon=True)
    thread.start()
    log.info(
        "API on http://%s:%s (not ready until the store is open)", config.api_host, config.api_port
    )
    try:
        server.run(sockets=[sock])
    finally:
        api_stopped.set()
        shutdown.request()
        thread.join(timeout=STOP_WAIT_SECONDS)
    if thread.is_alive():
        # Closing the store under a running write would be unsafe; LMDB is
        # crash-safe, so leaving mid-batch only loses the batch.
        log.error("the indexer did not stop within %s s; exiting", STOP_WAIT_SECONDS)
        os._exit(1)
    if failed:
        raise failed[0]
    return 0
