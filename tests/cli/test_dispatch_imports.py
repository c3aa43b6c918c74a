"""``rootstate index`` starts without importing the other commands' modules (cli.dispatch)."""

from __future__ import annotations

import subprocess
import sys

OTHER_COMMANDS = ("cli.serve", "cli.contract_commands", "cli.check", "cli.snapshot", "uvicorn")


def test_the_dispatcher_imports_no_command_module() -> None:
    probe = f"import sys, cli.dispatch; print([m for m in {OTHER_COMMANDS!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
