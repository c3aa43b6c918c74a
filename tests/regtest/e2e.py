"""Shared pieces of the end-to-end tests: real node -> indexer -> LMDB (-> API).

The indexer runs with its real wiring (:mod:`indexer.runtime`), either in this process
(:class:`LocalIndexer`, for precise control) or as the ``rootstate`` command
(:class:`RootstateProcess`, for kill -9 and ``rootstate serve``). Payloads come from
:mod:`regtest.payloads` and stored records are decoded here with cbor2 and the key and event
tables of spec §9-§10 written out by hand, never with the protocol package, so a wrong
constant under test cannot make its own test pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2
import httpx
import pytest

from indexer.config import Config
from indexer.follow import Follower
from indexer.node_thread import NodeThread
from indexer.progress import Progress
from indexer.runtime import follower, node_settings, open_for
from indexer.store import Store
from indexer.store_config import StoreConfig
from indexer.store_errors import IncompatibleStoreError, StoreNotFoundError
from indexer.store_reader import StoreReader, open_reader
from indexer.store_schema import Tip
from indexer.store_view import StoreView
from indexer.tip_signal import TipSignal
from protocol.params import Network
from regtest.launch import NodeKind
from regtest.node import NodeConfig, NodeInfo, RegtestNode, free_loopback_ports
from regtest.payloads import TokenRef
from regtest.tx import Tx

# spec §10 event types and keys, §9.2 state key prefixes: by hand.
DEBIT, CREDIT, BURN, AUTHORITY, REJECTED = 1, 2, 5, 6, 7
E_TYPE, E_OUTPOINT, E_AMOUNT, E_CAUSE, E_REASON = 0, 2, 4, 10, 11
UTXO_PREFIX, TOKEN_PREFIX, TICKER_PREFIX = b"\x01", b"\x02", b"\x03"

#: The console script `pip install` made for cli.main:main, beside this interpreter.
ROOTSTATE_COMMAND = Path(sys.executable).with_name("rootstate")


def token_bytes(token: TokenRef) -> bytes:
    return token[0].to_bytes(4, "big") + token[1].to_bytes(4, "big")


def outpoint_bytes(tx: Tx, vout: int) -> bytes:
    """spec §2.2: txid in internal order, then vout big-endian."""
    return tx.txid + vout.to_bytes(4, "big")


# --- nodes ----------------------------------------------------------------------------------


@contextmanager
def module_node(
    kind: NodeKind, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[RegtestNode]:
    """A node of its own for one test module, so its chain holds only that module's blocks."""
    node = RegtestNode(NodeConfig(kind, workdir=tmp_path_factory.mktemp(name)))
    node.start()
    try:
        yield node
    finally:
        node.stop()


# --- the indexer ----------------------------------------------------------------------------


def indexer_config(info: NodeInfo, data_dir: Path, **settings: Any) -> Config:
    defaults: dict[str, Any] = {"poll_seconds": 0.05, "batch_blocks": 20, "prefetch": 8}
    defaults.update(settings)
    return Config(
        network=Network.REGTEST,
        data_dir=data_dir,
        rpc_url=info.rpc_url,
        rpc_user=info.rpc_user,
        rpc_password=info.rpc_password,
        **defaults,
    )


