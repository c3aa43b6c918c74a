"""The LMDB store against real LMDB files: every expectation comes from MemoryState or the
hand-made chain, never from the store itself."""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import shutil
import signal
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import lmdb
import pytest

from indexer.store import Store, open_store
from indexer.store_errors import (
    ChainMismatchError,
    CorruptStoreError,
    IncompatibleStoreError,
    InvalidEffectsError,
    RollbackError,
    RollbackTooDeepError,
    StoreBusyError,
    StoreError,
    StoreNotFoundError,
)
from indexer.store_reader import open_reader
from indexer.store_schema import BlockRecord, Tip
from indexer.store_view import StoreView
from protocol.params import Network
from protocol.records import UtxoAssets
from protocol.state import UTXO_PREFIX, BlockEffects, Write
from protocol.tree import root_of
from tests.indexer.store_chain import (
    FIRST_HEIGHT,
    IDENTITY,
    SCRIPTS,
    TOKENS,
    ExpectedIndexes,
    dump_env,
    expected_indexes,
    expected_outputs,
    make_chain,
    reference_state,
    sha,
    small_config,
)

REPO = Path(__file__).resolve().parents[2]
TINY_MAP = 64 * 1024
CHILD = [sys.executable, "-m", "tests.indexer.store_child"]
Dump = dict[bytes, dict[bytes, bytes]]


def assert_matches(store: Store, chain: list[BlockEffects]) -> None:
    """The store holds exactly what applying ``chain`` from the activation height produces."""
    state = reference_state(chain)
    outputs = expected_outputs(chain)
    with store.read() as view:
        assert view.tip() == (tip_of(chain[-1]) if chain else None)
        assert list(view.state_items()) == list(state.items())
        # The stored tree is exactly the reference tree of the state (spec §24.2).
        assert dict(view.tree_items()) == state.nodes()
        assert root_of(view) == state.root
        for effects in chain:
            record = BlockRecord(
                effects.height,
                effects.block_hash,
                effects.state_hash,
                effects.events_hash,
                len(effects.events),
                effects.state_root,
            )
            assert view.block(effects.height) == record
            assert view.block_by_hash(effects.block_hash) == record
            assert view.events(effects.height) == list(effects.events)
        assert view.block(FIRST_HEIGHT + len(chain)) is None
        for script in SCRIPTS:
            paid = sorted(op for op, to in outputs.items() if to == script)
            assert list(view.outpoints_of_script(script)) == paid
        for outpoint, script in outputs.items():
            assert view.script_of(outpoint) == script
        assert_indexes(view, expected_indexes(chain))
    utxos = {key[1:] for key, _ in state.items() if key[:1] == UTXO_PREFIX}
    # The live set holds prevouts as inputs serialize them: vout little-endian.
    assert set(store.live_outpoints) == {op[:32] + op[32:][::-1] for op in utxos}
    assert all(store.is_live(op) for op in utxos)


def assert_indexes(view: StoreView, expected: ExpectedIndexes) -> None:
    for script in SCRIPTS:
        assert dict(view.script_balances(script)) == expected.balances.get(script, {})
        assert list(view.script_events(script)) == expected.script_events.get(script, [])
    for token in TOKENS:
        held = [(script, balance) for _, script, balance in view.holders(token)]
        assert held == expected.holders.get(token, [])
    assert {token: view.token_stats(token) for token in expected.stats} == expected.stats
    ranked = [(holders, token) for _, holders, token in view.tokens_by_holders()]
    assert ranked == sorted((h, t) for t, (h, _) in expected.stats.items())
    descending = [(holders, token) for _, holders, token in view.tokens_by_holders(reverse=True)]
    assert descending == ranked[::-1]
    for txid, spans in expected.txs.items():
        found = [(e.height, e.first_event, e.event_count) for e in view.transaction(txid)]
        assert found == spans


def without_reorg_log(dump: Dump) -> Dump:
    """Every database but ``reorgs``, the log a rollback appends to instead of restoring."""
    return {name: db for name, db in dump.items() if name != b"reorgs"}


def reorg_log(path: Path) -> list[tuple[int, int, list[bytes]]]:
    with open_reader(small_config(path)) as reader, reader.read() as view:
        return [(r.first_height, r.last_height, list(r.block_hashes)) for r in view.reorgs()]


