"""What every page handler shares: API errors shown as HTML pages, and page sizes."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from api.context import context
from api.errors import ApiError
from api.explorer.source import Json, get_json
from api.explorer.templates import page

Handler = Callable[[Request], Awaitable[Response]]

#: Rows per listing on a page: a page stays small and fast; "next" links page on.
PAGE_ROWS = 25


def html(handler: Handler) -> Handler:
    """``handler``, with an ApiError from any route it reads shown as an HTML error page
    carrying the same status and code (a browser gets a page, not a JSON body)."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return page(
                "error.html", exc.status, title=f"Error {exc.status}", error=exc, sources=[]
            )

    return wrapped


def rows(request: Request, times: int = 1) -> int:
    """Rows per listing: ``times`` PAGE_ROWS, within the API's page size limit."""
    return min(PAGE_ROWS * times, context(request).settings.max_page_size)


async def token_names(request: Request, events: list[Json]) -> dict[str, Json]:
    """Ticker and decimals of each token the events name (from /v1/tokens/{id}), so their
    amounts show as the token's own pages show them; contract assets have neither."""
    names: dict[str, Json] = {}
    for event in events:
        token = event.get("token")
        if isinstance(token, str) and token.count(":") == 1 and token not in names:
            try:
                body = await get_json(request, f"/v1/tokens/{token}")
            except ApiError:  # an event of a token deploy rolled back since: show base units
                continue
            names[token] = {"ticker": body["ticker"], "decimals": body["decimals"]}
    return names
