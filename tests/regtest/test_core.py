"""What Bitcoin Core offers that btcd does not, end to end with a real Core node.

ZMQ ``hashblock`` and ``rawblock`` wake a follower that would otherwise sleep a long poll;
blocks come over Core's binary REST, byte for byte what ``getblock`` serves; the indexer
authenticates with Core's cookie and keeps following when a restarted Core writes a new one;
and reorgs that Core makes itself (``invalidateblock``, ``reconsiderblock``) leave the store
equal to a fresh index of the chain Core ends on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from indexer import rest_fetch
from indexer.node_thread import NodeThread
from indexer.runtime import node_settings
from indexer.tip_signal import TipSignal
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind, RpcAuth
from regtest.mining import Miner
from regtest.node import NodeConfig, RegtestNode, free_loopback_ports
from regtest.payloads import deploy_open, message, mint, token_of
from regtest.scene import Scene
from regtest.wallet import Wallet
from tests.regtest.conftest import ANYONE_CAN_SPEND, require_binary
from tests.regtest.e2e import LocalIndexer, fresh_index, indexer_config, snapshot, wait_until

pytestmark = pytest.mark.regtest

#: Long enough that only a ZMQ notification can explain a block indexed within seconds.
LONG_POLL_SECONDS = 60.0
ZMQ_DEADLINE_SECONDS = 15.0


@dataclass
class Core:
    node: RegtestNode
    #: Topic -> the endpoint Core publishes it on.
    zmq: dict[str, str]

    def rpc(self) -> NodeRpc:
        return NodeRpc.connect(self.node.info)


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Core]:
    """One Core node for the module: cookie authentication, REST, both ZMQ block topics."""
    require_binary(NodeKind.BITCOIND)
    hash_port, raw_port = free_loopback_ports(2)
    zmq = {
        "hashblock": f"tcp://127.0.0.1:{hash_port}",
        "rawblock": f"tcp://127.0.0.1:{raw_port}",
    }
    config = NodeConfig(
        NodeKind.BITCOIND,
        workdir=tmp_path_factory.mktemp("core"),
        auth=RpcAuth.COOKIE,
        extra_args=(f"-zmqpubhashblock={zmq['hashblock']}", f"-zmqpubrawblock={zmq['rawblock']}"),
    )
    node = RegtestNode(config)
    node.start()
    try:
        rpc = NodeRpc.connect(node.info)
        Miner(rpc, ANYONE_CAN_SPEND).mine(3)
        rpc.close()
        yield Core(node, zmq)
    finally:
        node.stop()


def cookie_indexer(core: Core, data_dir: Path, **settings: Any) -> LocalIndexer:
    """The indexer authenticating with Core's cookie file only (no user, no password)."""
    info = core.node.info
    assert info.cookie_path is not None
    return LocalIndexer(info, data_dir, rpc_cookie_file=info.cookie_path, **settings)


@pytest.mark.parametrize("topic", ["hashblock", "rawblock"])
def test_a_zmq_block_notification_wakes_the_follower(
    core: Core, topic: str, tmp_path: Path
) -> None:
    rpc = core.rpc()
    signal = TipSignal(core.zmq[topic])
    try:
        with cookie_indexer(core, tmp_path, poll_seconds=LONG_POLL_SECONDS) as indexer:
            indexer.start_following(signal)
            indexer.wait_for(rpc.best_block_hash())
            # The follower now sleeps in its poll; only the notification can wake it.
            (block,) = Miner(rpc, ANYONE_CAN_SPEND).mine()
            indexer.wait_for(block.hash_hex, timeout=ZMQ_DEADLINE_SECONDS)
            indexer.stop_following()
    finally:
        signal.close()
        rpc.close()


