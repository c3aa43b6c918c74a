"""End to end: the indexer killed with SIGKILL during catch-up, and the node restarted mid-sync.

The module builds one chain with protocol activity in every block and indexes it once,
uninterrupted, into a fresh store: the reference. Every interrupted run must end with the
reference's state, state hashes included; after every kill, the store's tip must be a block
boundary of the reference chain.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer.progress import Progress
from regtest.client import NodeRpc
from regtest.hashing import sha256d
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.node import RegtestNode
from regtest.payloads import deploy_open, message, mint, token_of, transfer
from regtest.scene import Scene
from regtest.script import rootstate_op_return
from regtest.spend import Envelope
from regtest.tx import TxOut
from regtest.wallet import Wallet
from tests.regtest.e2e import (
    IndexSnapshot,
    LocalIndexer,
    fresh_index,
    module_node,
    snapshot,
    wait_until,
)
from tests.regtest.e2e_kill import kill_during_catch_up

pytestmark = pytest.mark.regtest

#: Blocks with protocol activity after the funding blocks: enough for a catch-up of seconds.
ACTIVE_BLOCKS = 300
#: Where a kill lands is what the test explores, and that does not depend on the node; against
#: bitcoind fewer kills suffice to cover its transport (REST, the fetch process), in CI time.
KILLS = {NodeKind.BTCD: 24, NodeKind.BITCOIND: 8}
FOLLOW_LOGGER = "indexer.follow"
DUST = 1_000


@dataclass
class CrashChain:
    regtest: RegtestNode
    node: NodeRpc
    #: Raw blocks 1..tip, to rebuild btcd's chain after a restart.
    raw_blocks: list[bytes]
    reference: IndexSnapshot


def _build_chain(node: NodeRpc) -> None:
    """Every block mints to bob and moves bob's previous coin to carol (every 10th block
    through an envelope), so every block has events and the live UTXO set churns."""
    alice = Wallet(node, Key.derive("crash-alice"))
    bob, carol = Wallet(node, Key.derive("crash-bob")), Wallet(node, Key.derive("crash-carol"))
    alice.fund(1)
    scene = Scene(node, alice, [bob, carol])
    deploy = scene.add(alice.op_return(message(deploy_open("CRASH", 10**12, 1_000, 10**6))))
    scene.mine()
    token = token_of(node, deploy)
    held = None
    for i in range(ACTIVE_BLOCKS):
        minted = alice.op_return(message(mint(token)), extra_outputs=[TxOut(DUST, bob.p2tr_script)])
        scene.add(minted)
        if held is not None:
            to_bob, to_carol = TxOut(DUST, bob.p2tr_script), TxOut(DUST, carol.p2tr_script)
            if i % 10:
                carrier = TxOut(0, rootstate_op_return(message(transfer(token, 100 + i, 2))))
                scene.add(alice.build([carrier, to_bob, to_carol], must_spend=[held]))
            else:
                envelope = Envelope.create(alice.key, message(transfer(token, 100 + i, 1)))
                commit, coin = alice.commit_envelope(envelope)
                scene.add(commit)
                scene.add(alice.build([to_bob, to_carol], must_spend=[coin, held]))
        held = bob.coins[minted.outpoint(1)]
        scene.mine()


@pytest.fixture(scope="module")
def crash_chain(
    node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrashChain]:
    with module_node(node_kind, tmp_path_factory, "e2e-crash") as regtest:
        node = NodeRpc.connect(regtest.info)
        _build_chain(node)
        tip = node.block_count()
        raw = [bytes.fromhex(node.block_hex(node.block_hash(h))) for h in range(1, tip + 1)]
        reference = fresh_index(regtest.info, tmp_path_factory.mktemp("crash-reference"), tip)
        yield CrashChain(regtest, node, raw, reference)
        node.close()


def test_kill_9_during_catch_up_always_resumes_to_the_same_state(
    crash_chain: CrashChain, tmp_path: Path
) -> None:
    kills = KILLS[crash_chain.regtest.config.kind]
    kill_during_catch_up(crash_chain.regtest.info, crash_chain.reference, tmp_path, kills)


class PauseAt(Progress):
    """Holds the follower inside the batch that applies ``height`` until released: the
    moment the test restarts the node is then in the middle of the sync, not by chance."""

    def __init__(self, height: int) -> None:
        super().__init__(interval=3600.0)
        self.pause_height = height
        self.reached = threading.Event()
        self.release = threading.Event()

    def block(self, height: int, size: int) -> None:
        super().block(height, size)
        if height == self.pause_height:
            self.reached.set()
            assert self.release.wait(60), "the test never released the follower"


def _resubmit(node: NodeRpc, raw_blocks: list[bytes]) -> None:
    for raw in raw_blocks:
        block_hash = sha256d(raw[:80])[::-1].hex()
        node.submit_block(block_hash, raw)


class FollowLog(logging.Handler):
    """What the follow loop logs, to wait for it to have seen the restarted node."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def saw(self, text: str) -> bool:
        return any(text in message for message in self.messages)

    def __enter__(self) -> FollowLog:
        logger = logging.getLogger(FOLLOW_LOGGER)
        self._level = logger.level
        logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logger = logging.getLogger(FOLLOW_LOGGER)
        logger.removeHandler(self)
        logger.setLevel(self._level)


def test_node_restarted_mid_sync(crash_chain: CrashChain, tmp_path: Path) -> None:
    """btcd forgets its regtest chain on start; the same blocks are submitted again, first
    fewer than the indexer has (a node behind our tip whose tip block is ours), then all."""
    regtest, reference = crash_chain.regtest, crash_chain.reference
    raw_blocks = crash_chain.raw_blocks
    middle = len(raw_blocks) // 2
    pause = PauseAt(middle)
    with (
        FollowLog() as follow_log,
        LocalIndexer(regtest.info, tmp_path, progress=pause, batch_blocks=5) as indexer,
    ):
        indexer.start_following()
        assert pause.reached.wait(60), "the follower never reached the middle of the chain"
        url = regtest.info.rpc_url
        regtest.stop()
        pause.release.set()
        time.sleep(0.3)  # the follower runs into the stopped node and keeps retrying
        regtest.start()
        assert regtest.info.rpc_url == url
        node = NodeRpc.connect(regtest.info)
        try:
            if regtest.config.kind is NodeKind.BTCD:
                # The node is back at genesis, far behind us: the follower must wait for it.
                assert node.block_count() == 0
                wait_until(
                    lambda: follow_log.saw("is at height 0,") or follow_log.saw("reorg"),
                    30,
                    "the follower to meet the node at genesis",
                )
                assert not follow_log.saw("reorg"), follow_log.messages
                _resubmit(node, raw_blocks[: middle // 2])
                wait_until(lambda: follow_log.saw(f"is at height {middle // 2:,},"), 30, "a poll")
                _resubmit(node, raw_blocks[middle // 2 :])
            assert node.block_count() == len(raw_blocks)
        finally:
            node.close()
        indexer.wait_for(reference.tip.block_hash[::-1].hex())
        indexer.stop_following()
        assert indexer.follower.stats.reorgs == 0, "a restarting node was taken for a reorg"
        with indexer.store.read() as view:
            assert snapshot(view) == reference
