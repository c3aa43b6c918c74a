"""The TypeScript client's own tests (clients/ts, ``npm test``: tsc, then ``node --test``)
run from the README's test command, so CI fails when they fail.

They start real ``rootstate serve`` processes through tests/clients/indexers.py, with this
interpreter (TS_CLIENT_PYTHON). Node.js is needed only for them: without ``npm`` the test is
skipped, except under CI=true, where it fails; without clients/ts/node_modules it fails and
says which command installs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "ts"
#: tsc plus the integration tests (four servers, two restarts) on a loaded 2-core machine.
TIMEOUT_SECONDS = 900
OUTPUT_LINES = 200


def test_typescript_client_tests_pass() -> None:
    npm = shutil.which("npm")
    if npm is None:
        message = "npm not found: the TypeScript client's tests need Node.js 20.19 or newer"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    if not (CLIENT / "node_modules").is_dir():
        pytest.fail(
            "clients/ts/node_modules is missing: run `cd clients/ts && npm ci` (.ci/run does)",
            pytrace=False,
        )
    env = {**os.environ, "TS_CLIENT_PYTHON": sys.executable}
    done = subprocess.run(
        [npm, "test"],
        cwd=CLIENT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).splitlines()[-OUTPUT_LINES:]
        pytest.fail(
            f"`npm test` in clients/ts exited {done.returncode}; its last lines:\n"
            + "\n".join(output),
            pytrace=False,
        )
    # node --test exits 0 when it finds no test file at all: a run must have passed some.
    passed = re.search(r"^# pass (\d+)$", done.stdout, re.MULTILINE)
    assert passed is not None and int(passed[1]) > 0, done.stdout[-4000:]
    assert "\n# fail 0\n" in done.stdout, done.stdout[-4000:]
