"""The command line itself: flags on either side of the command, a flag for every setting,
one documented exit code per failure."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from cli.exits import Exit
from cli.parser import SETTING_FLAGS, parser
from indexer.config import Config, load_config

README = Path(__file__).resolve().parents[2] / "README.md"


def test_settings_flags_go_before_or_after_the_command() -> None:
    command_line = parser()
    before = command_line.parse_args(["--network", "regtest", "--rpc-timeout", "7", "status"])
    after = command_line.parse_args(["status", "--network", "regtest", "--rpc-timeout", "7"])
    for args in (before, after):
        assert args.command == "status"
        assert args.network == "regtest"
        assert args.rpc_timeout == 7.0
    # A flag only before the command survives the command's own (absent) copy of it, and
    # the one after the command wins when both are given.
    both = command_line.parse_args(
        ["--network", "signet", "--data-dir", "/d", "index", "--network", "x"]
    )
    assert (both.network, both.data_dir) == ("x", "/d")
    rollback = command_line.parse_args(["rollback", "--to", "5", "--network=regtest"])
    assert (rollback.to, rollback.network) == (5, "regtest")


def test_every_setting_has_a_flag_that_reaches_the_config() -> None:
    flagged = {name for name, _, _ in SETTING_FLAGS}
    assert flagged == {f.name for f in fields(Config)}
    args = parser().parse_args(["--rpc-timeout=2.5", "--rpc-user=u", "--rpc-password=p", "run"])
    flags = {name: getattr(args, name, None) for name in flagged}
    assert load_config(None, environ={}, flags=flags).rpc_timeout == 2.5


def test_every_readme_setting_has_a_flag() -> None:
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            documented.update(re.findall(r"`([a-z_]+)`", row.split("|")[1]))
    assert "rpc_timeout" in documented
    assert documented <= {name for name, _, _ in SETTING_FLAGS}


def test_exit_codes_are_distinct_and_documented() -> None:
    assert len({code.value for code in Exit}) == len(Exit.__members__)
    section = README.read_text().split("### Exit codes", 1)[1].split("\n#", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    assert documented == {code.value for code in Exit}


def test_the_entry_point_handles_signals_before_the_heavy_imports() -> None:
    """``rootstate`` installs its handlers first; loading cli.main must not pull in the node
    client, LMDB or the web server, whose imports take long enough to catch a Ctrl-C."""
    probe = (
        "import sys, cli.main; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'indexer', 'api', 'protocol', 'httpx', 'lmdb', 'uvicorn', 'starlette', 'zmq'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"