def test_blocks_over_rest_are_the_bytes_getblock_serves(
    core: Core, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    info = core.node.info
    rpc = core.rpc()
    try:
        tip = rpc.block_count()
        expected = [bytes.fromhex(rpc.block_hex(rpc.block_hash(h))) for h in range(1, tip + 1)]
        for rest in ("on", "auto"):
            settings = node_settings(
                indexer_config(info, tmp_path, rpc_cookie_file=info.cookie_path, rest=rest)
            )
            with caplog.at_level(logging.INFO, logger="indexer.node"), NodeThread(settings) as node:
                assert [raw for _, _, raw in node.blocks(1, tip, 4)] == expected
        assert "node REST interface in use" in caplog.text  # "auto" found it
    finally:
        rpc.close()


def test_the_fetch_process_rest_client_hashes_batches_of_headers(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """indexer.rest_fetch: one request per block, its hash from headers asked in batches
    (here 2 at a time, so that 3 or more blocks cross a batch boundary), the hash and bytes
    what getblockhash and getblock serve; past the tip, None (the caller asks JSON-RPC)."""
    monkeypatch.setattr(rest_fetch, "HEADERS_PER_REQUEST", 2)
    rpc = core.rpc()
    try:
        tip = rpc.block_count()
        hashes = [rpc.block_hash(h) for h in range(1, tip + 1)]
        expected = [(bytes.fromhex(h)[::-1], bytes.fromhex(rpc.block_hex(h))) for h in hashes]
    finally:
        rpc.close()
    assert tip >= 3
    rest = rest_fetch.RestBlocks(core.node.info.rpc_url, 30.0, 2)
    paths: list[str] = []
    get = rest._get

    def counted(path: str) -> bytes | None:
        paths.append(path)
        return get(path)

    monkeypatch.setattr(rest, "_get", counted)
    try:
        assert [rest.block_at(h, tip) for h in range(1, tip + 1)] == expected
        assert sum("/rest/block/" in p for p in paths) == tip
        assert sum("/rest/headers/" in p for p in paths) == (tip + 1) // 2
        assert rest.block_at(tip + 1, tip + 5) is None
    finally:
        rest.close()


def test_following_continues_when_a_restarted_core_writes_a_new_cookie(
    core: Core, tmp_path: Path
) -> None:
    rpc = core.rpc()
    try:
        with cookie_indexer(core, tmp_path) as indexer:
            indexer.start_following()
            indexer.wait_for(rpc.best_block_hash())
            old_cookie = core.node.info.cookie_path.read_text()  # type: ignore[union-attr]
            rpc.close()
            core.node.stop()
            core.node.start()  # same data directory and ports; a new cookie
            rpc = core.rpc()
            assert core.node.info.cookie_path.read_text() != old_cookie  # type: ignore[union-attr]
            (block,) = Miner(rpc, ANYONE_CAN_SPEND).mine()
            indexer.wait_for(block.hash_hex)
            indexer.stop_following()
    finally:
        rpc.close()


def test_invalidateblock_and_reconsiderblock_reorgs(core: Core, tmp_path: Path) -> None:
    """Core drops our tip branch for a shorter one, then takes it back: each time the store
    ends equal to a fresh index of Core's chain, state hashes included."""
    rpc = core.rpc()
    try:
        alice = Wallet(rpc, Key.derive("core-alice"))
        bob = Wallet(rpc, Key.derive("core-bob"))
        alice.fund(1)
        scene = Scene(rpc, alice, [bob])
        deploy = scene.add(alice.op_return(message(deploy_open("CORE", 10**9, 1_000, 10**6))))
        scene.mine()
        token = token_of(rpc, deploy)
        with cookie_indexer(core, tmp_path / "following") as indexer:
            indexer.start_following()
            # Branch A: a mint, then two empty blocks.
            scene.add(alice.op_return(message(mint(token))))
            first_a = scene.mine()
            Miner(rpc, ANYONE_CAN_SPEND).mine(2)
            tip_a = rpc.best_block_hash()
            indexer.wait_for(tip_a)

            # Core invalidates A; branch B is shorter and holds no mint.
            rpc.call("invalidateblock", first_a.hash_hex)
            branch_b = Miner(rpc, ANYONE_CAN_SPEND).mine(2)
            tip = indexer.wait_for(branch_b[-1].hash_hex)
            assert indexer.follower.stats.reorgs == 1
            with indexer.store.read() as view:
                assert snapshot(view) == fresh_index(core.node.info, tmp_path / "b", tip.height)

            # Core reconsiders A, which has more work: it switches back.
            rpc.call("reconsiderblock", first_a.hash_hex)
            wait_until(lambda: rpc.best_block_hash() == tip_a, 30, "Core to return to branch A")
            tip = indexer.wait_for(tip_a)
            assert indexer.follower.stats.reorgs == 2
            with indexer.store.read() as view:
                assert snapshot(view) == fresh_index(core.node.info, tmp_path / "a", tip.height)
            indexer.stop_following()
    finally:
        rpc.close()