def tip_of(effects: BlockEffects) -> Tip:
    return Tip(effects.height, effects.block_hash, effects.state_hash)


@pytest.fixture
def store_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="indexer.store")
    return caplog


def heights(chain: list[BlockEffects]) -> list[int]:
    return [effects.height for effects in chain]


def test_blocks_applied_one_by_one_match_the_reference_and_survive_reopening(
    tmp_path: Path,
) -> None:
    chain = make_chain(30)
    path = tmp_path / "store"
    with open_store(small_config(path), IDENTITY) as store:
        assert_matches(store, [])
        for n, effects in enumerate(chain):
            store.apply_block(effects)
            assert_matches(store, chain[: n + 1])
    with open_store(small_config(path), IDENTITY) as store:
        assert_matches(store, chain)
    # The state database holds the protocol keys and values byte for byte.
    assert dump_env(path)[b"state"] == dict(reference_state(chain).items())


def dumps_around_a_rollback(path: Path, *, undo_depth: int, extra: int) -> tuple[Dump, Dump]:
    """Dumps of a store holding 15 blocks, then after ``extra`` more and a rollback to 15."""
    chain = make_chain(15 + extra, seed=2)
    with open_store(small_config(path, undo_depth=undo_depth), IDENTITY) as store:
        store.apply_blocks(chain[:15])
    before = dump_env(path)
    with open_store(small_config(path, undo_depth=undo_depth), IDENTITY) as store:
        for effects in chain[15:]:
            store.apply_block(effects)
        assert store.rollback_to(chain[14].height) == tip_of(chain[14])
        assert_matches(store, chain[:15])
    return before, dump_env(path)


def test_rollback_restores_every_database_byte_for_byte(tmp_path: Path) -> None:
    before, after = dumps_around_a_rollback(tmp_path / "store", undo_depth=30, extra=9)
    assert without_reorg_log(after) == without_reorg_log(before)
    assert before[b"reorgs"] == {}
    # The log names the nine heights removed and the hashes they had.
    removed = [effects.block_hash for effects in make_chain(24, seed=2)[15:]]
    assert reorg_log(tmp_path / "store") == [(16, 24, removed)]


def test_undo_pruned_by_rolled_back_blocks_stays_pruned(tmp_path: Path) -> None:
    before, after = dumps_around_a_rollback(tmp_path / "store", undo_depth=8, extra=5)
    unlogged = (b"undo", b"reorgs")
    assert {name: db for name, db in after.items() if name not in unlogged} == {
        name: db for name, db in before.items() if name not in unlogged
    }
    # Blocks 16..20 pruned the undo of heights 8..12; what is left is unchanged.
    assert after[b"undo"] == {k: v for k, v in before[b"undo"].items() if k in after[b"undo"]}
    assert sorted(int.from_bytes(k, "big") for k in after[b"undo"]) == [13, 14, 15]


def test_rollback_then_reapply_equals_straight_application(tmp_path: Path) -> None:
    chain = make_chain(20, seed=4)
    with open_store(small_config(tmp_path / "a"), IDENTITY) as store:
        store.apply_blocks(chain[:16])
        store.rollback_to(chain[9].height)
        store.apply_blocks(chain[10:])
        assert_matches(store, chain)
    with open_store(small_config(tmp_path / "b"), IDENTITY) as store:
        store.apply_blocks(chain)
    assert without_reorg_log(dump_env(tmp_path / "a")) == without_reorg_log(
        dump_env(tmp_path / "b")
    )
    hashes = [effects.block_hash for effects in chain[10:16]]
    assert reorg_log(tmp_path / "a") == [(11, 16, hashes)]
    assert reorg_log(tmp_path / "b") == []


def test_rollback_below_the_first_block_empties_the_store(tmp_path: Path) -> None:
    chain = make_chain(6, seed=5)
    with open_store(small_config(tmp_path / "empty"), IDENTITY):
        pass
    with open_store(small_config(tmp_path / "store"), IDENTITY) as store:
        store.apply_blocks(chain)
        assert store.rollback_to(FIRST_HEIGHT - 1) is None
        assert_matches(store, [])
        assert not store.live_outpoints
    empty = without_reorg_log(dump_env(tmp_path / "empty"))
    assert without_reorg_log(dump_env(tmp_path / "store")) == empty
    assert reorg_log(tmp_path / "store") == [(1, 6, [e.block_hash for e in chain])]


