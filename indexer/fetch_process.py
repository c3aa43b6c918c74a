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
With ``layout``, the child also walks a block (:func:`indexer.scan.layout_block`, most of a
scan) and sends the :class:`~indexer.scan.BlockLayout` along whenever the follow loop is a
block or more behind (see :class:`_Outbox`); when it is not, the block goes unwalked
and the follow loop walks it: the walk, each side's largest cost, is shared between the two
cores at the pace each keeps at the moment. A thread of the child writes to the pipe
(:class:`_Outbox`), so that the child walks ahead while a write waits for the reader.

The child is ``python -m indexer.fetch_process``, not a multiprocessing child: that would
re-import the caller's main module, which only a guarded script survives. Its stdin carries
the pickled request (settings, credentials included, stay out of the command line); a spare
child (:meth:`Fetchers.prepare`) imports first and then waits for it there. Its
stdout carries, per block, a head (``b"B"``, block hash (32, internal order), height u32, size
u32, layout size u32; big-endian), the raw block and the layout; after the last block ``b"E"``;
or, on failure, ``b"X"`` + size u32 + a pickled :class:`~indexer.node.NodeError`, re-raised
in the parent as it was raised here. The child ignores SIGINT (a Ctrl-C reaches the whole
process group; the parent decides when to stop) and exits when its parent is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from array import array
from collections import deque
from collections.abc import Generator
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from indexer.node_settings import NodeError, NodeSettings
from indexer.rest_fetch import RestBlocks
from indexer.scan import BlockLayout, BlockParseError, layout_block

if TYPE_CHECKING:
    import asyncio

    from indexer.node import NodeClient

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
#: Blocks waiting for the pipe besides the one or so it holds: enough to ride out a slow block
#: on either side, at most 4 x 4 MB of memory.
_OUTBOX_BLOCKS = 4
_PUT_POLL_SECONDS = 0.5
_SWITCH_SECONDS = 0.0005
#: Blocks fetched at once over REST (the window's others wait their turn): a block takes Core
#: 1-2 ms to serve and the follow loop about 8 ms to take, so two in flight keep the next one
#: ready, and each thread more is one more that wants the GIL while this process walks.
_REST_THREADS = 2
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
    retries a node which is down, and only the child's end wakes that wait.

    :meth:`prepare` starts a spare process ahead of need: a child spends 0.1-0.3 s importing
    before it can fetch, which an indexer starting up overlaps with opening its store.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._spare: subprocess.Popen[bytes] | None = None
        self._stopped = False

    def prepare(self) -> None:
        """Start a spare fetch process for the next range, unless one waits already."""
        with self._lock:
            if self._stopped or self._spare is not None:
                return
            self._spare = _spawn()

    @property
    def spare_pid(self) -> int | None:
        with self._lock:
            return None if self._spare is None else self._spare.pid

    def take(self) -> subprocess.Popen[bytes]:
        """A fetch process waiting for its request (the spare if it is still alive), counted
        as running."""
        with self._lock:
            child, self._spare = self._spare, None
        if child is not None and child.poll() is not None:
            _end(child)  # the spare died (killed from outside): close its pipes, start another
            child = None
        child = child or _spawn()
        self.add(child)
        return child

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
        self.close()

    def close(self) -> None:
        """End the spare, if any (running ones end with their ranges)."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            _end(spare)


def _spawn() -> subprocess.Popen[bytes]:
    """Start ``python -m indexer.fetch_process``: it imports, then waits for its request."""
    # The child imports this very package, wherever the parent found it.
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    child = subprocess.Popen(
        [sys.executable, "-m", "indexer.fetch_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert child.stdout is not None
    _grow_pipe(child.stdout)
    return child


def _end(child: subprocess.Popen[bytes]) -> None:
    """Close a child's pipes and wait for it, terminating (then killing) it if it runs on."""
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(_STOP_SECONDS)


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
    child = fetchers.take()
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(pickle.dumps(request))
        child.stdin.close()
        yield from _read_blocks(child.stdout, child, fetchers)
    except BrokenPipeError:
        # The child died before reading its request (stopped at once).
        raise FetchStoppedError("the block fetch process was stopped") from None
    finally:
        fetchers.discard(child)
        _end(child)


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
    # The walk holds the GIL; the pipe writer and the REST threads need it for a moment after
    # each system call. At the default 5 ms they waited so long that blocks sat unwritten,
    # the follow loop looked behind, and the child walked nearly every block while the follow
    # loop idled: 100 of bench.sync's blocks from Core took 1.38-1.41 s to catch up, against
    # 0.84-1.13 s at 0.5 ms.
    sys.setswitchinterval(_SWITCH_SECONDS)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    data = sys.stdin.buffer.read()  # a spare waits here (Fetchers.prepare)
    if not data:
        return  # a spare no one needed: its parent closed our stdin or is gone
    request: FetchRequest = pickle.loads(data)
    threading.Thread(target=_exit_without_parent, args=(request.parent_pid,), daemon=True).start()
    outbox = _Outbox(sys.stdout.buffer)
    try:
        _pump(request, outbox)
        outbox.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent stopped reading: it closed the range or is gone


