"""``rootstate snapshot export`` and ``import`` as commands, checked against the serving
indexers of tests/cli/conftest.py; the imported replica then agrees with them under
``rootstate check``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from cli.exits import Exit
from regtest.node import free_loopback_ports
from tests.cli.test_check import check
from tests.cli.test_serve import ROOTSTATE, serve, wait_until_serving


def rootstate(data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    # The configuration always names a node; only --check-node would talk to it.
    env = {**os.environ, "ROOTSTATE_RPC_USER": "u", "ROOTSTATE_RPC_PASSWORD": "p"}
    return subprocess.run(
        [*ROOTSTATE, "--network=regtest", f"--data-dir={data_dir}", *argv],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_import_and_the_replica_agrees(indexers: dict[str, object], tmp_path: Path) -> None:
    urls: dict[str, str] = indexers["urls"]  # type: ignore[assignment]
    base: Path = indexers["base"]  # type: ignore[assignment]
    snap = tmp_path / "a.snapshot"
    exported = rootstate(base / "A", "snapshot", "export", str(snap))
    assert exported.returncode == 0, exported.stderr
    assert "at height 4" in exported.stdout

    liar = rootstate(
        tmp_path / "refused", "snapshot", "import", str(snap), f"--indexer={urls['C']}"
    )
    assert liar.returncode == 1
    assert f"indexer {urls['C']} reports state_hash" in liar.stderr
    assert not (tmp_path / "refused" / "regtest").exists()

    flags = [f"--indexer={urls['A']}", f"--indexer={urls['B']}"]
    imported = rootstate(tmp_path / "replica", "snapshot", "import", str(snap), *flags)
    assert imported.returncode == 0, imported.stderr
    assert "recomputed and matching" in imported.stdout
    again = rootstate(tmp_path / "replica", "snapshot", "import", str(snap))
    assert again.returncode == 1 and "already exists" in again.stderr

    api_port, rpc_port = free_loopback_ports(2)
    process = serve(tmp_path / "replica", api_port, rpc_port)
    replica = f"http://127.0.0.1:{api_port}"
    try:
        wait_until_serving(replica)
        done = check([urls["A"], replica, urls["B"]], str(indexers["outpoint"]))
        assert done.returncode == 0, done.stderr
        assert "700 base units of 1:1 (ROOT, 2 decimals)" in done.stdout
        assert httpx.get(f"{replica}/v1/tokens/ROOT").json()["supply"] == "1900"
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_an_empty_store_has_nothing_to_export(tmp_path: Path) -> None:
    done = rootstate(tmp_path, "snapshot", "export", str(tmp_path / "x.snapshot"))
    assert done.returncode == Exit.NO_STORE
    assert "no store at" in done.stderr
