"""The JSON routes, called in-process: a page shows exactly what its linked route answers.

A page names the API URL it is drawn from (and links to it); :func:`get_json` finds that
URL's route in the running app and calls its endpoint with a request built for it, without
an HTTP round trip. The route's own parsing and errors apply: an :class:`ApiError` it raises
reaches the page, which shows it as an HTML error with the same status and code.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from starlette.requests import Request
from starlette.routing import Match, Route

from api.errors import ApiError

Json = dict[str, Any]


def seg(text: str) -> str:
    """``text`` as one path segment: what a user typed can never add a segment or a query."""
    return quote(text, safe=":")


def api_url(path: str, query: dict[str, str | int | None] | None = None) -> str:
    """``path`` with the query parameters that are set (empty and None ones left out)."""
    kept = {k: str(v) for k, v in (query or {}).items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


async def get_json(request: Request, url: str) -> Json:
    """The body ``GET url`` answers in this app; ApiError as the route raises it."""
    parts = urlsplit(url)
    scope = {
        **request.scope,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "method": "GET",
    }
    for route in request.app.routes:
        if not isinstance(route, Route):
            continue
        match, child = route.matches(scope)
        if match is Match.FULL:
            response = await route.endpoint(Request({**scope, **child}, request.receive))
            body: Json = json.loads(bytes(response.body))
            if response.status_code != 200:
                error = body.get("error", {})
                raise ApiError(response.status_code, error.get("code"), error.get("message"))
            return body
    raise ApiError(404, "not_found", f"no route for {parts.path}")
