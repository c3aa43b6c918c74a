"""Feeding the mempool layer from the node: Core's ZMQ ``sequence`` topic, else polling.

With ``zmq_sequence_url`` (Bitcoin Core's ``-zmqpubsequence``), each ``A`` (added) and
``R`` (removed for a reason other than a block) notification is applied as it comes, in
mempool-sequence order. A gap in that sequence, a block notification (``C``, ``D``: a
block's transactions leave without ``R``), a new store tip, a node error or
``RESYNC_SECONDS`` of quiet make the feed resynchronise instead: ``getrawmempool`` is
diffed against the txids it knows, new ones are fetched with ``getrawtransaction``, and
those that may touch the protocol get their fee from ``getmempoolentry`` (btcd has none:
there one verbose ``getrawmempool`` gives them). btcd publishes no ZMQ, so there the feed
resynchronises every ``poll_seconds``. The txids of every mempool transaction are kept (not
only the protocol ones), so a resynchronisation fetches only what is new; they are not
counted against ``mempool_max_bytes`` (about 100 bytes each).

The view is only meaningful over the tip the node's mempool is relative to: while the
store is behind the node (a catch-up, or a block the follower has not applied yet) the feed
waits, so a transaction that left the mempool by being mined is seen as confirmed, not as
evicted.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import zmq

from indexer.follow import BlockRunner
from indexer.mempool_layer import MempoolLayer
from indexer.mempool_state import MempoolTx
from indexer.node import NodeError
from indexer.node_thread import NodeThread, StopRequestedError
from indexer.store_reader import StoreReader
from protocol.tx import Transaction, TransactionParseError, parse_transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
SEQUENCE = b"sequence"
#: Even with ZMQ, a full resynchronisation this often catches a lost notification.
RESYNC_SECONDS = 60.0
#: How often the store's tip is looked at between node notifications.
TIP_CHECK_SECONDS = 0.2
#: How long a removal waits for the arrival that may have replaced it.
REPLACEMENT_WAIT_SECONDS = 0.1
#: RPCs in flight at once while fetching new transactions.
FETCH_CONCURRENCY = 16


class InlineRunner:
    """Runs updates on the calling thread (a machine without contracts needs no other)."""

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)


@dataclass(frozen=True, slots=True)
class SequenceNote:
    """One ``sequence`` notification: label A, R, C or D, the hash, A/R's mempool sequence."""

    label: str
    txid_hex: str
    mempool_seq: int | None


class SequenceListener:
    """Subscribes to ``sequence`` on a thread; notifications queue up for the feed."""

    def __init__(self, url: str) -> None:
        self.notes: queue.Queue[SequenceNote | None] = queue.Queue()
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._listen, args=(url,), name="zmq-sequence", daemon=True
        )
        self._thread.start()

    def _listen(self, url: str) -> None:
        context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        socket = context.socket(zmq.SUB)
        try:
            socket.setsockopt(zmq.SUBSCRIBE, SEQUENCE)
            socket.setsockopt(zmq.RCVTIMEO, 500)
            socket.connect(url)
            log.info("listening for mempool sequence notifications on %s", url)
            while not self._stop.is_set():
                try:
                    topic, body, *_ = socket.recv_multipart()
                except zmq.Again:
                    continue
                if topic != SEQUENCE or len(body) < 33:
                    continue
                label = chr(body[32])
                seq = int.from_bytes(body[33:41], "little") if len(body) >= 41 else None
                # Core sends the hash in RPC (display) order.
                self.notes.put(SequenceNote(label, body[:32].hex(), seq))
                self.wake.set()
        except zmq.ZMQError as exc:
            log.warning("ZMQ %s failed (%s); the mempool feed polls instead", url, exc)
            self.notes.put(None)  # tells the feed to fall back on resynchronising
        finally:
            socket.close(linger=0)

    def close(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=2)


def dependency_order(txs: Sequence[Transaction]) -> list[Transaction]:
    """``txs`` with every parent among them before its children (else in given order)."""
    by_id = {tx.txid: tx for tx in txs}
    placed: set[bytes] = set()
    out: list[Transaction] = []
    for tx in txs:
        stack = [tx]
        while stack:
            current = stack[-1]
            if current.txid in placed:
                stack.pop()
                continue
            waiting = [
                by_id[i.prev_txid]
                for i in current.inputs
                if i.prev_txid in by_id and i.prev_txid not in placed
            ]
            if waiting:
                stack.extend(waiting)
                continue
            placed.add(current.txid)
            out.append(current)
            stack.pop()
    return out


