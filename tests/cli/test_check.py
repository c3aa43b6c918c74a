"""``rootstate check`` against the ``rootstate serve`` processes of tests/cli/conftest.py:
honest A and B, a careful liar C with its own root, a lazy liar D with the honest root."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from regtest.node import free_loopback_ports
from tests.api.world import ALICE, DAVE, World, address, build_world
from tests.cli.test_serve import ROOTSTATE, serve, wait_until_serving


def check(urls: list[str], target: str) -> subprocess.CompletedProcess[str]:
    flags = [url if url.startswith("--") else f"--indexer={url}" for url in urls]
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
    empty = check([urls["A"], urls["B"]], address(DAVE))
    assert empty.returncode == 0, empty.stderr
    assert "no indexer lists an outpoint holding assets" in empty.stdout


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


def _lagging(base: Path) -> tuple[World, subprocess.Popen[str], str]:
    """An honest indexer one block behind the others: its store holds blocks 1-3 of the
    same chain, served while this process may still write block 4 into it."""
    world = build_world(base / "regtest")
    world.store.rollback_to(3)
    api_port, rpc_port = free_loopback_ports(2)
    process = serve(base, api_port, rpc_port)
    url = f"http://127.0.0.1:{api_port}"
    wait_until_serving(url)
    return world, process, url


def test_indexers_a_block_apart_agree_once_the_one_behind_catches_up(
    indexers: dict[str, object], tmp_path: Path
) -> None:
    """The lagging indexer is never asked for a block it has not indexed: the check waits
    for it to reach the other's tip, then verifies there."""
    urls: dict[str, str] = indexers["urls"]  # type: ignore[assignment]
    world, process, behind = _lagging(tmp_path)
    try:
        flags = [f"--indexer={urls['A']}", f"--indexer={behind}", "--wait=60"]
        checking = subprocess.Popen(
            [*ROOTSTATE, "check", *flags, str(indexers["outpoint"])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)  # the check has started and found the second indexer at height 3
        world.chain.height = 3
        world.chain.block(world.txs["F"], world.txs["G"], world.txs["H"])
        out, err = checking.communicate(timeout=90)
        assert checking.returncode == 0, err
        assert "verified against height 4" in out
        assert f"{indexers['outpoint']}: 700 base units of 1:1 (ROOT, 2 decimals)" in out
    finally:
        world.store.close()
        process.terminate()
        process.communicate(timeout=30)


def test_an_indexer_that_stays_behind_is_named_with_its_height(
    indexers: dict[str, object], tmp_path: Path
) -> None:
    urls: dict[str, str] = indexers["urls"]  # type: ignore[assignment]
    world, process, behind = _lagging(tmp_path)
    try:
        done = check([urls["A"], behind, "--wait=1"], str(indexers["outpoint"]))
    finally:
        world.store.close()
        process.terminate()
        process.communicate(timeout=30)
    assert done.returncode == 1 and "verified" not in done.stdout
    assert f"{urls['A']} at 4, {behind} at 3" in done.stderr
    assert "/v1/blocks/" not in done.stderr  # it asked nobody for a block it lacks
