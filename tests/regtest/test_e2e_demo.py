"""The README's quickstart: ``regtest/demo`` starts a node, the indexer and the API, makes
sample activity, and prints URLs that answer; SIGTERM stops all of it and leaves nothing
behind; ``--help`` answers before anything is installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
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
    require_binary(NodeKind.BTCD)
    btcd = find_binary(NodeKind.BTCD)
    # The documented way to name the node binary; `rootstate run` inherits it too.
    env = {**os.environ, BINARY_ENV[NodeKind.BTCD]: str(btcd)}
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
        urls = URL.findall(output.split("\nAPI ", 1)[1])
        tries = [line.split()[-1] for line in lines if line.strip().startswith("curl -s ")]
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


def test_demo_once_checks_its_urls_then_says_they_stop() -> None:
    require_binary(NodeKind.BTCD)
    demo = subprocess.run(
        [str(DEMO), "--once"], capture_output=True, text=True, timeout=300, check=False
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    said = " ".join(demo.stdout.split())
    assert "--once: all 7 URLs above answered 200." in said
    assert "the URLs stop answering" in said
    urls = URL.findall(demo.stdout.split("\nAPI ", 1)[1])
    with pytest.raises(httpx.TransportError):
        httpx.get(urls[0], timeout=5)
    workdir = WORKDIR.search(demo.stdout)
    assert workdir and not Path(workdir.group(1)).exists()
