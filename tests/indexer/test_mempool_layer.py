"""The mempool layer over a real LMDB store: pending transfers, CPFP chains, conflicts,
replacements, blocks, rollbacks and the memory cap. Balances are read back by hand with
cbor2 from the overlay's values (UTXO record map: 0 -> [[token, amount], ...])."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cbor2
import pytest

from indexer.mempool_state import UNCHANGED, MempoolTx, Status
from tests.indexer.mempool_world import World, pending
from tests.protocol.builders import In, message_tx, spend, spendable, tid, transfer
from tests.vectorgen.payloads import deploy, message

PREMINE = 1_000


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path / "store")
    try:
        yield built
    finally:
        built.close()


def deployed(world: World) -> tuple[Any, tuple[int, int]]:
    """An issuer token: PREMINE on (deploy, 1), its authority on (deploy, 2)."""
    op = deploy("PEND", 10**6, authority=2, premine=PREMINE)
    tx = message_tx(message(op), [world.chain.coin()], [spendable(1), spendable(2)])
    height = world.chain.next_height
    world.block(tx)
    return tx, (height, 1)


def balances(world: World, txid: bytes, vout: int) -> object:
    with world.layer.reading() as state:
        value = state.change(b"\x01" + txid + vout.to_bytes(4, "big"))
    if value is UNCHANGED or value is None:
        return value
    assert isinstance(value, bytes)
    return {bytes(t): int(a) for t, a in cbor2.loads(value).get(0, [])}


def send(source: In, token: tuple[int, int], amount: int, **kw: Any) -> MempoolTx:
    """Move ``amount`` to output 2; the rest settles on output 1 (the default target)."""
    payload = message(transfer(token, amount, 2))
    return pending([source], [spendable(11), spendable(12)], payload, **kw)


def test_a_pending_transfer_changes_only_the_overlay(world: World) -> None:
    deploy_tx, token = deployed(world)
    root_before = world.store.tip()
    world.update([send(spend(deploy_tx, 1), token, 300)])
    moving = world.layer.state.entries
    (entry,) = moving.values()
    assert entry.status is Status.ACCEPTED
    assert balances(world, deploy_tx.txid, 1) is None  # spent in the mempool
    assert balances(world, entry.item.txid, 2) == {tid(*token): 300}
    assert balances(world, entry.item.txid, 1) == {tid(*token): 700}
    with world.layer.reading() as state:
        assert state.spent_by[deploy_tx.txid + b"\x00\x00\x00\x01"] == entry.item.txid
    # The store is untouched: same tip, same record on the spent outpoint.
    assert world.store.tip() == root_before
    with world.store.read() as view:
        assert view.get(b"\x01" + deploy_tx.txid + b"\x00\x00\x00\x01") is not None


def test_transactions_that_do_not_touch_the_protocol_are_not_kept(world: World) -> None:
    deployed(world)
    world.update([pending([In(b"\x07" * 32, 0)], [spendable(3)])])
    assert not world.layer.state.entries


def test_cpfp_child_is_applied_on_its_parent_and_again_after_a_rebuild(world: World) -> None:
    deploy_tx, token = deployed(world)
    parent = send(spend(deploy_tx, 1), token, 300)
    child = send(In(parent.txid, 2), token, 100, fee=50_000)
    world.update([parent, child])
    assert balances(world, child.txid, 2) == {tid(*token): 100}
    assert balances(world, child.txid, 1) == {tid(*token): 200}
    # A rebuild (the tip moves) applies them again, parent first, with the same result.
    rebuilds = world.layer.rebuilds
    world.block()
    world.update()
    assert world.layer.rebuilds == rebuilds + 1
    assert list(world.layer.state.entries) == [parent.txid, child.txid]
    assert balances(world, child.txid, 2) == {tid(*token): 100}


def test_a_child_given_before_its_parent_is_not_kept(world: World) -> None:
    """Feeds must hand arrivals parents first (mempool_feed.dependency_order does): the
    child of an unknown transaction spends nothing the view knows of."""
    deploy_tx, token = deployed(world)
    parent = send(spend(deploy_tx, 1), token, 300)
    child = pending([In(parent.txid, 2)], [spendable(5)])
    world.update([child, parent])
    assert list(world.layer.state.entries) == [parent.txid]


def test_two_spends_of_one_token_utxo_conflict_and_the_survivor_applies(world: World) -> None:
    deploy_tx, token = deployed(world)
    first = send(spend(deploy_tx, 1), token, 300)
    second = send(spend(deploy_tx, 1), token, 400, lock_time=1)
    world.update([first, second])
    entries = world.layer.state.entries
    assert entries[first.txid].status is Status.ACCEPTED
    assert entries[second.txid].status is Status.CONFLICT
    assert entries[second.txid].conflict_with == first.txid
    assert balances(world, second.txid, 2) is UNCHANGED
    world.update(removed=[first.txid])
    assert world.layer.state.entries[second.txid].status is Status.ACCEPTED
    assert balances(world, second.txid, 2) == {tid(*token): 400}


def test_replacement_is_announced_and_the_view_follows_it(world: World) -> None:
    deploy_tx, token = deployed(world)
    original = send(spend(deploy_tx, 1), token, 300)
    world.update([original])
    seq = world.layer.notice_seq
    replacement = send(spend(deploy_tx, 1), token, 900, fee=5_000, lock_time=7)
    world.update([replacement], removed=[original.txid])
    notices, _ = world.layer.notices_after(seq)
    assert [(n.kind, n.txid, n.by) for n in notices] == [
        ("replaced", original.txid, replacement.txid),
        ("pending", replacement.txid, None),
    ]
    assert original.txid not in world.layer.state.entries
    assert balances(world, replacement.txid, 2) == {tid(*token): 900}


def test_a_block_confirms_some_and_drops_what_it_conflicts_with(world: World) -> None:
    deploy_tx, token = deployed(world)
    mined = send(spend(deploy_tx, 1), token, 300)
    loser = pending([spend(deploy_tx, 2)], [spendable(4)])  # moves the authority
    world.update([mined, loser])
    assert set(world.layer.state.entries) == {mined.txid, loser.txid}
    seq = world.layer.notice_seq
    # The block confirms `mined` and a different spend of the authority outpoint.
    winner = message_tx(message(), [spend(deploy_tx, 2)], [spendable(9)])
    world.block(mined.tx, winner)
    world.update(removed=[mined.txid, loser.txid])
    notices, _ = world.layer.notices_after(seq)
    kinds = {(n.kind, n.txid, n.reason) for n in notices}
    assert kinds == {
        ("confirmed", mined.txid, None),
        ("evicted", loser.txid, "conflict_confirmed"),
    }
    assert not world.layer.state.entries
    assert not world.layer.state.overlay.changes


def test_a_rolled_back_transaction_returns_to_the_view(world: World) -> None:
    deploy_tx, token = deployed(world)
    tx = send(spend(deploy_tx, 1), token, 300)
    world.update([tx])
    world.block(tx.tx)
    world.update(removed=[tx.txid])
    assert not world.layer.state.entries
    world.undo_block()  # the node re-adds it to its mempool
    world.update([tx])
    assert world.layer.state.entries[tx.txid].status is Status.ACCEPTED
    assert balances(world, tx.txid, 2) == {tid(*token): 300}


def test_memory_cap_drops_lowest_fee_rate_with_descendants(tmp_path: Path) -> None:
    world = World(tmp_path / "store")
    try:
        deploy_tx, token = deployed(world)
        cheap = send(spend(deploy_tx, 1), token, 300, fee=100)
        cheap_child = send(In(cheap.txid, 2), token, 10, fee=100_000)
        rich = pending([spend(deploy_tx, 2)], [spendable(4)], fee=90_000)
        world.update([cheap, rich, cheap_child])
        used = world.layer.state.used
        assert not world.layer.partial
        world.layer.max_bytes = used - 1  # one entry too many
        world.update()  # nothing new: the cap is only checked on arrivals
        world.update([pending([In(rich.txid, 0)], [spendable(5)], fee=80_000)])
        entries = world.layer.state.entries
        assert cheap.txid not in entries and cheap_child.txid not in entries
        assert rich.txid in entries
        assert world.layer.partial
        assert world.layer.state.used <= world.layer.max_bytes
        # A later child of a dropped transaction is dropped too; the view heals once the
        # dropped ones leave the mempool.
        world.update([send(In(cheap.txid, 1), token, 5)])
        assert len(world.layer.state.entries) == 2
        world.update(removed=[cheap.txid, cheap_child.txid])
        assert world.layer.partial  # the grandchild is still out there
    finally:
        world.close()
