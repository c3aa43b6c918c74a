"""Request bodies: bounded in size and always a JSON object, or a 4xx that says why."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, bad_request, error_response


class BodyTooLargeError(Exception):
    pass


class BodyLimit:
    """Refuses request bodies above ``limit`` bytes with 413, whether declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLargeError
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLargeError:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "request_too_large", f"request bodies are limited to {self.limit:,} bytes"
        )
        await response(scope, receive, send)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def json_object(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the body as Content-Type: application/json, not {media_type[:60] or 'none'!r}",
        )
    raw = await request.body()
    try:
        # Python's json reads NaN and Infinity, which are not JSON and no amount or rate.
        body = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise bad_request("invalid_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "the request body must be a JSON object")
    return body