def test_a_rollback_that_misses_the_recorded_root_changes_nothing(tmp_path: Path) -> None:
    chain = make_chain(8, seed=6)
    with open_store(small_config(tmp_path / "store"), IDENTITY) as store:
        store.apply_blocks(chain)
        # Lose the tree behind the store's back: the rollback then builds a tree of only
        # the entries it restores, whose root cannot be the recorded one.
        with store._env.begin(write=True) as txn:
            txn.drop(store._dbs.tree, delete=False)
        before = dump_env_of(store)
        with pytest.raises(CorruptStoreError, match="gives state root"):
            store.rollback_to(chain[3].height)
        assert dump_env_of(store) == before
        assert store.tip() == tip_of(chain[-1])


def dump_env_of(store: Store) -> dict[bytes, bytes]:
    with store.read() as view:
        return {**dict(view.state_items()), **dict(view.tree_items())}


def test_batches_and_single_blocks_give_identical_databases(tmp_path: Path) -> None:
    chain = make_chain(40, seed=6)
    with open_store(small_config(tmp_path / "single"), IDENTITY) as store:
        for effects in chain:
            store.apply_block(effects)
    with open_store(small_config(tmp_path / "batches"), IDENTITY) as store:
        for first in range(0, len(chain), 7):
            with store.batch() as batch:
                for effects in chain[first : first + 7]:
                    batch.apply(effects)
                assert batch.heights == heights(chain[first : first + 7])
    with open_store(small_config(tmp_path / "whole"), IDENTITY) as store:
        store.apply_blocks(chain)
    single = dump_env(tmp_path / "single")
    assert dump_env(tmp_path / "batches") == single
    assert dump_env(tmp_path / "whole") == single


def test_a_committed_batch_lets_go_of_its_blocks_without_the_collector(tmp_path: Path) -> None:
    # A write session is a reference cycle: what it keeps after its commit (the effects of
    # every block of the batch, for a replay) waits for a collection, tens of MB in a
    # catch-up, where the collector runs rarely (indexer.gc_tuning).
    chain = make_chain(3, seed=9)
    with open_store(small_config(tmp_path / "store"), IDENTITY) as store:
        copies = [dataclasses.replace(effects) for effects in chain]
        refs = [weakref.ref(effects) for effects in copies]
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            with store.batch() as batch:
                for effects in copies:
                    batch.apply(effects)
            del copies, effects
            assert [ref() for ref in refs] == [None, None, None]
        finally:
            if was_enabled:
                gc.enable()
        assert batch.heights == heights(chain)


def test_batch_view_sees_earlier_blocks_of_the_batch_and_readers_do_not(
    tmp_path: Path,
) -> None:
    chain = make_chain(12, seed=7)
    n = next(i for i, e in enumerate(chain) if i >= 3 and any(w.value for w in e.writes))
    created = next(w for w in chain[n].writes if w.value is not None)
    with open_store(small_config(tmp_path / "store"), IDENTITY) as store:
        store.apply_blocks(chain[:n])
        with store.batch() as batch:
            batch.apply(chain[n])
            assert batch.view.get(created.key) == created.value
            assert batch.tip is not None and batch.tip.height == chain[n].height
            with store.read() as view:
                assert view.get(created.key) is None
                assert view.tip() == tip_of(chain[n - 1])
            if created.key[:1] == UTXO_PREFIX:
                assert store.is_live(created.key[1:])
            batch.apply(chain[n + 1])
        with store.read() as view:
            assert view.get(created.key) == reference_state(chain[: n + 2]).get(created.key)
        assert_matches(store, chain[: n + 2])


def test_an_exception_inside_a_batch_commits_nothing(tmp_path: Path) -> None:
    chain = make_chain(10, seed=8)
    with open_store(small_config(tmp_path / "store"), IDENTITY) as store:
        store.apply_blocks(chain[:4])
        with pytest.raises(RuntimeError, match="caller gave up"), store.batch() as batch:
            for effects in chain[4:8]:
                batch.apply(effects)
            raise RuntimeError("caller gave up")
        assert_matches(store, chain[:4])