def fee_and_vsize(answer: Any, raw: bytes) -> tuple[int | None, int]:
    """Core: ``fees.base`` (BTC) and ``vsize``; btcd: ``fee`` (BTC) and ``vsize``."""
    if not isinstance(answer, dict):
        return None, len(raw)
    fees = answer.get("fees")
    btc = fees.get("base") if isinstance(fees, dict) else answer.get("fee")
    fee = round(float(btc) * 100_000_000) if isinstance(btc, int | float) else None
    vsize = answer.get("vsize") or answer.get("size") or len(raw)
    return fee, int(vsize)


class MempoolFeed:
    """Keeps ``layer`` in step with ``node``'s mempool over the store ``reader`` reads."""

    def __init__(
        self,
        layer: MempoolLayer,
        node: NodeThread,
        reader: StoreReader,
        *,
        poll_seconds: float,
        zmq_url: str | None = None,
        runner: BlockRunner | None = None,
    ) -> None:
        self.layer = layer
        self.node = node
        self.reader = reader
        self.poll_seconds = poll_seconds
        self.runner: BlockRunner = runner or InlineRunner()
        self.listener = None if zmq_url is None else SequenceListener(zmq_url)
        self.known: set[str] = set()
        self._mempool_seq: int | None = None
        self._synced_tip: bytes | None = None
        self._resync_due = 0.0
        self._need_resync = True
        #: False while the node does not answer; the view then keeps its last state.
        self.node_ok = True
        #: Whether the view is over the node's tip (False while the store is behind it).
        self.in_step = False
        self.resyncs = 0
        self._verbose_fees = False

    # --- one step ------------------------------------------------------------------------

    def step(self) -> None:
        """Resynchronise or apply queued notifications, whichever is needed."""
        tip = self.reader.tip()
        tip_hash = None if tip is None else tip.block_hash
        notes = self._drain()
        if (
            self._need_resync
            or self.listener is None
            or tip_hash != self._synced_tip
            or time.monotonic() >= self._resync_due
        ):
            self.resync()
            return
        if any(note.label == "R" for note in notes):
            # Core announces a replacement as R (the replaced) then A (the replacement) a
            # moment apart: wait for the A so that one update sees both and says "replaced".
            time.sleep(REPLACEMENT_WAIT_SECONDS)
            notes += self._drain()
        added: list[str] = []
        removed: list[str] = []
        for note in notes:
            if note.label in ("C", "D") or note.mempool_seq is None:
                self.resync()
                return
            # getrawmempool answers the sequence number the next change will carry.
            if self._mempool_seq is not None and note.mempool_seq < self._mempool_seq:
                continue  # already in the last getrawmempool answer
            if self._mempool_seq is not None and note.mempool_seq != self._mempool_seq:
                log.info(
                    "mempool sequence gap (%s where %s was next): resynchronising",
                    f"{note.mempool_seq:,}",
                    f"{self._mempool_seq:,}",
                )
                self.resync()
                return
            self._mempool_seq = note.mempool_seq + 1
            if note.label == "A" and note.txid_hex not in self.known:
                added.append(note.txid_hex)
            elif note.label == "R" and note.txid_hex in self.known:
                removed.append(note.txid_hex)
        if added or removed:
            self._change(added, removed)

    def _drain(self) -> list[SequenceNote]:
        notes: list[SequenceNote] = []
        listener = self.listener
        if listener is None:
            return notes
        while True:
            try:
                note = listener.notes.get_nowait()
            except queue.Empty:
                return notes
            if note is None:
                self.listener = None  # ZMQ failed: poll from now on
                self._need_resync = True
                return []
            notes.append(note)

    def resync(self) -> None:
        """Diff ``getrawmempool`` against what is known, over the node's current tip."""
        self._need_resync = True
        best = self.node.call("getbestblockhash")
        tip = self.reader.tip()
        if tip is None or tip.block_hash[::-1].hex() != best:
            self.in_step = False
            return  # the store is behind (or ahead of) the node: wait for the follower
        if self.listener is not None:
            answer = self.node.call("getrawmempool", False, True)
            txids, seq = list(answer["txids"]), int(answer["mempool_sequence"])
        else:
            txids, seq = list(self.node.call("getrawmempool")), None
        if self.node.call("getbestblockhash") != best:
            return  # a block came meanwhile: the answer may mix two tips
        current = set(txids)
        added = [t for t in txids if t not in self.known]
        removed = sorted(self.known - current)
        self._mempool_seq = seq
        self._change(added, removed)
        self._synced_tip = tip.block_hash
        self._need_resync = False
        self.in_step = True
        self._resync_due = time.monotonic() + RESYNC_SECONDS
        self.resyncs += 1

    def _change(self, added_hex: list[str], removed_hex: list[str]) -> None:
        fetched = self.node.call_many(
            [("getrawtransaction", (txid,)) for txid in added_hex], FETCH_CONCURRENCY
        )
        raws: dict[bytes, bytes] = {}
        txs: list[Transaction] = []
        for txid_hex, answer in zip(added_hex, fetched, strict=True):
            if isinstance(answer, NodeError) or not isinstance(answer, str):
                continue  # it left the mempool since it was listed
            try:
                raw = bytes.fromhex(answer)
                tx = parse_transaction(raw)
            except (ValueError, TransactionParseError):
                log.warning("the node sent an unreadable transaction %s; skipped", txid_hex)
                continue
            raws[tx.txid] = raw
            txs.append(tx)
            self.known.add(txid_hex)
        ordered = dependency_order(txs)
        with self.reader.read() as view:
            wanted = self.layer.candidates(view, ordered)
        wanted_ids = [tx.txid for tx in ordered if tx.txid in wanted]
        fees = self._entries(wanted_ids)
        items = []
        for tx in ordered:
            raw = raws[tx.txid]
            fee, vsize = fee_and_vsize(fees.get(tx.txid), raw)
            items.append(MempoolTx(raw, tx, fee, vsize))
        removed = [bytes.fromhex(t)[::-1] for t in removed_hex]
        self.known.difference_update(removed_hex)
        self.runner.run(self._update, items, removed)

    def _entries(self, txids: list[bytes]) -> dict[bytes, Any]:
        """Each transaction's mempool entry (fee and vsize); btcd has no
        ``getmempoolentry``, so there it is one verbose ``getrawmempool``."""
        if not txids:
            return {}
        if not self._verbose_fees:
            answers = self.node.call_many(
                [("getmempoolentry", (txid[::-1].hex(),)) for txid in txids], FETCH_CONCURRENCY
            )
            if not all(isinstance(a, NodeError) for a in answers):
                return dict(zip(txids, answers, strict=True))
            if "unimplemented" not in str(answers[0]).lower():
                return {}  # they all left meanwhile
            self._verbose_fees = True
        verbose = self.node.call("getrawmempool", True)
        return {txid: verbose.get(txid[::-1].hex()) for txid in txids}

    def _update(self, items: list[MempoolTx], removed: list[bytes]) -> None:
        with self.reader.read() as view:
            tip = view.tip()
            self.layer.update(
                view, None if tip is None else (tip.height, tip.block_hash), items, removed
            )

    # --- the loop ------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Step until ``stop``; a node that does not answer is retried every poll."""
        last_tip: bytes | None = None
        next_poll = 0.0
        while not stop.is_set():
            tip = self.reader.tip()
            tip_hash = None if tip is None else tip.block_hash
            woken = self.listener is not None and self.listener.wake.is_set()
            if woken or tip_hash != last_tip or time.monotonic() >= next_poll:
                if self.listener is not None:
                    self.listener.wake.clear()
                try:
                    self.step()
                    if not self.node_ok:
                        log.info("the node answers again: the pending view is resynchronised")
                    self.node_ok = True
                except StopRequestedError:
                    if stop.is_set():
                        return
                    raise
                except NodeError as exc:
                    if self.node_ok:
                        log.warning("mempool feed: %s; the pending view waits for the node", exc)
                    self.node_ok = False
                    self._need_resync = True
                last_tip = tip_hash
                next_poll = time.monotonic() + self.poll_seconds
            if self.listener is not None:
                self.listener.wake.wait(TIP_CHECK_SECONDS)
            else:
                stop.wait(TIP_CHECK_SECONDS)

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
