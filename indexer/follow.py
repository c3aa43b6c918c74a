"""The follow loop: catch up from the activation height, then track the node's tip.

Blocks are applied in batches (one LMDB write transaction per batch, undo per block).
Every block must link to the one before it; when the node's best chain has left ours, the
loop walks back to the last common block, rolls back to it in one transaction and applies
the new branch. A fork below the kept undo stops the loop with RollbackTooDeepError rather
than serve state from an abandoned chain.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from indexer.block_select import BlockSelection
from indexer.node import BlockNotFoundError
from indexer.node_thread import NodeThread, StopRequestedError
from indexer.progress import Progress
from indexer.scan import BlockLayout, layout_block
from indexer.store import Batch, Store
from indexer.tip_signal import TipSignal
from protocol.machine import Machine
from protocol.params import GENESIS_STATE_HASH
from protocol.tx import Transaction

log = logging.getLogger(__name__)

T = TypeVar("T")


class BlockRunner(Protocol):
    """Where blocks are applied: the contract engine's worker thread, whose large native
    stack lets every contract execution of a batch run inline (one thread hand-off per
    batch instead of one per contract call). The batch's LMDB write transaction is opened,
    used and committed on that one thread."""

    def run(self, fn: Callable[..., T], *args: Any) -> T: ...


def blocks_text(count: int) -> str:
    return f"{count:,} block" if count == 1 else f"{count:,} blocks"


class NodeInconsistencyError(RuntimeError):
    """The node served a block whose hash is not the one it named for that height."""


@dataclass(frozen=True)
class FollowSettings:
    start_height: int
    prefetch: int = 8
    batch_blocks: int = 50
    batch_seconds: float = 2.0
    poll_seconds: float = 2.0


@dataclass
class FollowStats:
    blocks: int = 0
    bytes: int = 0
    #: Blocks that came walked by the block fetch process (the rest were walked here).
    blocks_walked_by_fetcher: int = 0
    reorgs: int = 0
    deepest_reorg: int = 0
    last_reorg_heights: tuple[int, int] | None = None


class Follower:
    def __init__(
        self,
        store: Store,
        node: NodeThread,
        machine: Machine,
        settings: FollowSettings,
        progress: Progress | None = None,
        *,
        runner: BlockRunner | None = None,
    ) -> None:
        self.store = store
        self.runner = runner
        self.node = node
        self.machine = machine
        self.settings = settings
        self.progress = progress or Progress()
        self.stats = FollowStats()

    def _stored_hash(self, height: int) -> bytes | None:
        with self.store.read() as view:
            record = view.block(height)
        return None if record is None else record.block_hash

    def check_reorg(self) -> int:
        """Roll back to the last block the node's best chain shares with ours; return depth.

        A node that is merely behind our tip (restarting, resyncing, or a btcd regtest that
        begins every start from genesis) is not a reorg: if its tip block is ours, we wait
        for it instead of throwing away state it is about to confirm again.
        """
        tip = self.store.tip()
        if tip is None:
            return 0
        node_height = self.node.tip_height()
        height = min(tip.height, node_height)
        # Below the activation height the node holds none of our blocks, so nothing to
        # compare: a chain that short is one being (re)built, never one that replaced ours.
        try:
            behind = height < tip.height and (
                height < self.settings.start_height
                or self.node.block_hash(height) == self._stored_hash(height)
            )
        except BlockNotFoundError:
            return 0  # the node's tip dropped since it was asked: mid-reorg; look again
        if behind:
            log.info(
                "the node is at height %s, behind our tip %s: waiting for it",
                f"{node_height:,}",
                f"{tip.height:,}",
            )
            return 0
        while height >= self.settings.start_height:
            try:
                node_hash: bytes | None = self.node.block_hash(height)
            except BlockNotFoundError:
                node_hash = None
            if node_hash is not None and node_hash == self._stored_hash(height):
                break
            height -= 1
        depth = tip.height - height
        if depth:
            log.warning(
                "reorg: the node's best chain leaves ours above height %s; rolling back %s",
                f"{height:,}",
                blocks_text(depth),
            )
            self.store.rollback_to(height)
            self.stats.reorgs += 1
            self.stats.deepest_reorg = max(self.stats.deepest_reorg, depth)
            self.stats.last_reorg_heights = (height + 1, tip.height)
        return depth

    def catch_up(self, stop: threading.Event | None = None, until: int | None = None) -> int:
        """Apply blocks up to the node's tip (or ``until``); return how many were applied."""
        stop = stop or threading.Event()
        applied = 0
        while not stop.is_set():
            self.check_reorg()
            tip = self.store.tip()
            first = self.settings.start_height if tip is None else tip.height + 1
            target = self.node.tip_height()
            if until is not None:
                target = min(target, until)
            if first > target:
                return applied
            self.progress.set_target(target)
            if self.runner is None:
                count, linked = self._apply_range(first, target, stop)
            else:
                count, linked = self.runner.run(self._apply_range, first, target, stop)
            applied += count
            top = self.store.tip()
            if linked and top is not None and top.height >= target:
                return applied
        return applied

    def _apply_range(self, first: int, last: int, stop: threading.Event) -> tuple[int, bool]:
        """Apply ``first..last`` in batches; stop early at a broken link (a reorg under way)."""
        applied = 0
        blocks = self.node.fetch(first, last, self.settings.prefetch)
        try:
            done = False
            while not done and not stop.is_set():
                with self.store.batch() as batch:
                    deadline = time.monotonic() + self.settings.batch_seconds
                    for _ in range(self.settings.batch_blocks):
                        try:
                            item = next(blocks, None)
                        except BlockNotFoundError:
                            # The node no longer has a height it had: it restarted behind
                            # us or is switching chains; check_reorg tells which.
                            log.info(
                                "the node lost block %s: rechecking its chain",
                                f"{first + applied:,}",
                            )
                            return applied, False
                        except StopRequestedError:
                            if not stop.is_set():
                                raise
                            # A stop request: keep the blocks of this batch applied so far.
                            return applied, False
                        if item is None:
                            done = True
                            break
                        if not self._apply_one(batch, *item):
                            return applied, False
                        applied += 1
                        if stop.is_set() or time.monotonic() > deadline:
                            break
        finally:
            blocks.close()
        return applied, True

    def _apply_one(
        self, batch: Batch, height: int, block_hash: bytes, raw: bytes, layout: BlockLayout | None
    ) -> bool:
        live = self.store.live_outpoints
        if layout is None:  # not walked by a fetch process: BlockParseError if not one block
            layout = layout_block(raw)
        else:
            self.stats.blocks_walked_by_fetcher += 1
        selection = BlockSelection(raw, layout, live)
        if selection.header.hash != block_hash:
            raise NodeInconsistencyError(
                f"the node named block {block_hash[::-1].hex()} for height {height:,} "
                f"but served {selection.header.hash_hex}"
            )
        previous = batch.tip
        if previous is not None and selection.header.prev_hash != previous.block_hash:
            log.info("block %s does not extend our tip: the node is reorganising", f"{height:,}")
            return False
        prior_state = GENESIS_STATE_HASH if previous is None else previous.state_hash
        application = self.machine.begin_block(
            batch.view, prior_state, height, block_hash, header=raw[:80]
        )
        txs: list[Transaction] = []
        for index, tx in selection.transactions(application.credited):
            application.apply(index, tx)
            txs.append(tx)
        effects = application.finish()
        batch.apply(effects, txs)
        self.stats.blocks += 1
        self.stats.bytes += len(raw)
        self.progress.block(height, len(raw))
        return True

    def follow(self, stop: threading.Event, signal: TipSignal | None = None) -> None:
        """Catch up, then wait for new blocks (ZMQ or polling) until ``stop`` is set.

        Whoever sets ``stop`` also wakes ``signal`` and interrupts the node, so no wait
        outlasts the request; an interrupted node call then ends the loop quietly.
        """
        try:
            self._follow(stop, signal or TipSignal(None))
        except StopRequestedError:
            if not stop.is_set():
                raise

    def _follow(self, stop: threading.Event, signal: TipSignal) -> None:
        while not stop.is_set():
            self.catch_up(stop)
            known = self.store.tip()
            while not stop.is_set():
                signal.wait(self.settings.poll_seconds)
                if stop.is_set():
                    return
                tip_height = self.node.tip_height()
                if known is None or tip_height != known.height:
                    break
                try:
                    moved = self.node.block_hash(known.height) != known.block_hash
                except BlockNotFoundError:
                    moved = True  # the node's tip dropped since it was asked: mid-reorg
                if moved:
                    break
