"""Connection limits in front of the app: what uvicorn's HTTP protocol leaves unbounded.

uvicorn (httptools) accepts a request head of any size, never closes a connection that sends
nothing, and answers malformed HTTP in plain text. :func:`guarded_protocol` returns its
protocol class with the limits of :class:`ConnectionLimits` added:

- the request head (request line and headers) must arrive complete within
  ``head_timeout`` seconds of the connection opening (or of the first byte of a later request
  on a kept-alive connection), else 408 and the connection is closed: this bounds idle and
  trickling ("slowloris") connections;
- a head above ``max_head_bytes`` gets 431, a URL above ``max_url_bytes`` 414;
- past ``max_connections`` open connections, the one that has waited longest without
  sending a request is closed to make room; when every connection is busy, the new one's
  request gets 503 and it is closed;
- malformed HTTP (bad Content-Length, control characters, ...) gets 400.

Every refusal has the API's JSON error shape and closes the connection, since the rest of
the stream cannot be trusted. An idle kept-alive connection is closed after uvicorn's
``timeout_keep_alive``.
"""

from __future__ import annotations

import json
import logging
from asyncio import TimerHandle, Transport
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionLimits:
    max_head_bytes: int = 16 * 1024
    max_url_bytes: int = 8 * 1024
    head_timeout: float = 10.0
    keep_alive_timeout: int = 5
    max_connections: int = 1_000

    def __post_init__(self) -> None:
        if not 1024 <= self.max_url_bytes <= self.max_head_bytes:
            raise ValueError("max_url_bytes must be 1024 to max_head_bytes")
        if self.head_timeout <= 0 or self.keep_alive_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")


class _RefusedError(Exception):
    """Raised inside a parser callback to stop parsing; the refusal is already recorded."""


def error_bytes(status: int, code: str, message: str, close: bool = True) -> bytes:
    """A whole HTTP/1.1 response carrying the API's JSON error shape."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n" + ("connection: close\r\n" if close else "") + "\r\n"
    )
    return head.encode("ascii") + body


class _NoParserWarnings(logging.Filter):
    """uvicorn logs a warning per malformed request, so a client could flood the log; the
    guard answers each with a JSON 400 and logs nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Invalid HTTP request received."


_QUIET = _NoParserWarnings()


def guarded_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with ``limits`` enforced (pass it as ``Config(http=...)``)."""
    logging.getLogger("uvicorn.error").addFilter(_QUIET)  # a filter is added only once
    # The server's connections that wait for a request head, longest-waiting first (dicts
    # keep insertion order): eviction takes the first in O(1), even mid-flood.
    waiting: dict[HttpToolsProtocol, None] = {}

    class GuardedProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_timer: TimerHandle | None = None
            self._reading_head = True
            self._head_bytes = 0
            self._header_bytes = 0
            self._over_capacity = False
            self._refusal: tuple[int, str, str] | None = None

        def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            # The set includes this connection.
            if len(self.connections) > limits.max_connections:
                self._over_capacity = not self._evict_one()
            waiting[self] = None
            self._arm_head_timer()

        def _evict_one(self) -> bool:
            """Close the connection that has waited longest for a request head, to make room.

            A connection that sends nothing costs a descriptor and nothing else, so a flood
            of them would otherwise lock everyone out; one with a request or stream in
            progress is never closed for room. False if every other connection is busy.
            """
            if not waiting:
                return False
            oldest = next(iter(waiting))
            del waiting[oldest]
            assert isinstance(oldest, GuardedProtocol)
            oldest._refuse(
                503,
                "connection_evicted",
                "closed to make room: no request came on this connection while the server "
                f"held its limit of {limits.max_connections:,} connections",
            )
            self.connections.discard(oldest)
            return True

        def connection_lost(self, exc: Exception | None) -> None:
            waiting.pop(self, None)
            self._cancel_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._reading_head:
                self._head_bytes += len(data)
            super().data_received(data)
            if self._reading_head and self._head_bytes > limits.max_head_bytes:
                self._refuse(*self._too_large())

        def _too_large(self) -> tuple[int, str, str]:
            return (
                431,
                "headers_too_large",
                f"the request line and headers exceed {limits.max_head_bytes:,} bytes",
            )

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._head_timer is None:
                self._arm_head_timer()

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            if len(self.url) > limits.max_url_bytes:
                self._refusal = (
                    414,
                    "url_too_long",
                    f"the URL exceeds {limits.max_url_bytes:,} bytes",
                )
                raise _RefusedError

        def on_header(self, name: bytes, value: bytes) -> None:
            # data_received counts a head still arriving; this counts one that came whole.
            self._header_bytes += len(name) + len(value) + 4
            if self._header_bytes + len(self.url) > limits.max_head_bytes:
                self._refusal = self._too_large()
                raise _RefusedError
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            waiting.pop(self, None)
            self._cancel_head_timer()
            self._reading_head = False
            self._head_bytes = self._header_bytes = 0
            if self._over_capacity:
                self._refusal = (
                    503,
                    "too_many_connections",
                    f"the server holds its limit of {limits.max_connections:,} connections; "
                    "retry shortly",
                )
                raise _RefusedError
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._reading_head = True

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # Kept alive with no next request parsed yet: it waits again, youngest of all.
            if self._reading_head and not self.transport.is_closing():
                waiting.pop(self, None)
                waiting[self] = None

        def send_400_response(self, msg: str) -> None:
            """Called by uvicorn for any parser error, including our own refusals."""
            status, code, message = self._refusal or (
                400,
                "malformed_request",
                "the request is not valid HTTP/1.1 (request line, headers or framing)",
            )
            self._refuse(status, code, message)

        def _refuse(self, status: int, code: str, message: str) -> None:
            self._cancel_head_timer()
            if not self.transport.is_closing():
                self.transport.write(error_bytes(status, code, message))
                self.transport.close()

        def _arm_head_timer(self) -> None:
            self._cancel_head_timer()
            self._head_timer = self.loop.call_later(limits.head_timeout, self._head_timed_out)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self._reading_head:
                self._refuse(
                    408,
                    "request_timeout",
                    f"no complete request head within {limits.head_timeout:g} s",
                )

    return GuardedProtocol
