"""Four ``rootstate serve`` processes over stores built independently from the same blocks.

A and B are honest; C is a careful liar that rewrote an outpoint's record and then recomputed
its tree, root and state hash, so its proofs verify against its own root; D is a lazy liar
that rewrote the record alone, so it reports the honest root but its proof cannot match it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.store_schema import META_TIP, Tip, encode_block, encode_tip, height_key
from indexer.store_view import PinnedTxn, StoreView
from protocol.events import state_hash
from protocol.records import UtxoAssets
from protocol.tree import update
from regtest.node import free_loopback_ports
from tests.api.world import build_world, point, small_store
from tests.cli.test_serve import serve, wait_until_serving

ROOT_TOKEN = (1).to_bytes(4, "big") + (1).to_bytes(4, "big")
FORGED = UtxoAssets(((ROOT_TOKEN, 7_000),)).encode()


def forge(path: Path, key: bytes, *, recompute: bool) -> None:
    """Rewrite the state value under ``key``; with ``recompute``, also the tree, the tip's
    block record (root, state hash) and the tip, as a careful liar would."""
    with small_store(path) as store, store._env.begin(write=True) as txn:
        dbs = store._dbs
        view = StoreView(PinnedTxn(txn), dbs)
        txn.put(key, FORGED, db=dbs.state)
        if not recompute:
            return
        for position, node in update(view, [(key, FORGED)]).writes:
            assert node is not None
            txn.put(position, node, db=dbs.tree)
        tip = view.tip()
        assert tip is not None
        block, before = view.block(tip.height), view.block(tip.height - 1)
        assert block is not None and before is not None
        root = update(view, []).root
        forged_hash = state_hash(before.state_hash, block.block_hash, block.events_hash, root)
        record = dataclasses.replace(block, state_root=root, state_hash=forged_hash)
        txn.put(height_key(tip.height), encode_block(record), db=dbs.blocks)
        txn.put(META_TIP, encode_tip(Tip(tip.height, block.block_hash, forged_hash)), db=dbs.meta)


@pytest.fixture(scope="session")
def indexers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    base = tmp_path_factory.mktemp("check")
    worlds = {name: build_world(base / name / "regtest") for name in "ABCD"}
    outpoint = point(worlds["A"].txs["E"], 1)  # ALICE's 700 ROOT
    txid, vout = outpoint.split(":")
    key = b"\x01" + bytes.fromhex(txid)[::-1] + int(vout).to_bytes(4, "big")
    for world in worlds.values():
        world.store.close()
    forge(base / "C" / "regtest", key, recompute=True)
    forge(base / "D" / "regtest", key, recompute=False)
    *api_ports, rpc_port = free_loopback_ports(len(worlds) + 1)  # no node listens on rpc_port
    served = dict(zip(worlds, api_ports, strict=True))
    processes = [serve(base / name, port, rpc_port) for name, port in served.items()]
    urls = {name: f"http://127.0.0.1:{port}" for name, port in served.items()}
    try:
        for url in urls.values():
            wait_until_serving(url)
        yield {"urls": urls, "outpoint": outpoint, "base": base}
    finally:
        for process in processes:
            process.terminate()
            process.communicate(timeout=30)
