"""Snapshots (spec §26): export, import, and every way a snapshot is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from indexer.snapshot import export_snapshot, import_snapshot
from indexer.snapshot_format import (
    CHECKSUM_LEN,
    HEADER,
    MAGIC,
    SnapshotError,
    read_snapshot,
)
from indexer.store_config import StoreConfig
from tests.api.world import build_world
from tests.indexer.store_chain import dump_env
from tests.vectorgen.state_root import state_root

#: What an imported store must hold exactly as the exporting one does; history (events, txs,
#: script events, undo, earlier blocks) starts at the snapshot and is not compared.
SAME = (
    b"state",
    b"tree",
    b"outputs",
    b"scripts",
    b"script_balances",
    b"holders",
    b"token_stats",
    b"token_rank",
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("snapshot")
    world = build_world(base / "origin")
    try:
        export_snapshot(world.store, base / "snap.bin")
    finally:
        world.store.close()
    return base / "origin", base / "snap.bin"


def config(path: Path) -> StoreConfig:
    return StoreConfig(path, undo_depth=10, initial_map_size=1 << 22)


def rewrite(source: Path, target: Path, edit: int, byte: int, *, fix_checksum: bool) -> Path:
    data = bytearray(source.read_bytes())
    data[edit] ^= byte
    if fix_checksum:
        data[-CHECKSUM_LEN:] = hashlib.sha256(data[:-CHECKSUM_LEN]).digest()
    target.write_bytes(bytes(data))
    return target


def test_round_trip_rebuilds_the_same_state_tree_and_indexes(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    origin, snap = exported
    tip = import_snapshot(config(tmp_path / "copy"), read_snapshot(snap))
    before, after = dump_env(origin), dump_env(tmp_path / "copy")
    for name in SAME:
        assert after[name] == before[name], name
    assert after[b"meta"][b"tip"] == before[b"meta"][b"tip"]
    height = tip.height.to_bytes(4, "big")
    assert after[b"blocks"] == {height: before[b"blocks"][height]}
    assert state_root(after[b"state"]).hex() == read_snapshot(snap).header.state_root.hex()


def test_a_changed_entry_with_a_fixed_checksum_fails_the_root(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    _, snap = exported
    # The last byte before the output entries and checksum: inside the last state value.
    header = read_snapshot(snap).header
    outputs = sum(36 + 4 + len(s) for _, s in read_snapshot(snap).outputs)
    edit = len(snap.read_bytes()) - CHECKSUM_LEN - outputs - 1
    forged = rewrite(snap, tmp_path / "forged.bin", edit, 0x01, fix_checksum=True)
    with pytest.raises(SnapshotError, match=r"give state root \w+, but its header claims"):
        import_snapshot(config(tmp_path / "store"), read_snapshot(forged))
    assert not (tmp_path / "store").exists()
    assert header.state_entries > 0


def test_a_forged_root_breaks_the_header_state_hash(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    _, snap = exported
    root_at = len(MAGIC) + HEADER.size - 16 - 32  # the state root precedes the two counts
    forged = rewrite(snap, tmp_path / "forged.bin", root_at, 0x80, fix_checksum=True)
    with pytest.raises(SnapshotError, match="header is inconsistent"):
        import_snapshot(config(tmp_path / "store"), read_snapshot(forged))
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (5, "ends at byte 5 inside the magic"),
        (100, "inside the header"),
        (-1, "its checksum is missing"),
        (-40, "inside output entry"),
    ],
)
def test_truncated_snapshots_are_refused(
    exported: tuple[Path, Path], tmp_path: Path, cut: int, message: str
) -> None:
    _, snap = exported
    short = tmp_path / "short.bin"
    data = snap.read_bytes()
    short.write_bytes(data[:cut])
    with pytest.raises(SnapshotError, match=message):
        read_snapshot(short)


def test_corrupt_and_padded_snapshots_are_refused(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    _, snap = exported
    flipped = rewrite(
        snap, tmp_path / "flip.bin", len(snap.read_bytes()) - 60, 0x01, fix_checksum=False
    )
    with pytest.raises(SnapshotError, match="corrupt"):
        read_snapshot(flipped)
    padded = tmp_path / "padded.bin"
    padded.write_bytes(snap.read_bytes() + b"\x00")
    with pytest.raises(SnapshotError, match="after its checksum"):
        read_snapshot(padded)
    with pytest.raises(SnapshotError, match="cannot read"):
        read_snapshot(tmp_path / "missing.bin")
    other = tmp_path / "other.bin"
    other.write_bytes(b"SQLite format 3\x00" + bytes(300))
    with pytest.raises(SnapshotError, match="is not a rootstate snapshot"):
        read_snapshot(other)


def test_import_never_touches_an_existing_store(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    origin, snap = exported
    before = dump_env(origin)
    with pytest.raises(SnapshotError, match="already exists"):
        import_snapshot(config(origin), read_snapshot(snap))
    assert dump_env(origin) == before
