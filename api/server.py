"""Running the app under uvicorn: in the foreground (the CLI) or on a background thread."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

#: uvicorn's access log costs more than a balance lookup; metrics count requests instead.
ACCESS_LOG = False


def uvicorn_config(app: ASGIApp, host: str, port: int, **options: object) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=ACCESS_LOG,
        log_level="warning",
        lifespan="on",
        **options,  # type: ignore[arg-type]
    )


class ServerThread:
    """The app served on a loopback port by a thread; for tests and the benchmark."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        # uvicorn leaves signals alone off the main thread: the owner stops it with stop().
        self.server = uvicorn.Server(uvicorn_config(app, host, port))
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
