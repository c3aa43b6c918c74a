"""The `rootstate` command against a real btcd and a real store: status, rollback (which needs
no node), verify, stop requests that wake idle waits, ZMQ in `run`, the node's chain checked
against `--network`, and rejected credentials."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from cli.exits import Exit
from cli.main import main
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.mining import Miner
from regtest.node import NodeInfo, RegtestNode, free_loopback_ports
from regtest.payloads import deploy_open, message
from regtest.wallet import Wallet
from tests.cli.test_process import ROOTSTATE, stop_quietly, wait_for_log
from tests.regtest.conftest import require_binary
from tests.regtest.e2e import LocalIndexer, module_node, store_tip, wait_for_height

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


def _process(
    info: NodeInfo, data_dir: Path, *args: str, password: str | None = None, rpc_url: str = ""
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ROOTSTATE_RPC_USER": info.rpc_user,
        "ROOTSTATE_RPC_PASSWORD": password or info.rpc_password,
    }
    argv = [
        *ROOTSTATE,
        *args,
        f"--data-dir={data_dir}",
        f"--rpc-url={rpc_url or info.rpc_url}",
    ]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("command", ["index", "run"])
def test_sigterm_wakes_an_idle_indexer_at_once(
    chain: tuple[RegtestNode, NodeRpc], tmp_path: Path, command: str
) -> None:
    node, rpc = chain
    (api_port,) = free_loopback_ports(1)
    flags = ("--network=regtest", "--poll-seconds=60", f"--api-port={api_port}")
    process = _process(node.info, tmp_path, command, *flags)
    try:
        wait_for_height(tmp_path, rpc.block_count(), timeout=60)
        time.sleep(0.5)  # into the 60 s wait for the next tip
        stop_quietly(process)
    finally:
        process.kill()


def test_run_follows_zmq_hashblock(chain: tuple[RegtestNode, NodeRpc], tmp_path: Path) -> None:
    """btcd publishes no ZMQ, so the test publishes ``hashblock`` as Bitcoin Core does; with
    a 60 s poll only the notification can make ``run`` see the new block in time."""
    node, rpc = chain
    api_port, zmq_port = free_loopback_ports(2)
    publisher: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.PUB)
    publisher.bind(f"tcp://127.0.0.1:{zmq_port}")
    flags = ("--network=regtest", "--poll-seconds=60", f"--zmq-url=tcp://127.0.0.1:{zmq_port}")
    process = _process(node.info, tmp_path, "run", *flags, f"--api-port={api_port}")
    try:
        wait_for_log(process, "listening for hashblock")
        wait_for_height(tmp_path, rpc.block_count(), timeout=60)
        time.sleep(0.5)  # into the 60 s wait
        Miner(rpc, b"\x51").mine(1)
        new_tip = bytes.fromhex(rpc.best_block_hash())
        deadline = time.monotonic() + 20
        while True:
            # A subscriber may miss the first messages after it connects: repeat, as
            # Core does with every new block.
            publisher.send_multipart([b"hashblock", new_tip, (0).to_bytes(4, "little")])
            tip = store_tip(tmp_path)
            if tip is not None and tip.block_hash[::-1] == new_tip:
                break
            assert time.monotonic() < deadline, "run did not index the announced block"
            time.sleep(0.2)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
        publisher.close(linger=0)
    assert process.returncode == Exit.OK, err


@pytest.mark.parametrize("command", ["index", "run"])
def test_a_node_on_another_chain_stops_before_any_store(
    chain: tuple[RegtestNode, NodeRpc], tmp_path: Path, command: str
) -> None:
    node, _ = chain
    (api_port,) = free_loopback_ports(1)
    process = _process(node.info, tmp_path, command, "--network=signet", f"--api-port={api_port}")
    _, err = process.communicate(timeout=60)
    assert process.returncode == Exit.WRONG_CHAIN, err
    assert "is on chain 'regtest', but network is signet: set --network regtest" in err
    assert list(tmp_path.iterdir()) == []


def test_rejected_credentials_have_their_own_exit_code(
    chain: tuple[RegtestNode, NodeRpc], tmp_path: Path
) -> None:
    node, _ = chain
    for command in ("index", "status"):
        process = _process(node.info, tmp_path, command, "--network=regtest", password="wrong")
        out, err = process.communicate(timeout=60)
        assert process.returncode == Exit.NODE_AUTH, (command, out, err)
        assert "rejected the RPC credentials" in out + err
        assert "wrong" not in out + err  # the password is never echoed


def test_rollback_needs_no_node(chain: tuple[RegtestNode, NodeRpc], tmp_path: Path) -> None:
    node, rpc = chain
    with LocalIndexer(node.info, tmp_path) as indexer:
        height = indexer.catch_up().height
    (nothing,) = free_loopback_ports(1)
    process = _process(
        node.info,
        tmp_path,
        "rollback",
        f"--to={height - 1}",
        "--network=regtest",
        rpc_url=f"http://127.0.0.1:{nothing}",
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == Exit.OK, err
    assert json.loads(out) == {"height": height - 1}
    tip = store_tip(tmp_path)
    assert tip is not None and tip.height == height - 1
    assert tip.block_hash[::-1].hex() == rpc.block_hash(height - 1)
    # Another network's name on the same data dir finds no store and creates none.
    process = _process(node.info, tmp_path, "rollback", "--to=1", "--network=signet")
    _, err = process.communicate(timeout=60)
    assert process.returncode == Exit.NO_STORE, err
    assert not (tmp_path / "signet").exists()


def test_status_names_the_networks_in_words_when_the_node_is_on_another_chain(
    chain: tuple[RegtestNode, NodeRpc], tmp_path: Path
) -> None:
    """The same sentence as index's refusal, with network names as the user types them."""
    node, _ = chain
    process = _process(node.info, tmp_path, "status", "--network=signet")
    out, err = process.communicate(timeout=60)
    assert process.returncode == Exit.WRONG_CHAIN, err
    said = json.loads(out)["node_error"]
    assert "is on chain 'regtest', but network is signet: set --network regtest" in said
    assert "Network." not in out + err
