"""Blocks over Bitcoin Core's REST with the standard library, for the block fetch process.

Why not :class:`~indexer.node.NodeClient`: its httpx stack costs about 15 ms of CPU per 1 MB
block, measured on 100 bench blocks from Core, where ``http.client`` costs 1.1 ms: as much as
walking the block, on the core the fetch process shares with that walk. REST needs no
credentials. This client serves only the happy path: anything but a clean ``200`` (a block
the node does not have, a node restarting, a refused connection) comes back as ``None``, and
the caller asks the NodeClient, which knows how to retry and what to tell the operator.

``/rest/blockhashbyheight/<height>.bin`` answers the block hash in internal byte order,
``/rest/headers/<hash>.bin?count=<n>`` the best chain's headers from that block on, and
``/rest/block/<hash>.bin`` the serialized block (Bitcoin Core's doc/REST-interface.md). The
hashes come from headers asked up to 2,000 at a time, hashed here: one request per block
instead of two, which fewer threads then keep busy (:mod:`indexer.fetch_process`).
"""

from __future__ import annotations

import http.client
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit

from indexer.scan import HEADER_SIZE, sha256d

HASH_BYTES = 32
#: The most headers Core answers in one request (its rest.cpp, MAX_REST_HEADERS_RESULTS).
HEADERS_PER_REQUEST = 2000


class RestBlocks:
    """A pool of ``workers`` keep-alive connections fetching (hash, raw block) by height."""

    def __init__(self, rpc_url: str, timeout: float, workers: int) -> None:
        parts = urlsplit(rpc_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"REST fetching needs an http:// URL, not {rpc_url}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._base = parts.path.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="rest")
        self._hashes_lock = threading.Lock()
        self._hashes: dict[int, bytes] = {}  # height -> block hash, from the last headers

    def available(self) -> bool:
        """Whether the node serves REST at all (``-rest=1``)."""
        return self._get("/rest/chaininfo.json") is not None

    def submit(self, height: int, last: int) -> Future[tuple[bytes, bytes] | None]:
        """:meth:`block_at` on a pool thread."""
        return self._pool.submit(self.block_at, height, last)

    def block_at(self, height: int, last: int) -> tuple[bytes, bytes] | None:
        """(hash, raw block) of the best chain at ``height``, where the caller will ask for
        the heights up to ``last`` next; None: ask the NodeClient."""
        block_hash = self._hash_at(height, last)
        if block_hash is None:
            return None
        raw = self._get(f"/rest/block/{block_hash[::-1].hex()}.bin")
        return None if raw is None else (block_hash, raw)

    def _hash_at(self, height: int, last: int) -> bytes | None:
        with self._hashes_lock:
            if height not in self._hashes:
                self._load_hashes(height, min(last - height + 1, HEADERS_PER_REQUEST))
            return self._hashes.pop(height, None)

    def _load_hashes(self, height: int, count: int) -> None:
        """The hashes of the best chain's ``count`` blocks from ``height`` (fewer past its
        tip): a batch replaces the one before, which a reorg may have made stale."""
        self._hashes.clear()
        first = self._get(f"/rest/blockhashbyheight/{height}.bin")
        if first is None or len(first) != HASH_BYTES:
            return
        self._hashes[height] = first
        headers = self._get(f"/rest/headers/{first[::-1].hex()}.bin?count={max(count, 1)}")
        if headers is None or len(headers) % HEADER_SIZE or sha256d(headers[:HEADER_SIZE]) != first:
            return  # the chain moved between the two requests: this height alone, as asked
        view = memoryview(headers)
        for index, at in enumerate(range(0, len(headers), HEADER_SIZE)):
            self._hashes[height + index] = sha256d(view[at : at + HEADER_SIZE])

    def _get(self, path: str) -> bytes | None:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
        try:
            connection.request("GET", self._base + path)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self._local.connection = None
            return None
        return body if response.status == 200 else None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
