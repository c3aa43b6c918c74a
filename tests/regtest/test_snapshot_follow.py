"""A store imported from a snapshot follows a real btcd from the snapshot's block on, and
ends exactly where a store indexed from the activation height does."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.mining import Miner
from regtest.payloads import deploy_open, message, mint, token_of
from regtest.wallet import Wallet
from tests.regtest.conftest import require_binary
from tests.regtest.e2e import LocalIndexer, module_node, read_store
from tests.regtest.test_cli import _cli

pytestmark = pytest.mark.regtest


def test_an_imported_snapshot_follows_the_node(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    require_binary(NodeKind.BTCD)
    with module_node(NodeKind.BTCD, tmp_path_factory, "snapshot") as node:
        rpc = NodeRpc.connect(node.info)
        wallet = Wallet(rpc, Key.derive("snapshot"))
        wallet.fund()
        deploy = wallet.op_return(message(deploy_open("SNAP", 10**6, 100, 10)))
        wallet.mine([deploy])
        token = token_of(rpc, deploy)
        wallet.mine([wallet.op_return(message(mint(token)))])
        with LocalIndexer(node.info, tmp_path / "origin") as origin:
            exported_at = origin.catch_up().height
        snap = tmp_path / "tip.snapshot"
        assert main(_cli(node.info, tmp_path / "origin", "snapshot", "export", str(snap))) == 0
        replica_dir = tmp_path / "replica"
        imported = _cli(node.info, replica_dir, "snapshot", "import", str(snap), "--check-node")
        assert main(imported) == 0
        capsys.readouterr()

        # verify compares the heights the store holds (the snapshot's on), re-derived from
        # the node; rollback below the snapshot says why it cannot, not "too deep a reorg".
        assert main(_cli(node.info, replica_dir, "verify")) == 0
        said = capsys.readouterr()
        assert (
            f"1 state hashes match up to height {exported_at:,} (from {exported_at:,}, "
            "the snapshot's height)" in said.out
        ), said
        assert main(_cli(node.info, replica_dir, "rollback", f"--to={exported_at - 1}")) == 3
        said = capsys.readouterr()
        assert f"imported from a snapshot of height {exported_at:,}" in said.err, said
        assert "undo depth" not in said.err

        # The chain moves on: more protocol activity after the snapshot's block.
        wallet.mine([wallet.op_return(message(mint(token)))])
        Miner(rpc, b"\x51").mine(2)
        with LocalIndexer(node.info, tmp_path / "origin") as origin:
            origin_tip = origin.catch_up()
        with LocalIndexer(node.info, replica_dir) as replica:
            replica_tip = replica.catch_up()
        rpc.close()
    assert replica_tip == origin_tip and origin_tip.height == exported_at + 3
    with (
        read_store(tmp_path / "origin") as a,
        read_store(replica_dir) as b,
        a.read() as left,
        b.read() as right,
    ):
        assert list(right.state_items()) == list(left.state_items())
        assert list(right.tree_items()) == list(left.tree_items())
        for height in range(exported_at, origin_tip.height + 1):
            assert right.block(height) == left.block(height)
        assert right.block(exported_at - 1) is None  # no history before the snapshot
