"""The API while its store is not open yet (``rootstate run`` waiting for the node).

Load balancers and operators get answers from the first moment: ``/healthz`` says the
process is alive, everything else is 503 ``not_ready`` with the reason. Once the indexer has
the store, :meth:`Gate.open` starts the real app's lifespan (its monitor) on the server's
event loop and hands every later request to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from api.errors import error_response

#: How long :meth:`Gate.open` waits for the server to have started.
START_SECONDS = 60.0


class Gate:
    """An ASGI app answering ``not_ready`` until :meth:`open` gives it the real app."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self._app: Starlette | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._lifespans = contextlib.AsyncExitStack()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self._app is not None:
            await self._app(scope, receive, send)
        elif scope["type"] == "http":
            if scope["path"] == "/healthz":
                response = JSONResponse({"status": "ok"})
            else:
                response = error_response(503, "not_ready", self.reason)
            await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._loop = asyncio.get_running_loop()
                self._started.set()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._lifespans.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def open(self, app: Starlette) -> None:
        """Serve ``app`` from now on; call from any thread but the server's."""
        if not self._started.wait(START_SECONDS) or self._loop is None:
            raise RuntimeError("the API server did not start")
        asyncio.run_coroutine_threadsafe(self._open(app), self._loop).result(START_SECONDS)

    async def _open(self, app: Starlette) -> None:
        await self._lifespans.enter_async_context(app.router.lifespan_context(app))
        self._app = app
