"""``rootstate index``, ``status``, ``rollback`` and ``verify``: the indexer's commands."""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from cli.exits import Exit
from cli.failures import exit_code
from cli.signals import Shutdown
from indexer.config import Config
from indexer.node import NodeChainError, NodeError
from indexer.node_thread import NodeThread, StopRequestedError
from indexer.progress import Progress
from indexer.runtime import (
    chain_mismatch,
    follower,
    node_settings,
    open_existing,
    opened,
    store_config,
)
from indexer.store_reader import open_reader
from indexer.tip_signal import TipSignal

#: ``status`` asks the node once and gives it this long: it reports, it does not wait.
STATUS_TIMEOUT_SECONDS = 5.0


def cmd_index(config: Config, shutdown: Shutdown) -> int:
    """Index until a stop request, which is how this command normally ends (exit 0), even
    while it still waits for the node."""
    try:
        with (
            opened(config, watch=lambda node: shutdown.on_stop(node.interrupt), catch_up=True) as (
                node,
                store,
            ),
            closing(TipSignal(config.zmq_url)) as tips,
            closing(Progress()) as progress,
        ):
            shutdown.on_stop(tips.wake)
            follower(config, store, node, progress).follow(shutdown.requested, tips)
    except StopRequestedError:
        if not shutdown.requested.is_set():
            raise
    return Exit.OK


def cmd_status(config: Config, shutdown: Shutdown) -> int:
    """The store's tip and the node's height as JSON; exit 0 only when the node answered
    on the configured network (5: credentials rejected, 6: down, 7: another chain)."""
    status: dict[str, object] = {"network": config.network.value, "store": str(config.store_path)}
    if (config.store_path / "data.mdb").exists():
        with open_reader(store_config(config)) as reader:
            tip = reader.tip()
        status["indexed_height"] = tip.height if tip else None
        status["indexed_hash"] = tip.block_hash[::-1].hex() if tip else None
        status["state_hash"] = tip.state_hash.hex() if tip else None
    else:
        status["indexed_height"] = None
    timeout = min(config.rpc_timeout, STATUS_TIMEOUT_SECONDS)
    code = Exit.OK
    node = NodeThread(replace(node_settings(config, retry_deadline=0.0), timeout=timeout))
    shutdown.on_stop(node.interrupt)
    try:
        info = node.call("getblockchaininfo")
        status["node_height"] = int(info["blocks"])
        status["node_chain"] = str(info["chain"])
        mismatch = chain_mismatch(config, str(info["chain"]))
        if mismatch is not None:
            raise NodeChainError(mismatch)
    except NodeError as exc:
        status["node_error"] = str(exc)
        code = exit_code(exc)
    finally:
        node.close()
    print(json.dumps(status, indent=2))
    return code


def cmd_rollback(config: Config, height: int) -> int:
    """Undo blocks above ``height`` in the existing store; needs no node."""
    with open_existing(config) as store:
        tip = store.rollback_to(height)
    print(json.dumps({"height": tip.height if tip else None}))
    return Exit.OK


def cmd_verify(config: Config, shutdown: Shutdown) -> int:
    """Re-derive every state hash from the node and compare with the live store's."""
    with open_reader(store_config(config)) as reader:
        tip = reader.tip()
        if tip is None:
            print("verify: the store is empty; nothing to compare", file=sys.stderr)
            return Exit.FAILED
        with reader.read() as view:
            # A store imported from a snapshot holds blocks from the snapshot's height on;
            # the scratch store re-derives the whole chain, so those heights are compared.
            first = view.first_block_height()
            base = config.start_height if first is None else first
            live = {h: view.block(h) for h in range(base, tip.height + 1)}
    with (
        tempfile.TemporaryDirectory(prefix="rootstate-verify-") as scratch_dir,
        opened(
            config,
            Path(scratch_dir),
            watch=lambda node: shutdown.on_stop(node.interrupt),
            catch_up=True,
        ) as (node, store),
        closing(Progress()) as progress,
    ):
        follower(config, store, node, progress).catch_up(shutdown.requested, until=tip.height)
        if shutdown.requested.is_set():
            raise StopRequestedError("verify stopped before it compared every block")
        with store.read() as view:
            for height, record in sorted(live.items()):
                fresh = view.block(height)
                if record is None or fresh is None or fresh.state_hash != record.state_hash:
                    print(f"verify: state hash differs at height {height:,}")
                    return Exit.FAILED
    since = "" if base == config.start_height else f" (from {base:,}, the snapshot's height)"
    print(f"verify: {len(live):,} state hashes match up to height {tip.height:,}{since}")
    return Exit.OK
