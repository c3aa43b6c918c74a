"""End to end: contract calls through kill -9 during catch-up, then through reorgs of depth 1,
6 and 30, on one chain per node kind (the machinery of test_e2e_crash.py and
test_e2e_reorg.py: ``kill_during_catch_up``, ``LocalIndexer``, ``fresh_index``).

The chain: the example AMM for two tokens (tests/regtest/e2e_contracts.py ``SwapMarket``),
then blocks of swaps both ways with a failing one now and then. The reserves the pool must
hold are kept by hand from contracts/README.md's formulas as the swaps are built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from regtest.client import NodeRpc
from regtest.launch import NodeKind
from regtest.mining import Block
from regtest.node import RegtestNode
from tests.regtest.e2e import IndexSnapshot, LocalIndexer, fresh_index, module_node, snapshot
from tests.regtest.e2e_contracts import (
    STORAGE_PREFIX,
    SwapMarket,
    amm_reserves,
    contract_bytes,
    slot,
)
from tests.regtest.e2e_kill import kill_during_catch_up

pytestmark = pytest.mark.regtest

#: Blocks of swaps before the crash test: enough for a catch-up of a few seconds.
SWAP_BLOCKS = 60
KILLS = 8


@dataclass
class Recovery:
    regtest: RegtestNode
    node: NodeRpc
    market: SwapMarket
    #: A fresh index of the chain as built, before any reorg.
    reference: IndexSnapshot


def _swap_blocks(market: SwapMarket, blocks: int) -> None:
    """Three swaps a block (two one way, one the other) and, every 10th block, a swap that
    fails its minimum: every block has calls, sends, deposits and a rejection now and then."""
    for i in range(blocks):
        market.swap(1_000 + 37 * i, a_to_b=True)
        market.swap(2_500 + 11 * i, a_to_b=False)
        market.swap(500 + i, a_to_b=i % 2 == 0)
        if i % 10 == 0:
            market.swap(700, a_to_b=True, min_out=10**9)
        market.scene.mine()


@pytest.fixture(scope="module")
def recovery(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recovery]:
    with module_node(node_kind, tmp_path_factory, "e2e-contracts-recovery") as regtest:
        node = NodeRpc.connect(regtest.info)
        market = SwapMarket(node, "recovery")
        _swap_blocks(market, SWAP_BLOCKS)
        tip = node.block_count()
        reference = fresh_index(regtest.info, tmp_path_factory.mktemp("recovery-reference"), tip)
        yield Recovery(regtest, node, market, reference)
        node.close()


def test_reference_holds_the_reserves_worked_out_by_hand(recovery: Recovery) -> None:
    state = dict(recovery.reference.state)
    raw = state[STORAGE_PREFIX + contract_bytes(recovery.market.amm) + slot(2)]
    reserves = tuple(int.from_bytes(raw[i : i + 16], "little") for i in (0, 16, 32))
    assert reserves == (*recovery.market.reserves, 2_000_000)


def test_kill_9_during_catch_up_of_contract_calls(recovery: Recovery, tmp_path: Path) -> None:
    kill_during_catch_up(recovery.regtest.info, recovery.reference, tmp_path, KILLS)


@pytest.fixture(scope="module")
def following(
    recovery: Recovery, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalIndexer]:
    """An indexer following the node for the reorg rounds (after the crash test: they
    extend the chain)."""
    with LocalIndexer(recovery.regtest.info, tmp_path_factory.mktemp("recovery-follow")) as indexer:
        indexer.start_following()
        yield indexer


def _branch(market: SwapMarket, parent: str, blocks: int, seed: int) -> list[Block]:
    """``blocks`` blocks on ``parent``, each with a swap (direction and size by ``seed``)."""
    mined = []
    for i in range(blocks):
        market.swap(3_000 + seed * 101 + i, a_to_b=(seed + i) % 2 == 0)
        txs, market.scene.pending = market.scene.pending, []
        block = market.alice.miner.mine(txs=txs, parent=parent)[0]
        mined.append(block)
        parent = block.hash_hex
    return mined


@pytest.mark.parametrize("depth", [1, 6, 30])
def test_reorg_across_swaps_ends_at_the_fresh_index(
    recovery: Recovery, following: LocalIndexer, depth: int, tmp_path: Path
) -> None:
    market, node = recovery.market, recovery.node
    fork = node.best_block_hash()
    saved = market.saved()
    old = _branch(market, fork, depth, seed=depth)
    following.wait_for(old[-1].hash_hex)
    with following.store.read() as view:
        assert amm_reserves(view, market.amm)[:2] == market.reserves
    # The new branch spends the same coins (wallets rewound) in other swaps, one block longer.
    market.restore(saved)
    new = _branch(market, fork, depth + 1, seed=depth + 1)
    assert node.best_block_hash() == new[-1].hash_hex
    tip = following.wait_for(new[-1].hash_hex)
    with following.store.read() as view:
        assert amm_reserves(view, market.amm)[:2] == market.reserves
        last = view.last_reorg()
        assert last is not None and last.depth == depth
        assert set(last.block_hashes) == {block.hash for block in old}
        final = snapshot(view)
    assert final == fresh_index(recovery.regtest.info, tmp_path, until=tip.height)
