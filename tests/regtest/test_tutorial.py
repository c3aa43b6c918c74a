"""contracts/README.md's tutorial, "Your first contract in 10 minutes", run as written: its
shell blocks, in order, in one bash with ``set -euo pipefail``, against a real Bitcoin
Core regtest node, a real ``rootstate run``, the pinned compiler from npm and the real
engine. If a step of the tutorial breaks, this fails and names the step.

It also measures what issue 21 asks of the developer kit: the time from ``contract new``
to a published and called contract, printed on the terminal (pytest does not capture it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from regtest.launch import NodeKind
from regtest.node import free_loopback_ports
from tests.regtest.conftest import require_binary

pytestmark = pytest.mark.regtest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "contracts" / "README.md"
HEADING = "## Your first contract in 10 minutes"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: The whole tutorial must fit in its ten minutes, on a loaded CI machine too.
TIMEOUT_SECONDS = 600


def tutorial_blocks(text: str) -> list[str]:
    """The ```sh blocks of the tutorial's section, in order (```text blocks are output)."""
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return BLOCK.findall(text[start : end if end != -1 else len(text)])


def script(blocks: list[str], steps: Path) -> str:
    """One bash script: each block preceded by a line in ``steps`` (its number and time)."""
    # A failing step ends the script; its background jobs (the tutorial's miner loop) would
    # keep the output pipe open until the test's timeout, so they go with it.
    parts = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for n, block in enumerate(blocks, 1):
        parts.append(f'printf "%s %s\\n" {n} "$(date +%s.%N)" >> "{steps}"')
        parts.append(block)
    parts.append(f'printf "end %s\\n" "$(date +%s.%N)" >> "{steps}"')
    return "\n".join(parts) + "\n"


def test_the_tutorial_finds_its_blocks() -> None:
    blocks = tutorial_blocks(README.read_text())
    assert len(blocks) >= 8
    commands = "\n".join(blocks)
    for step in ("contract new", "contract build", "contract test", "contract publish"):
        assert step in commands, step
    assert "contract call" in commands


def test_the_tutorial_runs_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_binary(NodeKind.BITCOIND)
    if shutil.which("npm") is None:
        pytest.fail("the tutorial needs Node.js and npm on PATH", pytrace=False)
    blocks = tutorial_blocks(README.read_text())
    steps = tmp_path / "steps"
    path = tmp_path / "tutorial.sh"
    path.write_text(script(blocks, steps))
    rpc_port, api_port = free_loopback_ports(2)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TUTORIAL_DIR": str(tmp_path / "work"),
        "RPC_PORT": str(rpc_port),
        "API_PORT": str(api_port),
    }
    # Its own session: whatever the tutorial leaves running if a step fails (the node, the
    # indexer, the miner loop) is stopped with the group, never by name.
    process = subprocess.Popen(
        ["bash", str(path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    finally:
        _stop_group(process.pid)
    marks = [line.split() for line in steps.read_text().splitlines()] if steps.exists() else []
    failed_at = marks[-1][0] if marks else "1"
    where = blocks[int(failed_at) - 1] if failed_at.isdigit() else "(after the last block)"
    assert process.returncode == 0, (
        f"the tutorial failed at block {failed_at}:\n{where}\n--- output ---\n{output[-6000:]}"
    )
    assert re.search(r"published contract \d+:\d+ at height", output), output
    # op 3 after init 5 and one add of 2: count 7, no tips (README step 8).
    assert "returns 07000000000000000000000000000000" in output, output
    with capsys.disabled():
        print(_figure(blocks, {m[0]: float(m[1]) for m in marks}))


def _stop_group(pid: int) -> None:
    """SIGTERM to what is left of the tutorial's group (nothing, when it ran to the end),
    then SIGKILL to whatever ignored it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        time.sleep(2)


def _figure(blocks: list[str], started: dict[str, float]) -> str:
    """Seconds from the block running ``contract new`` to the end of the one that calls,
    and each block's share, named by the kit commands it runs."""
    new = next(n for n, b in enumerate(blocks, 1) if "contract new" in b)
    called = next(n for n, b in enumerate(blocks, 1) if "contract call" in b)
    ends = [*(started[str(n)] for n in range(2, len(blocks) + 1)), started["end"]]
    parts = []
    for n in range(new, called + 1):
        name = "+".join(re.findall(r"rootstate contract (\w+)", blocks[n - 1]))
        parts.append(f"{name} {ends[n - 1] - started[str(n)]:.1f}")
    seconds = ends[called - 1] - started[str(new)]
    return (
        f"\ntutorial: contract new -> published and called on regtest (Bitcoin Core): "
        f"{seconds:.1f} s ({'; '.join(parts)})"
    )
