"""The README's quickstart: ``regtest/demo`` starts a node, the indexer and the API, makes
sample activity, and prints URLs that answer; Ctrl-C stops all of it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from regtest.launch import NodeKind
from tests.regtest.conftest import require_binary

pytestmark = pytest.mark.regtest

DEMO = Path(__file__).resolve().parents[2] / "regtest" / "demo"
URL = re.compile(r"http://127\.0\.0\.1:\d+/\S*")


def test_demo_prints_urls_that_answer_and_stops_on_ctrl_c() -> None:
    require_binary(NodeKind.BTCD)
    # Its own process group, so the test can press Ctrl-C as a terminal does: SIGINT to the
    # demo and to `rootstate run` under it (the node runs in a session of its own).
    demo = subprocess.Popen(
        [str(DEMO), "--exit-after", "300", "--mine-every", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
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
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)
        rest, _ = demo.communicate(timeout=120)
    assert demo.returncode == 0, output + rest
    assert rest.rstrip().endswith("Stopped."), rest
    with pytest.raises(httpx.TransportError):
        httpx.get(urls[0], timeout=5)
