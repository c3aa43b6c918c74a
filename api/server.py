"""Running the app under uvicorn: in the foreground (the CLI), in forked worker processes
sharing one listening socket, or on a background thread (tests, benchmarks)."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from api.guard import ConnectionLimits, guarded_protocol

log = logging.getLogger(__name__)

#: uvicorn's access log costs more than a balance lookup; metrics count requests instead.
ACCESS_LOG = False


#: On SIGTERM/SIGINT, requests still running get this long before their tasks are cancelled.
#: Without a bound, one client that keeps a /v1/stream open (Node's fetch does) kept the
#: server alive indefinitely.
GRACEFUL_SHUTDOWN_SECONDS = 3


def uvicorn_config(
    app: ASGIApp, host: str, port: int, limits: ConnectionLimits | None = None
) -> uvicorn.Config:
    limits = limits or ConnectionLimits()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(limits),
        ws="none",
        timeout_keep_alive=limits.keep_alive_timeout,
        access_log=ACCESS_LOG,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


class ServerThread:
    """The app served on a loopback port by a thread; for tests and the benchmark."""

    def __init__(
        self,
        app: Starlette,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: ConnectionLimits | None = None,
    ) -> None:
        # uvicorn leaves signals alone off the main thread: the owner stops it with stop().
        self.server = uvicorn.Server(uvicorn_config(app, host, port, limits))
        self._thread = threading.Thread(target=self.server.run, name="api", daemon=True)
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=30)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def raise_fd_limit(needed: int) -> int:
    """Raise this process's open-file limit toward ``needed`` (within the hard limit): each
    connection holds a descriptor, and running out answers clients with empty replies."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning(
            "open-file limit %s is below the %s the connection limit needs; lower "
            "api_max_connections or raise the limit (ulimit -n)",
            f"{soft:,}",
            f"{needed:,}",
        )
    return soft


def run_workers(
    workers: int,
    host: str,
    port: int,
    serve: Callable[[socket.socket], None],
    sock: socket.socket | None = None,
) -> int:
    """Bind ``host:port`` once (or take ``sock``, already listening there) and fork
    ``workers`` processes that each call ``serve(sock)`` (the kernel spreads connections
    between them); SIGINT and SIGTERM are passed on to them.

    Fork before anything opens the store: LMDB environments must not cross a fork. Returns
    0 when every worker exited cleanly, else 1 (a worker that fails stops the others).
    """
    if sock is None:
        sock = socket.create_server((host, port), backlog=2048)
    sock.set_inheritable(True)
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                serve(sock)
            except BaseException:
                log.exception("API worker %s failed", os.getpid())
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    sock.close()

    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    log.info("API on http://%s:%s: %s worker processes %s", host, port, workers, children)
    failed = False
    while children:
        pid, status = os.wait()
        if pid not in children:
            continue
        children.remove(pid)
        code = os.waitstatus_to_exitcode(status)
        # Asked to stop, uvicorn re-raises the signal once shut down: that is a clean exit.
        if stopping and code in (-signal.SIGTERM, -signal.SIGINT):
            code = 0
        if code != 0 and not failed:
            failed = True
            log.error("API worker %s exited with %s; stopping the others", pid, code)
            forward(signal.SIGTERM, None)
    return 1 if failed else 0
