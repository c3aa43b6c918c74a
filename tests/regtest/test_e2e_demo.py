"""The README's quickstart: ``regtest/demo`` starts a node, the indexer and the API, makes
sample activity, and prints URLs that answer; SIGTERM stops all of it and leaves nothing
behind; ``--help`` answers before anything is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from regtest.launch import BINARY_ENV, NodeKind, find_binary
from tests.regtest.conftest import require_binary

pytestmark = pytest.mark.regtest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "regtest" / "demo"
URL = re.compile(r"http://127\.0\.0\.1:\d+/\S*")
WORKDIR = re.compile(r"\(log: (\S+)/rootstate\.log\)")


def test_demo_help_installs_nothing(tmp_path: Path) -> None:
    """In a copy of the checkout without .venv: the help (which says what --once does) and
    a mistyped option's error come before any installing."""
    for part in ("regtest", ".ci"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    demo = tmp_path / "regtest" / "demo"
    shown = subprocess.run(
        [str(demo), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: regtest/demo")
    assert "the URLs do not answer afterwards" in " ".join(shown.stdout.split())
    wrong = subprocess.run(
        [str(demo), "--onse"], capture_output=True, text=True, timeout=60, check=False
    )
    assert wrong.returncode == 2 and "unrecognized arguments: --onse" in wrong.stderr
    assert "installing" not in shown.stderr + wrong.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ci", "regtest"]


def test_demo_prints_urls_that_answer_and_stops_on_sigterm() -> None:
    """The default demo runs on Bitcoin Core, as most operators do."""
    require_binary(NodeKind.BITCOIND)
    core = find_binary(NodeKind.BITCOIND)
    # The documented way to name the node binary; `rootstate run` inherits it too.
    env = {**os.environ, BINARY_ENV[NodeKind.BITCOIND]: str(core)}
    demo = subprocess.Popen(
        [str(DEMO), "--exit-after", "300", "--mine-every", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert demo.stdout is not None
    lines: list[str] = []
    try:
        for line in demo.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Serving for"):
                break
        output = "\n".join(lines)
        assert lines and lines[-1].startswith("Serving for"), output
        urls = URL.findall(output.split("\nAPI ", 1)[1].split("\nSimulate ", 1)[0])
        tries = [line.split()[-1] for line in lines if line.strip().startswith("curl -s http")]
        assert len(tries) == 3 and set(tries) <= set(urls), output
        for url in urls:
            response = httpx.get(url, timeout=10)
            assert response.status_code == 200, (url, response.text)
            assert response.json(), url
        gold = httpx.get(tries[0], timeout=10).json()
        # The reorg replaced the 4,000 GOLD transfer with one of 1,500: carol holds 1,500.
        carol = httpx.get(tries[1], timeout=10).json()
        assert gold["ticker"] == "GOLD"
        assert [b["amount"] for b in carol["balances"] if b["ticker"] == "GOLD"] == ["1500"]
        status = httpx.get(urls[0], timeout=10).json()
        assert status["last_reorg"]["depth"] == 1
        _check_amm(lines, urls[0].removesuffix("/v1/status"))
        _check_printed_config(output, status)
        explorer = re.search(r"explorer  (http://\S+/) ", output)
        assert explorer and explorer.group(1) == urls[0].removesuffix("v1/status"), output
        page = httpx.get(explorer.group(1), timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    finally:
        # SIGTERM to the demo alone (a supervisor's stop, unlike a terminal's Ctrl-C that
        # reaches the whole group): it must stop `rootstate run` and the node itself.
        demo.terminate()
        rest, _ = demo.communicate(timeout=120)
    assert demo.returncode == 0, output + rest
    assert rest.rstrip().endswith("Stopped."), rest
    node_rpc = re.search(r"RPC (http://\S+)", output)
    workdir = WORKDIR.search(output)
    assert node_rpc and workdir, output
    assert not Path(workdir.group(1)).exists()  # the temporary directory is gone
    for gone in (urls[0], node_rpc.group(1)):  # so are the API and the node
        with pytest.raises(httpx.TransportError):
            httpx.get(gone, timeout=5)


def _check_printed_config(output: str, api_status: dict[str, object]) -> None:
    """The printed RPC auth is Core's cookie file, and the printed configuration file is
    ready: `rootstate --config FILE status` reaches the node and reads the demo's store."""
    cookie = re.search(r"RPC auth: cookie file (\S+)", output)
    assert cookie and Path(cookie.group(1)).read_text().startswith("__cookie__:"), output
    config = re.search(r"rootstate --config (\S+) status", output)
    assert config, output
    command = Path(sys.executable).with_name("rootstate")
    done = subprocess.run(
        [str(command), "--config", config.group(1), "status"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    indexed = api_status["indexed"]
    assert isinstance(indexed, dict)
    assert status["node_chain"] == "regtest" and status["node_height"] >= indexed["height"]
    assert status["indexed_height"] >= indexed["height"]


def _check_amm(lines: list[str], api: str) -> None:
    """The printed simulate request names the AMM and the trader, whose balances show the
    liquidity added and both swaps accepted: amounts worked out by hand from
    contracts/README.md (fee 30 bps, premines of 10^9, liquidity 10^6 USDX + 4*10^6 EURX)."""
    posts = [line.split() for line in lines if line.strip().startswith("curl -s -X POST")]
    assert len(posts) == 1, lines
    target, body = posts[0][-1], json.loads(posts[0][-2].strip("'"))
    amm = re.fullmatch(re.escape(api) + r"/v1/contracts/(\d+:\d+)/simulate", target)
    assert amm, target
    assert body["input"] == "02" + "01" + "00" * 15 + "00" * 4  # swap, min_out 1, vout 0
    assert [a["amount"] for a in body["assets"]] == ["5000"]
    trader = body["outputs"][0]["address"]
    # Swap 10,000 USDX: fee 30, out = floor(9,970 * 4,000,000 / 1,009,970) = 39,486.
    # Then 30,000 EURX: fee 90, reserves 1,010,000 / 3,960,514:
    # out = floor(29,910 * 1,010,000 / 3,990,424) = 7,570.
    assert 9_970 * 4_000_000 // 1_009_970 == 39_486
    assert 29_910 * 1_010_000 // (3_960_514 + 29_910) == 7_570
    usdx = 10**9 - 1_000_000 - 10_000 + 7_570
    eurx = 10**9 - 4_000_000 + 39_486 - 30_000
    balances = httpx.get(f"{api}/v1/addresses/{trader}/balances", timeout=10).json()["balances"]
    held = {b["ticker"]: b["amount"] for b in balances if b.get("ticker")}
    assert held == {"USDX": str(usdx), "EURX": str(eurx)}, balances
    # The printed request, sent: reserves are now 1,002,430 USDX (1,010,000 - 7,570) and
    # 3,990,514 EURX; 5,000 USDX pays a fee of 15, so out = floor(4,985 * 3,990,514 /
    # 1,007,415) = 19,746 EURX to output 0.
    assert 4_985 * 3_990_514 // (1_002_430 + 4_985) == 19_746
    simulated = httpx.post(target, json=body, timeout=30)
    assert simulated.status_code == 200, simulated.text
    answer = simulated.json()
    assert answer["accepted"] is True, answer
    assert [(c["vout"], c["amount"]) for c in answer["credits"]] == [(0, "19746")], answer


def test_demo_once_checks_its_urls_then_says_they_stop() -> None:
    """--node btcd keeps btcd: its node has a user and password, and the demo shows both."""
    require_binary(NodeKind.BTCD)
    demo = subprocess.run(
        [str(DEMO), "--once", "--node", "btcd"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "node      btcd regtest" in demo.stdout
    assert re.search(r"RPC auth: user rootstate, password [0-9a-f]{32}", demo.stdout)
    said = " ".join(demo.stdout.split())
    assert "--once: all 7 URLs above answered 200." in said
    assert "the URLs stop answering" in said
    urls = URL.findall(demo.stdout.split("\nAPI ", 1)[1].split("\nSimulate ", 1)[0])
    with pytest.raises(httpx.TransportError):
        httpx.get(urls[0], timeout=5)
    workdir = WORKDIR.search(demo.stdout)
    assert workdir and not Path(workdir.group(1)).exists()


def test_the_first_run_on_a_fresh_checkout_installs_quietly(tmp_path: Path) -> None:
    """A copy of the tracked files, no .venv: the demo creates it and installs the package
    saying only that it does (pip's editable-install warning block stays out of sight),
    then runs."""
    require_binary(NodeKind.BTCD)
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    checkout = tmp_path / "rootstate"
    for name in filter(None, tracked.split("\0")):
        source = ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    demo = subprocess.run(
        [str(checkout / "regtest" / "demo"), "--once", "--node", "btcd"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "demo: installing rootstate into .venv" in demo.stderr
    assert "editable" not in demo.stderr.lower(), demo.stderr
    assert "********" not in demo.stderr, demo.stderr
    assert "--once: all 7 URLs above answered 200." in " ".join(demo.stdout.split())