def test_invalid_effects_are_refused_and_abort_the_batch(tmp_path: Path) -> None:
    chain = make_chain(12, seed=9)
    n = next(i for i in range(4, len(chain) - 2) if chain[i + 1].writes)
    good, nxt = chain[n], chain[n + 1]
    bad_undo = (Write(nxt.undo[0].key, b"not what the store holds"), *nxt.undo[1:])
    fresh = b"\x01" + sha("never bound") + bytes(4)
    record = UtxoAssets(((TOKENS[0], 5),)).encode()

    def adding(key: bytes, value: bytes, *, script: bytes | None = SCRIPTS[0]) -> BlockEffects:
        bound = () if script is None else ((key[1:], script),)
        return dataclasses.replace(
            nxt,
            writes=(*nxt.writes, Write(key, value)),
            undo=(*nxt.undo, Write(key, None)),
            outputs=(*nxt.outputs, *bound),
        )

    cases = [
        (chain[n + 2], f"the store's next height is {nxt.height}"),
        (dataclasses.replace(nxt, undo=bad_undo), "computed on another state"),
        (dataclasses.replace(nxt, block_hash=chain[0].block_hash), "already applied at height 1"),
        # The derived indexes read every UTXO record and event: they must be well formed.
        (adding(fresh, b"\xff"), "a UTXO record is not valid CBOR"),
        (adding(fresh, record, script=None), "gets a UTXO record but no output script"),
        (dataclasses.replace(nxt, events=(b"\xa0",)), "an event has no 32-byte txid"),
    ]
    with open_store(small_config(tmp_path / "store"), IDENTITY) as store:
        store.apply_blocks(chain[:n])
        for effects, message in cases:
            with pytest.raises(InvalidEffectsError, match=message), store.batch() as batch:
                batch.apply(good)  # valid, and lost with the batch
                batch.apply(effects)
            assert_matches(store, chain[:n])
        # A caller that swallows the error cannot commit half a batch.
        with pytest.raises(StoreError, match="aborted by an earlier error"), store.batch() as b:
            b.apply(good)
            with pytest.raises(InvalidEffectsError):
                b.apply(chain[n + 2])
        assert_matches(store, chain[:n])


def test_undo_is_kept_for_the_configured_depth_only(tmp_path: Path) -> None:
    chain = make_chain(20, seed=10)
    for name, batch_size in (("single", 1), ("batched", 20)):
        path = tmp_path / name
        with open_store(small_config(path, undo_depth=8), IDENTITY) as store:
            for first in range(0, len(chain), batch_size):
                store.apply_blocks(chain[first : first + batch_size])
        undo_heights = sorted(int.from_bytes(key, "big") for key in dump_env(path)[b"undo"])
        assert undo_heights == heights(chain[-8:])


def test_rollback_deeper_than_the_undo_depth_is_refused(tmp_path: Path) -> None:
    chain = make_chain(20, seed=11)
    with open_store(small_config(tmp_path / "store", undo_depth=8), IDENTITY) as store:
        store.apply_blocks(chain)
        too_deep = chain[-10].height  # needs the undo of 9 blocks
        with pytest.raises(RollbackTooDeepError, match="deeper than the undo depth"):
            store.rollback_to(too_deep)
        assert_matches(store, chain)
        with pytest.raises(RollbackError, match="cannot roll back to height"):
            store.rollback_to(chain[-1].height + 1)
        store.rollback_to(chain[-9].height)  # exactly the undo depth
        assert_matches(store, chain[:-8])
        with pytest.raises(RollbackTooDeepError, match="keeps undo for no height"):
            store.rollback_to(chain[-9].height - 1)
        store.apply_blocks(chain[-8:])
        assert_matches(store, chain)


def test_map_grows_from_a_tiny_initial_size(
    tmp_path: Path, store_log: pytest.LogCaptureFixture
) -> None:
    chain = make_chain(120, seed=12, event_size=512)
    tiny = small_config(tmp_path / "tiny", initial_map_size=TINY_MAP)
    with open_store(tiny, IDENTITY) as store:
        store.apply_blocks(chain[:100])  # one batch, far larger than the initial map
        for effects in chain[100:]:
            store.apply_block(effects)
        assert_matches(store, chain)
    assert "store map grown" in store_log.text
    assert (tmp_path / "tiny" / "data.mdb").stat().st_size > 4 * TINY_MAP
    with open_store(tiny, IDENTITY) as store:
        store.rollback_to(chain[-5].height)
        assert_matches(store, chain[:-4])
        store.apply_blocks(chain[-4:])
    with open_store(small_config(tmp_path / "roomy"), IDENTITY) as store:
        store.apply_blocks(chain)
    tiny_dump, roomy_dump = dump_env(tmp_path / "tiny"), dump_env(tmp_path / "roomy")
    assert without_reorg_log(tiny_dump) == without_reorg_log(roomy_dump)
    assert len(tiny_dump[b"reorgs"]) == 1


