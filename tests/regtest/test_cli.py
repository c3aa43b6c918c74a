"""`rootstate status`, `rollback` and `verify` against a real btcd and a real store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.mining import Miner
from regtest.node import NodeInfo, RegtestNode
from regtest.payloads import deploy_open, message
from regtest.wallet import Wallet
from tests.regtest.conftest import require_binary
from tests.regtest.e2e import LocalIndexer, module_node, store_tip

pytestmark = pytest.mark.regtest


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RegtestNode, NodeRpc]]:
    """A node whose chain holds a deploy and a few blocks after it."""
    require_binary(NodeKind.BTCD)
    with module_node(NodeKind.BTCD, tmp_path_factory, "cli") as node:
        rpc = NodeRpc.connect(node.info)
        wallet = Wallet(rpc, Key.derive("cli"))
        wallet.fund()
        deploy = wallet.op_return(message(deploy_open("CLI", 10**6, 100, 10)))
        wallet.mine([deploy])
        Miner(rpc, b"\x51").mine(3)
        yield node, rpc
        rpc.close()


def _cli(info: NodeInfo, data_dir: Path, *args: str) -> list[str]:
    return [
        "--network=regtest",
        f"--data-dir={data_dir}",
        f"--rpc-url={info.rpc_url}",
        f"--rpc-user={info.rpc_user}",
        f"--rpc-password={info.rpc_password}",
        *args,
    ]


def _index(info: NodeInfo, data_dir: Path) -> int:
    with LocalIndexer(info, data_dir) as indexer:
        return indexer.catch_up().height


def test_status_reports_store_and_node(
    chain: tuple[RegtestNode, NodeRpc], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node, rpc = chain
    height = _index(node.info, tmp_path)
    assert main(_cli(node.info, tmp_path, "status")) == 0
    status = json.loads(capsys.readouterr().out)
    tip = store_tip(tmp_path)
    assert tip is not None
    assert status["indexed_height"] == height == rpc.block_count()
    assert status["node_height"] == height
    assert status["indexed_hash"] == rpc.block_hash(height)
    assert status["state_hash"] == tip.state_hash.hex()


def test_rollback_then_verify_then_a_divergent_node(
    chain: tuple[RegtestNode, NodeRpc], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node, rpc = chain
    height = _index(node.info, tmp_path)
    before = store_tip(tmp_path)

    assert main(_cli(node.info, tmp_path, "rollback", f"--to={height - 2}")) == 0
    assert json.loads(capsys.readouterr().out) == {"height": height - 2}
    rolled = store_tip(tmp_path)
    assert rolled is not None and rolled.height == height - 2

    assert _index(node.info, tmp_path) == height
    assert store_tip(tmp_path) == before  # the same blocks give the same state hash

    assert main(_cli(node.info, tmp_path, "verify")) == 0
    assert f"state hashes match up to height {height:,}" in capsys.readouterr().out

    # The node moves to another branch the store has not followed: verify must say so.
    Miner(rpc, b"\x51").reorg(1)
    assert main(_cli(node.info, tmp_path, "verify")) == 1
    assert f"state hash differs at height {height:,}" in capsys.readouterr().out


def test_rollback_refuses_heights_the_store_does_not_hold(
    chain: tuple[RegtestNode, NodeRpc], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node, _ = chain
    height = _index(node.info, tmp_path)
    assert main(_cli(node.info, tmp_path, "rollback", f"--to={height + 5}")) == 1
    assert "cannot roll back to height" in capsys.readouterr().err
    tip = store_tip(tmp_path)
    assert tip is not None and tip.height == height


def test_bad_configuration_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--network=regtest", "--prefetch=0", "status"]) == 2
    assert "setting prefetch=0 is invalid" in capsys.readouterr().err
