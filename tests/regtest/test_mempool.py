"""The pending view on real nodes: transfers, CPFP, conflicting spends, RBF, blocks,
conflicts with a block, a reorg that returns transactions, and (Core) expiry and restarts.

Core feeds the view by ZMQ ``sequence`` notifications, btcd by polling; every expected
balance is worked out by hand from the transfer amounts (spec §7.4: what the message does
not move settles on the first non-OP_RETURN output).
"""

from __future__ import annotations

from collections.abc import Iterator

import cbor2
import pytest

from indexer.mempool_state import Status
from regtest.launch import NodeKind
from regtest.rpc import RpcError
from regtest.tx import Tx
from tests.regtest.e2e import outpoint_bytes, token_bytes
from tests.regtest.mempool_scene import PER_MINT, Scene, mempool_scene

pytestmark = pytest.mark.regtest


@pytest.fixture(scope="module")
def scene(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    with mempool_scene(node_kind, tmp_path_factory, "mempool") as built:
        yield built


def pending_balance(scene: Scene, tx: Tx, vout: int) -> dict[bytes, int] | None:
    with scene.service.layer.reading() as state:
        value = state.change(b"\x01" + outpoint_bytes(tx, vout))
    if not isinstance(value, bytes):
        return None
    return {bytes(t): int(a) for t, a in cbor2.loads(value).get(0, [])}


def test_a_transfer_is_pending_and_the_store_is_untouched(scene: Scene) -> None:
    coin = scene.token_coins()[0]
    tip = scene.indexer.store.tip()
    tx = scene.transfer(coin, 300)
    scene.broadcast(tx)
    entry = scene.wait_entry(tx)
    assert entry.status is Status.ACCEPTED
    assert entry.item.fee is not None and entry.item.fee > 0
    token = token_bytes(scene.token)
    assert pending_balance(scene, tx, 2) == {token: 300}
    assert pending_balance(scene, tx, 1) == {token: PER_MINT - 300}
    with scene.service.layer.reading() as state:
        assert state.spent_by[coin.outpoint.txid + coin.outpoint.vout.to_bytes(4, "big")] == tx.txid
    assert scene.indexer.store.tip() == tip
    with scene.indexer.store.read() as view:
        assert view.get(b"\x01" + outpoint_bytes(tx, 2)) is None


def test_a_child_spending_a_pending_output_applies_on_it(scene: Scene) -> None:
    (parent,) = [tx for tx in scene.node_mempool() if scene.entry(tx) is not None]
    child = scene.transfer(scene.bob.coins[parent.outpoint(1)], 100, fee_rate=20)
    scene.broadcast(child)
    assert scene.wait_entry(child).status is Status.ACCEPTED
    assert pending_balance(scene, child, 2) == {token_bytes(scene.token): 100}
    assert pending_balance(scene, child, 1) == {token_bytes(scene.token): PER_MINT - 400}
    assert pending_balance(scene, parent, 1) is None  # spent again in the mempool


def test_a_block_confirms_the_pending_chain(scene: Scene) -> None:
    pending = [tx for tx in scene.node_mempool() if scene.entry(tx) is not None]
    assert len(pending) == 2
    since = scene.service.layer.notice_seq
    scene.mine()
    for tx in pending:
        scene.wait_gone(tx)
    kinds = {(kind, txid) for kind, txid, _, _ in scene.notices(since)}
    assert kinds == {("confirmed", tx.txid) for tx in pending}
    with scene.service.layer.reading() as state:
        assert not state.entries and not state.overlay.changes


def test_a_second_spend_of_a_token_utxo_is_refused_or_replaces(scene: Scene) -> None:
    coin = scene.token_coins()[0]
    first = scene.transfer(coin, 10)
    scene.broadcast(first)
    scene.wait_entry(first)
    # The same fee rate: the node refuses the double spend, the view keeps the first.
    same = scene.transfer(coin, 20, to=scene.alice)
    with pytest.raises(RpcError):
        scene.node.send_raw_transaction(same)
    assert scene.entry(first) is not None and scene.entry(same) is None
    since = scene.service.layer.notice_seq
    # A much higher fee replaces it (Core: full RBF; btcd: BIP125, which the inputs signal).
    better = scene.transfer(coin, 30, fee_rate=50, to=scene.alice)
    scene.broadcast(better)
    assert scene.wait_entry(better).status is Status.ACCEPTED
    scene.wait_gone(first)
    scene.wait_notice(since, ("replaced", first.txid, better.txid, None), "a replaced notice")
    assert pending_balance(scene, better, 2) == {token_bytes(scene.token): 30}
    assert pending_balance(scene, first, 2) is None


def test_a_block_spending_the_same_token_utxo_evicts_the_pending_one(scene: Scene) -> None:
    scene.mine()  # confirms the replacement of the test before
    coin = scene.token_coins()[0]
    pending = scene.transfer(coin, 40)
    scene.broadcast(pending)
    scene.wait_entry(pending)
    since = scene.service.layer.notice_seq
    rival = scene.transfer(coin, 50, to=scene.alice)
    scene.mine([rival], mempool=False)  # submitblock: the node drops the pending one
    scene.wait_gone(pending)
    scene.wait_notice(
        since, ("evicted", pending.txid, None, "conflict_confirmed"), "an evicted notice"
    )


def test_a_reorg_returns_a_mined_transfer_to_the_view(scene: Scene) -> None:
    coin = scene.token_coins()[0]
    tx = scene.transfer(coin, 60)
    scene.broadcast(tx)
    scene.wait_entry(tx)
    scene.mine()
    scene.wait_gone(tx)
    since = scene.service.layer.notice_seq
    branch = scene.alice.miner.reorg(1)  # an empty branch: the transfer goes back
    scene.indexer.wait_for(branch[-1].hash_hex)
    entry = scene.wait_entry(tx)
    assert entry.status is Status.ACCEPTED
    assert pending_balance(scene, tx, 2) == {token_bytes(scene.token): 60}
    assert ("pending", tx.txid, None, None) in scene.notices(since)


@pytest.mark.core_only  # btcd has no mock time to make a transaction expire
def test_core_expires_old_transactions(scene: Scene) -> None:
    old = [tx for tx in scene.node_mempool() if scene.entry(tx) is not None]
    assert old, "the reorg test leaves a pending transfer"
    since = scene.service.layer.notice_seq
    # Core expires entries older than -mempoolexpiry (336 h) when it next accepts one.
    scene.node.call("setmocktime", int(scene.alice.miner.tip().time) + 400 * 3600)
    try:
        scene.broadcast(scene.transfer(scene.token_coins()[0], 70))
        for tx in old:
            scene.wait_gone(tx)
    finally:
        scene.node.call("setmocktime", 0)
    got = scene.notices(since)
    assert {("evicted", tx.txid, None, "removed") for tx in old} <= set(got)


@pytest.mark.core_only  # a restarted regtest btcd begins from genesis (regtest/README.md)
def test_core_restart_reloads_or_loses_the_mempool(scene: Scene) -> None:
    kept = [tx for tx in scene.node_mempool() if scene.entry(tx) is not None]
    assert kept
    scene.regtest.stop()
    scene.regtest.start()
    # A new (empty) block makes the view resynchronise: the reloaded mempool keeps them.
    scene.mine([], mempool=False)
    assert all(scene.entry(tx) is not None for tx in kept), "mempool.dat was reloaded"
    since = scene.service.layer.notice_seq
    scene.regtest.stop()
    (scene.regtest.workdir / "data" / "regtest" / "mempool.dat").unlink()
    scene.regtest.start()
    scene.mine([], mempool=False)
    for tx in kept:
        scene.wait_gone(tx, timeout=60.0)
    assert {("evicted", tx.txid, None, "removed") for tx in kept} <= set(scene.notices(since))