def test_a_batch_that_grew_the_map_and_then_failed_commits_nothing(
    tmp_path: Path, store_log: pytest.LogCaptureFixture
) -> None:
    chain = make_chain(60, seed=13, event_size=512)
    path = tmp_path / "store"
    with open_store(small_config(path, initial_map_size=TINY_MAP), IDENTITY) as store:
        store.apply_blocks(chain[:2])
        with pytest.raises(RuntimeError), store.batch() as batch:
            for effects in chain[2:]:
                batch.apply(effects)
            assert "store map grown" in store_log.text
            raise RuntimeError("stop")
        assert_matches(store, chain[:2])
    with open_store(small_config(path), IDENTITY) as store:
        assert_matches(store, chain[:2])


def test_growing_the_map_waits_for_readers_of_this_process(tmp_path: Path) -> None:
    chain = make_chain(60, seed=14, event_size=512)
    config = small_config(tmp_path / "store", initial_map_size=TINY_MAP, grow_wait_seconds=0.2)
    with open_store(config, IDENTITY) as store:
        with store.read(), pytest.raises(StoreError, match="read transaction"):
            store.apply_blocks(chain)
        assert_matches(store, [])
        store.apply_blocks(chain)
        assert_matches(store, chain)


def test_a_reader_thread_holding_a_snapshot_does_not_block_the_writer(tmp_path: Path) -> None:
    chain = make_chain(15, seed=15)
    holding, release, done = threading.Event(), threading.Event(), threading.Event()
    seen: list[object] = []

    with open_store(small_config(tmp_path / "store"), IDENTITY) as store:
        store.apply_blocks(chain[:5])

        def reader() -> None:
            with store.read() as view:
                seen.append(view.tip())
                holding.set()
                release.wait(timeout=30)
                seen.append(view.tip())
                seen.append(list(view.state_items()))
            done.set()

        thread = threading.Thread(target=reader)
        thread.start()
        assert holding.wait(timeout=30)
        for effects in chain[5:]:
            store.apply_block(effects)  # each its own committed transaction
        assert not done.is_set(), "the writer waited for the reader"
        release.set()
        thread.join(timeout=30)
        old = tip_of(chain[4])
        assert seen == [old, old, list(reference_state(chain[:5]).items())]
        assert_matches(store, chain)


def test_a_reader_process_sees_only_block_boundaries_while_the_map_grows(
    tmp_path: Path, store_log: pytest.LogCaptureFixture
) -> None:
    chain = make_chain(60, seed=16, event_size=512)
    path = tmp_path / "store"
    with open_store(small_config(path, initial_map_size=TINY_MAP), IDENTITY) as store:
        store.apply_block(chain[0])
        reader = subprocess.Popen(
            [*CHILD, "read", str(path), "--seed", "16", "--count", "60", "--seconds", "60"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "ready"
        for first in range(1, len(chain), 3):
            store.apply_blocks(chain[first : first + 3])
            threading.Event().wait(0.02)  # let the reader take snapshots in between
        out, _ = reader.communicate(timeout=120)
    assert reader.returncode == 0
    result = json.loads(out)
    assert result["mismatches"] == []
    assert result["tips"][-1] == chain[-1].height
    assert len(result["tips"]) >= 2
    assert result["adopted"] >= 1
    assert "store map grown" in store_log.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"network": Network.MAINNET}, "wrong network: .* holds regtest state, .* on mainnet"),
        ({"genesis_hash": sha("another regtest")}, "chain mismatch: .* genesis block"),
        ({"activation_height": 2}, "activation height 1, but this indexer uses 2"),
        ({"protocol_version": 2}, "protocol version 1, but this indexer uses 2"),
    ],
)
def test_a_store_refuses_another_chain(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    chain = make_chain(3, seed=17)
    path = tmp_path / "store"
    with open_store(small_config(path), IDENTITY) as store:
        store.apply_blocks(chain)
    other = dataclasses.replace(IDENTITY, **change)  # type: ignore[arg-type]
    with pytest.raises(ChainMismatchError, match=message):
        open_store(small_config(path), other)
    with pytest.raises(ChainMismatchError, match=message), open_reader(small_config(path), other):
        pass
    with open_reader(small_config(path)) as reader:
        assert reader.identity == IDENTITY
    with open_store(small_config(path), IDENTITY) as store:
        assert_matches(store, chain)


def test_one_writer_per_store(tmp_path: Path) -> None:
    config = small_config(tmp_path / "store")
    with open_store(config, IDENTITY), pytest.raises(StoreBusyError, match="open for writing"):
        open_store(config, IDENTITY)
    with open_store(config, IDENTITY) as store:
        assert store.tip() is None


def test_opening_what_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="no store at"):
        open_reader(small_config(tmp_path / "nothing"))
    foreign = tmp_path / "foreign"
    env = lmdb.open(str(foreign), max_dbs=2)
    env.open_db(b"theirs")
    env.close()
    with pytest.raises(IncompatibleStoreError, match="not a store"):
        open_store(small_config(foreign), IDENTITY)
    assert list(dump_env(foreign)) == [b"theirs"]


