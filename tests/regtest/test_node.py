"""Starting, querying and stopping real regtest nodes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from regtest.client import NodeRpc
from regtest.launch import NodeKind, RpcAuth
from regtest.mining import Miner
from regtest.node import NodeConfig, NodeInfo, NodeStartError, RegtestNode
from regtest.rpc import RpcClient, RpcError, RpcTransportError
from tests.regtest.conftest import require_binary

pytestmark = pytest.mark.regtest


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_node_answers_on_loopback_with_the_regtest_chain(regtest_node: NodeInfo) -> None:
    assert regtest_node.rpc_url.startswith("http://127.0.0.1:")
    with regtest_node.rpc() as rpc:
        info = rpc.call("getblockchaininfo")
    assert info["chain"] == "regtest"
    assert regtest_node.log_path.is_file()
    assert _port_open(regtest_node.p2p_port)


def test_taproot_is_enforced_for_the_next_block(node_rpc: NodeRpc) -> None:
    assert node_rpc.taproot_active()


def test_wrong_password_is_refused(regtest_node: NodeInfo) -> None:
    with (
        RpcClient(regtest_node.rpc_url, regtest_node.rpc_user, "wrong") as rpc,
        pytest.raises(RpcTransportError, match="401"),
    ):
        rpc.call("getblockcount")


def test_unknown_method_is_an_rpc_error(node_rpc: NodeRpc) -> None:
    with pytest.raises(RpcError) as caught:
        node_rpc.call("no_such_method")
    assert caught.value.code == -32601


def test_stop_ends_the_process_and_frees_the_port(node_kind: NodeKind, tmp_path: Path) -> None:
    node = RegtestNode(NodeConfig(node_kind, workdir=tmp_path))
    info = node.start()
    rpc_port = int(info.rpc_url.rsplit(":", 1)[1])
    assert _port_open(rpc_port)
    node.stop()
    assert not node.running
    assert not _port_open(rpc_port)
    # A workdir the caller chose is kept, logs included.
    assert info.log_path.is_file()


def test_temporary_workdir_is_removed_after_a_clean_stop(node_kind: NodeKind) -> None:
    with RegtestNode(NodeConfig(node_kind)) as info:
        workdir = info.datadir.parent
        assert workdir.is_dir()
    assert not workdir.exists()


def test_failed_start_reports_the_node_output(node_kind: NodeKind, tmp_path: Path) -> None:
    bogus = "--no-such-option" if node_kind is NodeKind.BTCD else "-no-such-option"
    node = RegtestNode(NodeConfig(node_kind, workdir=tmp_path, extra_args=(bogus,)))
    with pytest.raises(NodeStartError, match="no-such-option") as caught:
        node.start()
    assert "exited during startup" in str(caught.value)
    assert not node.running


def test_restart_on_the_same_workdir(node_kind: NodeKind, tmp_path: Path) -> None:
    """bitcoind keeps its chain across restarts; btcd deletes its regtest database on start.

    Tests that restart something must restart the indexer, not a btcd node.
    """
    with RegtestNode(NodeConfig(node_kind, workdir=tmp_path)) as info:
        node = NodeRpc.connect(info)
        genesis = node.block_hash(0)
        tip = Miner(node, b"\x51").mine(3)[-1]
        node.close()
    with RegtestNode(NodeConfig(node_kind, workdir=tmp_path)) as info:
        node = NodeRpc.connect(info)
        expected = genesis if node_kind is NodeKind.BTCD else tip.hash_hex
        assert node.best_block_hash() == expected
        node.close()


def test_start_after_stop_comes_back_on_the_same_ports(node_kind: NodeKind, tmp_path: Path) -> None:
    node = RegtestNode(NodeConfig(node_kind, workdir=tmp_path))
    first = node.start()
    node.stop()
    second = node.start()
    try:
        assert (second.rpc_url, second.p2p_port) == (first.rpc_url, first.p2p_port)
        with second.rpc() as rpc:
            assert rpc.call("getblockcount") >= 0
    finally:
        node.stop()


def test_bitcoind_cookie_authentication(tmp_path: Path) -> None:
    require_binary(NodeKind.BITCOIND)
    config = NodeConfig(NodeKind.BITCOIND, workdir=tmp_path, auth=RpcAuth.COOKIE)
    with RegtestNode(config) as info:
        assert info.rpc_user == "__cookie__"
        assert info.cookie_path is not None
        with info.rpc() as rpc:
            assert rpc.call("getblockcount") == 0


def test_btcd_refuses_cookie_authentication() -> None:
    with pytest.raises(ValueError, match="cookie"):
        NodeConfig(NodeKind.BTCD, auth=RpcAuth.COOKIE)
