"""``rootstate snapshot export FILE`` and ``rootstate snapshot import FILE``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from cli.check import CheckRefusedError, http_fetch
from indexer.config import Config
from indexer.node import NodeError
from indexer.node_thread import NodeThread
from indexer.runtime import node_settings, store_config
from indexer.snapshot import check_against, check_header, export_snapshot, import_snapshot
from indexer.snapshot_format import SnapshotError, read_snapshot
from indexer.store_reader import open_reader


def cmd_export(config: Config, path: Path) -> int:
    started = time.monotonic()
    try:
        with open_reader(store_config(config)) as reader:
            header = export_snapshot(reader, path)
    except (SnapshotError, OSError) as exc:
        print(f"snapshot: cannot export: {exc}", file=sys.stderr)
        return 1
    print(
        f"snapshot: wrote {header.state_entries:,} state entries at height {header.height:,} "
        f"(block {header.block_hash[::-1].hex()}, state root {header.state_root.hex()}) to "
        f"{path}, {path.stat().st_size:,} bytes in {time.monotonic() - started:.1f} s"
    )
    return 0


def cmd_import(config: Config, path: Path, indexers: list[str], check_node: bool) -> int:
    """Import only what checks out; 1 (and no store) for a refused snapshot."""
    started = time.monotonic()
    try:
        snapshot = read_snapshot(path)
        header = snapshot.header
        check_header(header)
        if header.network != config.network.value:
            raise SnapshotError(
                f"the snapshot is of {header.network}, this indexer is configured for "
                f"{config.network.value}"
            )
        if indexers:
            fetch = http_fetch()

            def block(base: str, height: int) -> Any:
                try:
                    return fetch(base, f"/v1/blocks/{height}")
                except CheckRefusedError as exc:
                    raise SnapshotError(str(exc)) from None

            check_against(header, indexers, block)
        if check_node:
            with NodeThread(node_settings(config, retry_deadline=10.0)) as node:
                if node.block_hash(header.height) != header.block_hash:
                    raise SnapshotError(
                        f"the node's block at height {header.height:,} is not the snapshot's "
                        f"{header.block_hash[::-1].hex()}: refused"
                    )
        tip = import_snapshot(store_config(config), snapshot)
    except (SnapshotError, NodeError) as exc:
        print(f"snapshot: refused: {exc}", file=sys.stderr)
        return 1
    print(
        f"snapshot: imported {header.state_entries:,} state entries into "
        f"{config.store_path} at height {tip.height:,}, state root recomputed and matching "
        f"{header.state_root.hex()}, in {time.monotonic() - started:.1f} s; "
        "`rootstate index` (or `run`) follows the node from here"
    )
    return 0