class LocalIndexer:
    """The indexer's own wiring, run in this process: node thread, store, follower."""

    def __init__(
        self, info: NodeInfo, data_dir: Path, progress: Progress | None = None, **settings: Any
    ) -> None:
        self.config = indexer_config(info, data_dir, **settings)
        self.node = NodeThread(node_settings(self.config))
        try:
            self.store: Store = open_for(self.config, self.node)
        except BaseException:
            self.node.close()
            raise
        quiet = Progress(interval=3600.0)
        self.follower: Follower = follower(self.config, self.store, self.node, progress or quiet)
        self._thread: threading.Thread | None = None
        self._signal: TipSignal | None = None
        self._stop = threading.Event()
        self.error: BaseException | None = None

    def catch_up(self, until: int | None = None) -> Tip:
        self.follower.catch_up(until=until)
        tip = self.store.tip()
        assert tip is not None, "the indexer applied no block"
        return tip

    def start_following(self, signal: TipSignal | None = None) -> None:
        """Run Follower.follow on a thread until :meth:`stop_following`, which closes
        ``signal`` so that a long wait for a notification ends at once."""
        self._signal = signal

        def run() -> None:
            try:
                self.follower.follow(self._stop, signal)
            except BaseException as exc:  # reported by stop_following
                self.error = exc

        self._stop.clear()
        self._thread = threading.Thread(target=run, name="follower", daemon=True)
        self._thread.start()

    def wait_for(self, block_hash_hex: str, timeout: float = 60.0) -> Tip:
        """Wait until the store's tip is the block ``block_hash_hex``."""
        wanted = bytes.fromhex(block_hash_hex)[::-1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error is not None:
                raise AssertionError(f"the follower died: {self.error!r}") from self.error
            tip = self.store.tip()
            if tip is not None and tip.block_hash == wanted:
                return tip
            time.sleep(0.02)
        raise AssertionError(f"the store never reached {block_hash_hex} (tip {self.store.tip()})")

    def stop_following(self) -> None:
        self._stop.set()
        if self._signal is not None:
            self._signal.close()
        if self._thread is not None:
            self._thread.join(30)
            assert not self._thread.is_alive(), "the follower did not stop"
            self._thread = None
        if self.error is not None:
            raise AssertionError(f"the follower died: {self.error!r}") from self.error

    def close(self) -> None:
        try:
            if self._thread is not None:
                self.stop_following()
        finally:
            self.store.close()
            self.node.close()

    def __enter__(self) -> LocalIndexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class IndexSnapshot:
    """What two indexes of the same chain must agree on."""

    tip: Tip
    state: tuple[tuple[bytes, bytes], ...]
    state_hashes: tuple[bytes, ...]


def snapshot(view: StoreView) -> IndexSnapshot:
    tip = view.tip()
    assert tip is not None
    hashes = []
    for height in range(1, tip.height + 1):
        record = view.block(height)
        assert record is not None, f"no block record at height {height}"
        hashes.append(record.state_hash)
    return IndexSnapshot(tip, tuple(view.state_items()), tuple(hashes))


def fresh_index(info: NodeInfo, data_dir: Path, until: int) -> IndexSnapshot:
    """Index the node's chain up to ``until`` into a new store: the reference a test compares
    a store that lived through reorgs, crashes or restarts against."""
    with LocalIndexer(info, data_dir) as indexer:
        tip = indexer.catch_up(until=until)
        assert tip.height == until
        with indexer.store.read() as view:
            return snapshot(view)


def read_store(data_dir: Path) -> StoreReader:
    """A reader over the regtest store the indexer keeps under ``data_dir``."""
    return open_reader(StoreConfig(data_dir / Network.REGTEST.value))


def store_tip(data_dir: Path) -> Tip | None:
    """The tip of the store under ``data_dir``; None before its first block, and while the
    indexer is still creating it (or was killed doing so: its next start completes it)."""
    try:
        with read_store(data_dir) as reader:
            return reader.tip()
    except (StoreNotFoundError, IncompatibleStoreError):
        return None


def wait_for_height(data_dir: Path, height: int, timeout: float) -> Tip:
    """Wait until the store under ``data_dir`` (written by any process) reaches ``height``."""
    deadline = time.monotonic() + timeout
    while True:
        tip = store_tip(data_dir)
        if tip is not None and tip.height >= height:
            return tip
        if time.monotonic() > deadline:
            raise AssertionError(f"the store reached {tip} in {timeout:.0f}s, not {height:,}")
        time.sleep(0.05)


# --- reading what the indexer derived -------------------------------------------------------


def utxo_record(view: StoreView, tx: Tx, vout: int) -> dict[int, Any] | None:
    raw = view.get(UTXO_PREFIX + outpoint_bytes(tx, vout))
    if raw is None:
        return None
    record: dict[int, Any] = cbor2.loads(raw)
    return record


def balances_at(view: StoreView, tx: Tx, vout: int) -> dict[bytes, int]:
    record = utxo_record(view, tx, vout) or {}
    return {bytes(token): int(amount) for token, amount in record.get(0, [])}


def authorities_at(view: StoreView, tx: Tx, vout: int) -> list[bytes]:
    record = utxo_record(view, tx, vout) or {}
    return [bytes(token) for token in record.get(1, [])]


def token_record(view: StoreView, token: TokenRef) -> dict[int, Any] | None:
    raw = view.get(TOKEN_PREFIX + token_bytes(token))
    if raw is None:
        return None
    record: dict[int, Any] = cbor2.loads(raw)
    return record


def ticker_owner(view: StoreView, ticker: str) -> bytes | None:
    return view.get(TICKER_PREFIX + ticker.encode().ljust(12, b"\x00"))


def tx_events(view: StoreView, tx: Tx) -> list[dict[int, Any]]:
    """The events the store recorded for ``tx``, in order (empty if it had none)."""
    events: list[dict[int, Any]] = []
    for entry in view.transaction(tx.txid):
        for index in range(entry.first_event, entry.first_event + entry.event_count):
            raw = view.event(entry.height, index)
            assert raw is not None
            events.append(cbor2.loads(raw))
    return events


def rejection_of(view: StoreView, tx: Tx) -> int | None:
    reasons = [e[E_REASON] for e in tx_events(view, tx) if e[E_TYPE] == REJECTED]
    assert len(reasons) <= 1
    return reasons[0] if reasons else None


# --- the `rootstate` command ----------------------------------------------------------------


@dataclass
class RootstateProcess:
    """A ``rootstate`` command (``index`` by default) as a child process, logging to a file
    beside the store."""

    info: NodeInfo
    data_dir: Path
    command: str = "index"
    flags: tuple[str, ...] = ("--batch-blocks=1",)
    log_path: Path = field(init=False)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    starts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir / f"{self.command}.log"

    def argv(self) -> list[str]:
        return [
            str(ROOTSTATE_COMMAND),
            "--network=regtest",
            f"--data-dir={self.data_dir}",
            f"--rpc-url={self.info.rpc_url}",
            "--poll-seconds=0.1",
            *self.flags,
            self.command,
        ]

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        env = dict(os.environ)
        # Credentials through the environment, so they never show in a process list.
        env["ROOTSTATE_RPC_USER"] = self.info.rpc_user
        env["ROOTSTATE_RPC_PASSWORD"] = self.info.rpc_password
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.argv(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )

    def kill(self) -> None:
        """SIGKILL: no handler, no cleanup, the write transaction cut wherever it was."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(30)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def run_to_height(process: RootstateProcess, height: int) -> IndexSnapshot:
    """Start ``process``, let it index up to ``height``, stop it with SIGTERM (it must exit
    0), and return what its store then holds."""
    process.start()
    try:
        wait_for_height(process.data_dir, height, timeout=60)
    finally:
        assert process.terminate() == 0, process.log_tail()
    with read_store(process.data_dir) as reader, reader.read() as view:
        return snapshot(view)


def serve_api(
    info: NodeInfo, data_dir: Path, command: str = "serve"
) -> tuple[RootstateProcess, str]:
    """``rootstate serve`` (or ``run``: index and serve) over the store under ``data_dir`` on
    a free loopback port; returns the process and the API's base URL once it answers."""
    port = free_loopback_ports(1)[0]
    server = RootstateProcess(info, data_dir, command, (f"--api-port={port}",))
    server.start()
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert server.process is not None
        if server.process.poll() is not None:
            raise AssertionError(f"rootstate {command} exited: {server.log_tail()}")
        try:
            return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answers, 30, f"rootstate {command} to answer")
    return server, url


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.02
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
