"""Errors as the API reports them: ``{"error": {"code": ..., "message": ...}}``, always JSON.

Routes raise :class:`ApiError` with a stable machine-readable code and a message for people.
Starlette's own HTTP errors (unknown route, wrong method) get codes too, and
:class:`CatchAll`, the outermost middleware, turns anything unexpected into a logged 500 of
the same shape, so no client ever sees a traceback or an HTML page.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

#: Codes for the statuses Starlette raises by itself.
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error a client caused or should know about; ``code`` is stable across versions."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[ApiError], tuple[int, str, str]]:
        # Raised in worker processes (api.heavy) and re-raised here: pickle all three fields.
        return (ApiError, (self.status, self.code, self.message))


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def unprocessable(code: str, message: str) -> ApiError:
    return ApiError(422, code, message)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = exc.detail if exc.status_code != 404 else f"no route for {request.url.path}"
    response = error_response(exc.status_code, code, str(message))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


class CatchAll:
    """Outermost middleware: an unexpected exception becomes a logged JSON 500.

    If the response had already started (a stream), the connection is closed instead: a
    second response cannot be sent.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unexpected error serving %s %s", scope["method"], scope["path"])
            if started:
                raise
            response = error_response(
                500, "internal_error", "the server failed unexpectedly; the error is logged"
            )
            await response(scope, receive, send)
