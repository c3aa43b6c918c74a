"""The Starlette application: routes, middleware, error handling and the background monitor.

Handlers are ``async`` and read LMDB directly in short read-only transactions (a lookup takes
microseconds, less than a hop to a thread pool); nothing here writes the store, so the
indexer is never blocked. Middleware, outermost first: CatchAll (any unexpected exception
becomes a logged JSON 500), request metrics, CORS (when origins are configured), the request
body limit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api import (
    compose_call,
    compose_publish,
    routes_compose,
    routes_contracts,
    routes_history,
    routes_mempool,
    routes_offers,
    routes_proofs,
    routes_status,
    routes_tokens,
    routes_wallets,
    sse,
)
from api.body import BodyLimit
from api.context import ApiContext
from api.errors import ApiError, CatchAll, api_error_handler, http_error_handler
from api.explorer.routes import ROUTES as EXPLORER_ROUTES
from api.heavy import HeavyWork
from api.metrics import ROUTES as METRICS_ROUTES
from api.metrics import ApiMetrics, RequestMetrics
from api.openapi import build_openapi
from api.routes_status import StatusCache
from api.stream_hub import StreamHub


def all_routes() -> list[BaseRoute]:
    async def openapi(request: Request) -> Response:
        return JSONResponse(request.app.state.openapi)

    return [
        *routes_status.ROUTES,
        *routes_tokens.ROUTES,
        *routes_wallets.ROUTES,
        *routes_proofs.ROUTES,
        *routes_history.ROUTES,
        *routes_mempool.ROUTES,
        *sse.ROUTES,
        *routes_compose.ROUTES,
        *routes_contracts.ROUTES,
        *compose_call.ROUTES,
        *compose_publish.ROUTES,
        *routes_offers.ROUTES,
        *METRICS_ROUTES,
        Route("/openapi.json", openapi, methods=["GET"]),
    ]


def create_app(ctx: ApiContext) -> Starlette:
    metrics = ApiMetrics(ctx)
    settings = ctx.settings
    middleware = [Middleware(CatchAll), Middleware(RequestMetrics, metrics=metrics)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "Last-Event-ID"],
            )
        )
    middleware.append(Middleware(BodyLimit, limit=settings.max_body_bytes))

    heavy = HeavyWork(
        ctx.reader.config,
        settings.heavy_processes,
        settings.heavy_queue,
        settings.engine,
        modules=settings.module_cache,
    )
    streams = StreamHub(ctx, heavy)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(ctx.monitor.run(), name="monitor"),
            asyncio.create_task(streams.run(), name="streams"),
        ]
        heavy.start()
        try:
            yield
        finally:
            heavy.close()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = Starlette(
        # The HTML explorer's pages sit beside the JSON routes (not in their OpenAPI
        # description), under the same middleware and connection limits.
        routes=[*all_routes(), *EXPLORER_ROUTES],
        middleware=middleware,
        exception_handlers={ApiError: api_error_handler, HTTPException: http_error_handler},
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.metrics = metrics
    app.state.streams = streams
    app.state.status_cache = StatusCache()
    app.state.heavy = heavy
    app.state.openapi = build_openapi(settings)
    return app
