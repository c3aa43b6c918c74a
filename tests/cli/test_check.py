"""``rootstate check`` against ``rootstate serve`` processes over independently built stores.

Four stores are built from the same blocks, each through its own machine: A and B are
honest; C is a careful liar that rewrote an outpoint's record and then recomputed its tree,
root and state hash, so its proofs verify against its own root; D is a lazy liar that
rewrote the record alone, so it reports the honest root but its proof cannot match it.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from indexer.store_schema import META_TIP, Tip, encode_block, encode_tip, height_key
from indexer.store_view import PinnedTxn, StoreView
from protocol.events import state_hash
from protocol.records import UtxoAssets
from protocol.tree import update
from regtest.node import free_loopback_ports
from tests.api.world import ALICE, address, build_world, point, small_store
from tests.cli.test_serve import ROOTSTATE, serve

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


@pytest.fixture(scope="module")
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
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "rootstate serve did not come up"
                time.sleep(0.05)
        yield {"urls": urls, "outpoint": outpoint}
    finally:
        for process in processes:
            process.terminate()
            process.communicate(timeout=30)


def check(urls: list[str], target: str) -> subprocess.CompletedProcess[str]:
    flags = [f"--indexer={url}" for url in urls]
    return subprocess.run(
        [*ROOTSTATE, "check", *flags, target],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_honest_indexers_agree_and_the_outpoint_is_verified(indexers: dict[str, object]) -> None:
    urls: dict[str, str] = indexers["urls"]  # type: ignore[assignment]
    done = check([urls["A"], urls["B"]], str(indexers["outpoint"]))
    assert done.returncode == 0, done.stderr
    assert "verified against height 4" in done.stdout
    assert f"{indexers['outpoint']}: 700 base units of 1:1 (ROOT, 2 decimals)" in done.stdout


def test_an_address_is_verified_outpoint_by_outpoint(indexers: dict[str, object]) -> None:
    urls: dict[str, str] = indexers["urls"]  # type: ignore[assignment]
    done = check([urls["A"], urls["B"]], address(ALICE))
    assert done.returncode == 0, done.stderr
    assert "total: 700 base units of 1:1 (ROOT, 2 decimals), 500 base units of 3:1" in done.stdout
    assert "authority of 3:1" in done.stdout
    assert "that the address has no others is not" in done.stdout


def test_a_liar_with_its_own_root_is_outvoted_by_name(indexers: dict[str, object]) -> None:
    urls: dict[str, str] = indexers["urls"]  # type: ignore[assignment]
    done = check([urls["A"], urls["B"], urls["C"]], str(indexers["outpoint"]))
    assert done.returncode == 1
    assert "verified" not in done.stdout
    assert "the indexers disagree at height 4" in done.stderr
    disagreeing = [line for line in done.stderr.splitlines() if urls["C"] in line]
    assert len(disagreeing) == 1 and urls["A"] not in disagreeing[0]


def test_a_liar_whose_proof_cannot_match_the_root_is_named(indexers: dict[str, object]) -> None:
    urls: dict[str, str] = indexers["urls"]  # type: ignore[assignment]
    done = check([urls["A"], urls["D"], urls["B"]], str(indexers["outpoint"]))
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"indexer {urls['D']} sent a proof" in done.stderr
    assert "does not verify" in done.stderr


def test_an_unreachable_indexer_or_bad_target_is_refused(indexers: dict[str, object]) -> None:
    urls: dict[str, str] = indexers["urls"]  # type: ignore[assignment]
    dead = f"http://127.0.0.1:{free_loopback_ports(1)[0]}"
    done = check([urls["A"], dead], str(indexers["outpoint"]))
    assert done.returncode == 1 and f"indexer {dead} did not answer" in done.stderr
    bad = check([urls["A"]], "not-an-address")
    assert bad.returncode == 1 and "invalid_address" not in bad.stdout
    assert "400" in bad.stderr
