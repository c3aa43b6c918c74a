"""A small synchronous JSON-RPC client for driving a regtest node from the harness.

It keeps one HTTP connection open and reconnects once when the node has closed it.
"""

from __future__ import annotations

import base64
import http.client
import json
from typing import Any
from urllib.parse import urlsplit


class RpcError(Exception):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: RPC error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message


class RpcTransportError(Exception):
    """The node could not be reached or answered with something other than JSON-RPC."""


class RpcClient:
    def __init__(self, url: str, user: str, password: str, *, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"RPC url must look like http://host:port, got {url!r}")
        self.url = url
        self._credentials = (user, password)
        self._host = parts.hostname
        self._port = parts.port
        self._timeout = timeout
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        self._conn: http.client.HTTPConnection | None = None
        self._next_id = 0

    def clone(self) -> RpcClient:
        """A client with its own connection, for use from another thread."""
        return RpcClient(self.url, *self._credentials, timeout=self._timeout)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, *params: Any) -> Any:
        self._next_id += 1
        body = json.dumps(
            {"jsonrpc": "1.0", "id": self._next_id, "method": method, "params": list(params)}
        ).encode()
        status, raw = self._post(body)
        try:
            reply = json.loads(raw)
        except ValueError:
            raise RpcTransportError(
                f"{method}: HTTP {status} with a non-JSON body: {raw[:200]!r}"
            ) from None
        if not isinstance(reply, dict):
            raise RpcTransportError(f"{method}: HTTP {status}, reply is not an object")
        error = reply.get("error")
        if error:
            raise RpcError(method, int(error.get("code", 0)), str(error.get("message", "")))
        return reply.get("result")

    def _post(self, body: bytes) -> tuple[int, bytes]:
        # One retry covers a keep-alive connection the node closed while we were idle.
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(
                    self._host, self._port, timeout=self._timeout
                )
            try:
                self._conn.request("POST", "/", body, self._headers)
                response = self._conn.getresponse()
                raw = response.read()
            except (ConnectionError, http.client.HTTPException, TimeoutError, OSError) as exc:
                self.close()
                if attempt == 2 or isinstance(exc, TimeoutError):
                    raise RpcTransportError(f"cannot reach {self.url}: {exc}") from exc
                continue
            if response.status == 401:
                raise RpcTransportError(f"{self.url}: authorization refused (HTTP 401)")
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, raw
        raise AssertionError("unreachable")