def _pump(request: FetchRequest, out: _Outbox) -> None:
    try:
        rest = _rest_blocks(request)
        if rest is None:
            _pump_node(request, out)
        else:
            with closing(rest), closing(_Fallback(request.settings)) as fallback:
                _pump_rest(request, out, fallback, rest)
        out.put((_END,))
    except NodeError as exc:
        error = pickle.dumps(exc)
        out.put((_ERROR_HEAD.pack(_ERROR, len(error)), error))


def _pump_node(request: FetchRequest, out: _Outbox) -> None:
    """From a node without REST (btcd): the NodeClient's pipelined JSON-RPC."""
    import asyncio  # noqa: PLC0415  (see _node_client)

    async def pump() -> None:
        async with _node_client(request.settings) as client:
            blocks = client.blocks(request.first, request.last, request.window)
            async for height, block_hash, raw in blocks:
                _send(out, request, height, block_hash, raw)

    asyncio.run(pump())


def _node_client(settings: NodeSettings) -> NodeClient:
    # Imported here, not at the top, like asyncio: with httpx and the JSON-RPC client they
    # are half of this process's start-up, and from a node serving REST they are needed only
    # when REST fails. A catch-up's first block waits for that start-up.
    from indexer.node import NodeClient  # noqa: PLC0415

    return NodeClient(settings)


class _Fallback:
    """The JSON-RPC client for blocks REST did not serve cleanly, and the event loop it runs
    on, both made on first need."""

    def __init__(self, settings: NodeSettings) -> None:
        self._settings = settings
        self._client: NodeClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def block(self, height: int) -> tuple[bytes, bytes]:
        if self._loop is None:
            import asyncio  # noqa: PLC0415  (see _node_client)

            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(self._block(height))

    async def _block(self, height: int) -> tuple[bytes, bytes]:
        if self._client is None:
            self._client = _node_client(self._settings)
        block_hash = await self._client.block_hash(height)
        return block_hash, await self._client.raw_block(block_hash)

    def close(self) -> None:
        if self._loop is None:
            return
        if self._client is not None:
            self._loop.run_until_complete(self._client.close())
        self._loop.close()


def _rest_blocks(request: FetchRequest) -> RestBlocks | None:
    """The lean REST client when the node serves REST and the settings allow it."""
    settings = request.settings
    if settings.rest == "off" or not settings.rpc_url.startswith("http://"):
        return None
    rest = RestBlocks(settings.rpc_url, settings.timeout, min(request.window, _REST_THREADS))
    if rest.available():
        return rest
    rest.close()
    return None


