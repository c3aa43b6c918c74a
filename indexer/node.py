"""The Bitcoin node client: JSON-RPC (Bitcoin Core or btcd) and Core's binary REST.

Transient trouble (node down, warming up, work queue full, timeouts) is retried with
capped exponential back-off and a visible message; trouble a retry cannot fix (wrong
credentials, pruned blocks, unknown methods) raises at once with what to do about it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from bitcoinrpc import BitcoinRPC, RPCError

from indexer.node_settings import (
    BlockNotFoundError,
    BlockPrunedError,
    NodeAuthError,
    NodeChainError,
    NodeError,
    NodeSettings,
    NodeUnavailableError,
)
from indexer.redact import split_credentials

__all__ = [
    "BlockNotFoundError",
    "BlockPrunedError",
    "NodeAuthError",
    "NodeChainError",
    "NodeClient",
    "NodeError",
    "NodeSettings",
    "NodeUnavailableError",
]

log = logging.getLogger(__name__)

RPC_IN_WARMUP = -28
RPC_MISC_ERROR = -1
RPC_INVALID_PARAMETER = -8
MAX_BACKOFF_SECONDS = 30.0


def _credentials(settings: NodeSettings) -> tuple[str, str]:
    if settings.cookie_file is not None:
        try:
            user, _, password = settings.cookie_file.read_text().strip().partition(":")
        except OSError as exc:
            raise NodeAuthError(
                f"cannot read RPC cookie file {settings.cookie_file}: {exc.strerror}; "
                "is the node running with this data directory?"
            ) from None
        return user, password
    if settings.user is not None and settings.password is not None:
        return settings.user, settings.password
    _, url_user, url_password = split_credentials(settings.rpc_url)
    if url_user is None or url_password is None:
        raise NodeAuthError("no RPC credentials: set rpc_cookie_file or rpc_user and rpc_password")
    return url_user, url_password


async def _raise_transport_status(response: httpx.Response) -> None:
    """Statuses that carry no JSON-RPC answer: bitcoinrpc would try to parse their body."""
    if response.status_code in (401, 403, 502, 503, 504):
        await response.aread()
        response.raise_for_status()
    # btcd answers 200 with an empty body while it shuts down: that is no answer, retry it.
    if response.status_code == 200 and not await response.aread():
        raise httpx.RemoteProtocolError("empty reply from the node", request=response.request)


class NodeClient:
    """One connection pool to one node; safe to share between concurrent tasks."""

    def __init__(self, settings: NodeSettings) -> None:
        self._settings = settings
        self._url, _, _ = split_credentials(settings.rpc_url)
        self._rpc = BitcoinRPC.from_config(
            self._url,
            _credentials(settings),
            timeout=httpx.Timeout(settings.timeout),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            event_hooks={"response": [_raise_transport_status]},
        )
        self._http: httpx.AsyncClient = self._rpc.client
        self._auth = _credentials(settings)
        self._rest_probe = asyncio.Lock()  # concurrent prefetches probe REST once
        self._rest: bool | None = {"on": True, "off": False}.get(settings.rest)

    async def __aenter__(self) -> NodeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._rpc.aclose()

    @property
    def url(self) -> str:
        """The node's URL without credentials (safe in messages and logs)."""
        return self._url

    async def call(self, method: str, *params: Any) -> Any:
        """One RPC call, retried through transient failures."""
        return await self._retrying(method, lambda: self._rpc.acall(method, list(params)))

    async def _retrying(self, what: str, attempt: Any) -> Any:
        delay = 0.5
        waited = 0.0
        tries = 0
        while True:
            tries += 1
            try:
                return await attempt()
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if status in (401, 403) and self._reload_cookie():
                    continue  # the node restarted and wrote a new cookie: retry at once
                if status in (401, 403):
                    raise NodeAuthError(
                        f"the node at {self.url} rejected the RPC credentials (HTTP {status}); "
                        "check rpc_user/rpc_password or rpc_cookie_file"
                    ) from None
                if status not in (500, 502, 503, 504):
                    raise NodeError(f"{what}: HTTP {status} from {self.url}") from None
                reason = f"HTTP {status} (busy)"
            except RPCError as exc:
                code = exc.error.get("code")
                message = str(exc.error.get("message", ""))
                if code == RPC_IN_WARMUP:
                    reason = f"warming up: {message}"
                elif "prune" in message.lower():
                    raise BlockPrunedError(
                        f"{what}: the node has pruned this block ({message}); rootstate needs "
                        "every block from the activation height: run the node without pruning "
                        "or with a prune height below it"
                    ) from None
                else:
                    raise NodeError(f"{what}: node error {code}: {message}") from None
            except (httpx.TransportError, OSError) as exc:
                reason = f"unreachable ({type(exc).__name__}: {exc or 'no detail'})"
            except (ValueError, KeyError) as exc:
                raise NodeError(f"{what}: {self.url} did not answer JSON-RPC ({exc})") from None
            deadline = self._settings.retry_deadline
            if deadline is not None and waited >= deadline:
                raise NodeUnavailableError(
                    f"{what}: node at {self.url} {reason}; gave up after {tries:,} tries"
                )
            log.warning(
                "node at %s %s; retrying %s in %.1fs (try %s)",
                self.url,
                reason,
                what,
                delay,
                f"{tries:,}",
            )
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    def _reload_cookie(self) -> bool:
        """Re-read the cookie file after a refusal; True when it holds new credentials.

        Bitcoin Core writes a new cookie every time it starts, so a node restarted under a
        running indexer refuses the old one.
        """
        if self._settings.cookie_file is None:
            return False
        try:
            fresh = _credentials(self._settings)
        except NodeAuthError:
            return False
        if fresh == self._auth:
            return False
        log.info("the node's RPC cookie changed (the node restarted); using the new one")
        self._auth = fresh
        self._http.auth = httpx.BasicAuth(*fresh)
        return True

    async def tip_height(self) -> int:
        return int(await self.call("getblockcount"))

    async def block_hash(self, height: int) -> bytes:
        """The best chain's block hash at ``height``, internal byte order."""
        try:
            return bytes.fromhex(await self.call("getblockhash", height))[::-1]
        except NodeError as exc:
            if "out of range" in str(exc).lower():
                raise BlockNotFoundError(f"no block at height {height:,} on the node") from None
            raise

    async def _rest_available(self) -> bool:
        if self._rest is not None:
            return self._rest
        async with self._rest_probe:
            return await self._probe_rest()

    async def _probe_rest(self) -> bool:
        if self._rest is None:
            base = self.url.rstrip("/")
            try:
                response = await self._http.get(f"{base}/rest/chaininfo.json")
                self._rest = response.status_code == 200
            except (httpx.TransportError, OSError):
                self._rest = False
            log.info("node REST interface %s", "in use" if self._rest else "not available")
        return self._rest

    async def raw_block(self, block_hash: bytes) -> bytes:
        """The serialized block: REST binary when served, else `getblock <hash> 0`.

        BlockNotFoundError if the node does not have it, or no longer: it restarted or
        switched chains after naming the hash.
        """
        try:
            return await self._raw_block(block_hash)
        except NodeError as exc:
            if "not found" not in str(exc).lower():
                raise
            raise BlockNotFoundError(
                f"the node has no block {block_hash[::-1].hex()} ({exc})"
            ) from None

    async def _raw_block(self, block_hash: bytes) -> bytes:
        display = block_hash[::-1].hex()
        if await self._rest_available():
            url = f"{self.url.rstrip('/')}/rest/block/{display}.bin"

            async def fetch() -> bytes:
                response = await self._http.get(url)
                if response.status_code == 404:
                    raise RPCError(None, {"code": RPC_MISC_ERROR, "message": response.text})
                response.raise_for_status()
                return response.content

            block: bytes = await self._retrying(f"REST block {display}", fetch)
            return block
        hex_block: str = await self.call("getblock", display, 0)
        return bytes.fromhex(hex_block)

    async def blocks(
        self, first: int, last: int, window: int
    ) -> AsyncIterator[tuple[int, bytes, bytes]]:
        """Yield (height, hash, raw block) for ``first..last`` in order, ``window`` in flight.

        Fetching overlaps with whatever the consumer does between items: the next
        ``window`` blocks are already requested while one is being applied.
        """
        pending: dict[int, asyncio.Task[tuple[bytes, bytes]]] = {}
        next_height = first

        async def fetch(height: int) -> tuple[bytes, bytes]:
            block_hash = await self.block_hash(height)
            return block_hash, await self.raw_block(block_hash)

        try:
            for height in range(first, last + 1):
                while next_height <= last and next_height < height + window:
                    pending[next_height] = asyncio.create_task(fetch(next_height))
                    next_height += 1
                block_hash, raw = await pending.pop(height)
                yield height, block_hash, raw
        finally:
            for task in pending.values():
                task.cancel()
