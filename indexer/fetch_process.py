"""Block fetching in a child process, for catch-up over many blocks.

Why a process and not the node thread: scanning and applying a block is CPU-bound Python
that holds the GIL nearly all the time. An HTTP client on a thread of the same process gets
the GIL back only at the interpreter's switch interval (5 ms), once for every socket read, and
a 1 MB block arrives in dozens of reads: measured against Bitcoin Core's REST, the follow
loop then ran at 0.3 of the slower of fetching alone and scanning alone, its CPU idle two
thirds of the time. In a child process the client runs on the other core, and a block crosses
to the follow loop in a few large pipe reads, during which the GIL is released.

From a node that serves REST (Bitcoin Core), the child fetches with the standard library
(:mod:`indexer.rest_fetch`: httpx costs as much CPU per block as the walk), falling back to
the NodeClient for any block REST did not serve cleanly; from btcd, with the NodeClient.
With ``layout``, the child also walks each block (:func:`indexer.scan.layout_block`, most of
a scan) and sends the :class:`~indexer.scan.BlockLayout` along: the follow loop then only
tests inputs against its live set, and the walk runs on the child's core.

The child is ``python -m indexer.fetch_process``, not a multiprocessing child: that would
re-import the caller's main module, which only a guarded script survives. Its stdin carries
the pickled request (settings, credentials included, stay out of the command line). Its
stdout carries, per block, a head (``b"B"``, block hash (32, internal order), height u32, size
u32, layout size u32; big-endian), the raw block and the layout; after the last block ``b"E"``;
or, on failure, ``b"X"`` + size u32 + a pickled :class:`~indexer.node.NodeError`, re-raised
in the parent as it was raised here. The child ignores SIGINT (a Ctrl-C reaches the whole
process group; the parent decides when to stop) and exits when its parent is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Generator
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

from indexer.node import NodeClient, NodeError, NodeSettings
from indexer.rest_fetch import RestBlocks
from indexer.scan import BlockLayout, BlockParseError, layout_block

log = logging.getLogger(__name__)

_BLOCK = b"B"
_END = b"E"
_ERROR = b"X"
_HEAD = struct.Struct(">c32sIII")  # tag, block hash, height, size, layout size
_HEAD_REST = struct.Struct(">32sIII")
_ERROR_HEAD = struct.Struct(">cI")
#: Linux lets an unprivileged pipe grow to 1 MiB: a block then crosses in one or two reads.
_PIPE_BYTES = 1 << 20
_PARENT_CHECK_SECONDS = 1.0
_STOP_SECONDS = 5.0


class FetchedBlock(NamedTuple):
    height: int
    block_hash: bytes
    raw: bytes
    #: scan.layout_block(raw), when the fetcher walked the block; None otherwise.
    layout: BlockLayout | None


@dataclass(frozen=True)
class FetchRequest:
    settings: NodeSettings
    first: int
    last: int
    window: int
    parent_pid: int
    #: Also walk each block (scan.layout_block) here, so the follow loop only selects.
    layout: bool


class FetchStoppedError(NodeError):
    """:meth:`Fetchers.stop` ended the fetch process while the follow loop waited for it."""


class Fetchers:
    """The fetch processes running for one node connection, so that a stop request can end
    them from any thread: the follow loop may be waiting for a block from a child that
    retries a node which is down, and only the child's end wakes that wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    def add(self, child: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.add(child)
            if not self._stopped:
                return
        child.terminate()

    def discard(self, child: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(child)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """End every fetch process now and any started later; their readers raise
        :class:`FetchStoppedError`."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for child in running:
            child.terminate()


def fetch_blocks_in_process(
    settings: NodeSettings,
    first: int,
    last: int,
    window: int,
    *,
    layout: bool,
    fetchers: Fetchers | None = None,
) -> Generator[FetchedBlock, None, None]:
    """The blocks ``first..last`` in order, fetched (and with ``layout``, walked) by a child.

    The child keeps ``window`` blocks in flight; the pipe holds about one more. Closing the
    generator early (a reorg, a stop request) terminates the child. A block the child could
    not walk comes without a layout: the follow loop's own scan then says what is wrong.
    """
    fetchers = fetchers or Fetchers()
    request = FetchRequest(settings, first, last, window, os.getpid(), layout)
    # The child imports this very package, wherever the parent found it.
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    child = subprocess.Popen(
        [sys.executable, "-m", "indexer.fetch_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert child.stdin is not None and child.stdout is not None
    fetchers.add(child)
    try:
        _grow_pipe(child.stdout)
        child.stdin.write(pickle.dumps(request))
        child.stdin.close()
        yield from _read_blocks(child.stdout, child, fetchers)
    except BrokenPipeError:
        # The child died before reading its request (stopped at once).
        raise FetchStoppedError("the block fetch process was stopped") from None
    finally:
        fetchers.discard(child)
        child.stdout.close()
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(_STOP_SECONDS)


def _read_blocks(
    stream: IO[bytes], child: subprocess.Popen[bytes], fetchers: Fetchers
) -> Generator[FetchedBlock, None, None]:
    while True:
        tag = stream.read(1)
        if tag == _END:
            return
        if tag == _ERROR:
            (size,) = struct.unpack(">I", _read_exactly(stream, 4, child, fetchers))
            raise pickle.loads(_read_exactly(stream, size, child, fetchers))
        if tag != _BLOCK:
            _read_exactly(stream, 1, child, fetchers)  # raises with the exit code: the child died
        rest = _read_exactly(stream, _HEAD.size - 1, child, fetchers)
        block_hash, height, size, layout_size = _HEAD_REST.unpack(rest)
        raw = _read_exactly(stream, size, child, fetchers)
        layout = None
        if layout_size:
            layout = BlockLayout.from_bytes(_read_exactly(stream, layout_size, child, fetchers))
        yield FetchedBlock(height, block_hash, raw, layout)


def _read_exactly(
    stream: IO[bytes], size: int, child: subprocess.Popen[bytes], fetchers: Fetchers
) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        if fetchers.stopped:
            raise FetchStoppedError("the block fetch process was stopped")
        try:
            code = child.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        raise NodeError(f"the block fetch process stopped mid-range (exit code {code})")
    return data


def _grow_pipe(stream: IO[bytes]) -> None:
    # A smaller pipe only means more reads per block.
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def _child_main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    request: FetchRequest = pickle.loads(sys.stdin.buffer.read())
    threading.Thread(target=_exit_without_parent, args=(request.parent_pid,), daemon=True).start()
    out = sys.stdout.buffer
    try:
        asyncio.run(_pump(request, out))
        out.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent stopped reading: it closed the range or is gone


async def _pump(request: FetchRequest, out: IO[bytes]) -> None:
    try:
        async with NodeClient(request.settings) as client:
            rest = _rest_blocks(request)
            if rest is None:
                blocks = client.blocks(request.first, request.last, request.window)
                async for height, block_hash, raw in blocks:
                    _send(out, request, height, block_hash, raw)
            else:
                with closing(rest):
                    await _pump_rest(request, out, client, rest)
        out.write(_END)
    except NodeError as exc:
        error = pickle.dumps(exc)
        out.write(_ERROR_HEAD.pack(_ERROR, len(error)) + error)


def _rest_blocks(request: FetchRequest) -> RestBlocks | None:
    """The lean REST client when the node serves REST and the settings allow it."""
    settings = request.settings
    if settings.rest == "off" or not settings.rpc_url.startswith("http://"):
        return None
    rest = RestBlocks(settings.rpc_url, settings.timeout, request.window)
    if rest.available():
        return rest
    rest.close()
    return None


async def _pump_rest(
    request: FetchRequest, out: IO[bytes], client: NodeClient, rest: RestBlocks
) -> None:
    """``window`` blocks in flight on REST's threads; this thread walks and writes. A block
    REST did not serve cleanly is asked of the NodeClient, with its retries and errors."""
    pending: deque[Future[tuple[bytes, bytes] | None]] = deque()
    next_height = request.first
    for height in range(request.first, request.last + 1):
        while next_height <= request.last and next_height < height + request.window:
            pending.append(rest.submit(next_height))
            next_height += 1
        fetched = pending.popleft().result()
        if fetched is None:
            block_hash = await client.block_hash(height)
            fetched = block_hash, await client.raw_block(block_hash)
        _send(out, request, height, *fetched)


def _send(
    out: IO[bytes], request: FetchRequest, height: int, block_hash: bytes, raw: bytes
) -> None:
    layout = _layout_bytes(raw) if request.layout else b""
    # Blocking writes: a full pipe pauses the fetches too, which bounds memory.
    out.write(_HEAD.pack(_BLOCK, block_hash, height, len(raw), len(layout)))
    out.write(raw)
    out.write(layout)
    out.flush()


def _layout_bytes(raw: bytes) -> bytes:
    try:
        return layout_block(raw).to_bytes()
    except BlockParseError:
        return b""


def _exit_without_parent(parent_pid: int) -> None:
    """A parent killed with SIGKILL cannot terminate us; a child waiting on a node that is
    down would otherwise retry forever."""
    while True:
        time.sleep(_PARENT_CHECK_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(0)


if __name__ == "__main__":
    _child_main()