def _pump_rest(request: FetchRequest, out: _Outbox, fallback: _Fallback, rest: RestBlocks) -> None:
    """``window`` blocks in flight on REST's threads; this thread walks and writes. A block
    REST did not serve cleanly is asked of the NodeClient, with its retries and errors."""
    pending: deque[Future[tuple[bytes, bytes] | None]] = deque()
    next_height = request.first
    for height in range(request.first, request.last + 1):
        while next_height <= request.last and next_height < height + request.window:
            pending.append(rest.submit(next_height, request.last))
            next_height += 1
        fetched = pending.popleft().result()
        if fetched is None:
            fetched = fallback.block(height)
        _send(out, request, height, *fetched)


def _send(out: _Outbox, request: FetchRequest, height: int, block_hash: bytes, raw: bytes) -> None:
    walk = request.layout and out.unread_bytes() >= 2 * len(raw)  # see _Outbox
    layout = _layout_bytes(raw) if walk else b""
    out.put((_HEAD.pack(_BLOCK, block_hash, height, len(raw), len(layout)), raw, layout))


class _Outbox:
    """The child's end of the pipe: a thread writes, in order, what :meth:`put` queues, and
    :meth:`unread_bytes` says how far behind the reader is.

    Why a thread: the pipe holds about one block, so a child that wrote on its own thread
    would wait in every write until the follow loop had read the block before, and could
    never walk a block ahead of need (measured: it walked every other block, however far
    behind the follow loop was). The writer releases the GIL while it waits, and the child
    fetches and walks on until :data:`_OUTBOX_BLOCKS` wait; a full outbox pauses the
    fetches too, which bounds memory.

    Which blocks the child walks (:func:`_send`): a block is walked when at least twice its
    size is unread, the block queued just before it (which the reader may be taking this
    moment) and about one more. The follow loop then has a whole block to apply after the
    one in hand before it needs this one, about as long as the walk takes here. With less
    it walks the block itself: counting the block queued last made the child walk 98 of
    100 blocks while the follow loop waited: catch-up at 80 blocks/s instead of 93.
    """

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._fd = out.fileno()
        self._queue: queue.Queue[tuple[bytes, ...] | None] = queue.Queue(_OUTBOX_BLOCKS)
        self._lock = threading.Lock()
        self._unsent = 0  # bytes put but not yet in the pipe
        self._failure: OSError | None = None
        self._thread = threading.Thread(target=self._write_all, name="pipe-writer", daemon=True)
        self._thread.start()

    def unread_bytes(self) -> int:
        """The bytes put that the reader has not read yet: those waiting here, and those in
        the pipe."""
        with self._lock:
            unsent = self._unsent
        return unsent + _pipe_unread_bytes(self._fd)

    def put(self, parts: tuple[bytes, ...] | None) -> None:
        """Queue ``parts`` to be written together (None ends the writer); raises the error
        that ended the writer (a parent that stopped reading)."""
        with self._lock:
            self._unsent += sum(map(len, parts or ()))
        while self._failure is None:
            try:
                self._queue.put(parts, timeout=_PUT_POLL_SECONDS)
                return
            except queue.Full:
                continue
        raise self._failure

    def close(self) -> None:
        """Write everything queued, then end the writer."""
        self.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure

    def _write_all(self) -> None:
        # Non-blocking, so that each write returns what the pipe took and unread_bytes()
        # counts every byte once; poll() waits for room, without the GIL.
        self._out.flush()  # nothing else writes here; be sure no buffered byte is left behind
        os.set_blocking(self._fd, False)
        room = select.poll()
        room.register(self._fd, select.POLLOUT)
        while (parts := self._queue.get()) is not None:
            try:
                for part in parts:
                    view = memoryview(part)
                    while view:
                        try:
                            written = os.write(self._fd, view)
                        except BlockingIOError:
                            room.poll()
                            continue
                        view = view[written:]
                        with self._lock:
                            self._unsent -= written
            except OSError as exc:
                self._failure = exc  # seen by put(), which may be waiting for room
                return


def _pipe_unread_bytes(fd: int) -> int:
    """How many bytes the pipe at ``fd`` holds that its reader has not read (0 when ``fd``
    is not a pipe: a test's file)."""
    queued = array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, queued, True)
    except OSError:
        return 0
    return queued[0]


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