def test_a_tip_that_contradicts_the_block_records_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with open_store(small_config(path), IDENTITY) as store:
        store.apply_blocks(make_chain(3, seed=19))
    env = lmdb.open(str(path), max_dbs=16)
    with env.begin(write=True) as txn:
        txn.delete(b"tip", db=env.open_db(b"meta", txn=txn))
    env.close()
    with pytest.raises(CorruptStoreError, match="has tip None but its last block record"):
        open_store(small_config(path), IDENTITY)


def test_sigkill_inside_a_batch_leaves_the_last_committed_block(tmp_path: Path) -> None:
    chain = make_chain(40, seed=3)
    path = tmp_path / "store"
    command = [*CHILD, "crash", str(path), "--seed", "3", "--count", "40", "--batch", "5"]
    for kill_at in (2, 4, 1):  # blocks applied in the open batch when the kill lands
        child = subprocess.Popen(
            [*command, "--pause", "0.1"], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        committed, applied = None, 0
        for line in child.stdout:
            word, _, height = line.strip().partition(" ")
            if word == "committed":
                committed, applied = int(height), 0
            elif word == "applied":
                applied += 1
            if committed is not None and applied == kill_at:
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        assert committed is not None
        with open_store(small_config(path, initial_map_size=TINY_MAP), IDENTITY) as store:
            assert_matches(store, chain[: committed - FIRST_HEIGHT + 1])
    finish = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert finish.stdout.splitlines()[-1] == "done", finish.stderr
    with open_store(small_config(path), IDENTITY) as store:
        assert_matches(store, chain)


def _tmpfs_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.parametrize("limit", ["file size limit", "full tmpfs"])
def test_a_full_disk_stops_cleanly_with_the_store_intact(tmp_path: Path, limit: str) -> None:
    count = 300
    fill = [*CHILD, "fill", "--seed", "18", "--count", str(count), "--batch", "4"]
    if limit == "file size limit":
        path = tmp_path / "store"
        command = [*fill, str(path), "--fsize-limit", str(512 * 1024)]
    else:
        if not _tmpfs_available():
            pytest.skip("needs unshare with user and mount namespaces")
        mount, path = tmp_path / "mnt", tmp_path / "copy"
        mount.mkdir()
        path.mkdir()
        script = 'mount -t tmpfs -o size=512k tmpfs "$1" && shift && exec "$@"'
        command = ["unshare", "-rm", "sh", "-c", script, "sh", str(mount), *fill]
        command += [str(mount / "store"), "--copy-to", str(path)]
    run = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    tip = result["tip"]
    assert tip is not None and tip >= FIRST_HEIGHT + 4
    assert tip < FIRST_HEIGHT + count - 1, "the limit was never reached"
    for key in ("error", "again"):
        assert f"the store is intact at height {tip:,}" in result[key]
        assert "Nothing of it was written" in result[key]
    assert result["tip_after_retry"] == tip
    chain = make_chain(count, seed=18, event_size=4096)
    with open_store(small_config(path), IDENTITY) as store:
        assert_matches(store, chain[: tip - FIRST_HEIGHT + 1])
        store.apply_blocks(chain[tip - FIRST_HEIGHT + 1 :][:8])
        assert_matches(store, chain[: tip - FIRST_HEIGHT + 9])
