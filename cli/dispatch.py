"""Running a parsed ``rootstate`` command: logging, the validated configuration, the command,
and the exit code of whatever failure it meets."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from cli.check import cmd_check
from cli.commands import cmd_index, cmd_rollback, cmd_status, cmd_verify
from cli.contract_commands import cmd_contract
from cli.exits import Exit
from cli.failures import HANDLED, exit_code
from cli.parser import SETTING_FLAGS
from cli.serve import cmd_run, cmd_serve
from cli.signals import Shutdown
from cli.snapshot import cmd_export, cmd_import
from indexer.config import ConfigError, load_config


def _setup_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    if sys.stderr.isatty():
        fmt = "%(asctime)s %(levelname)s %(message)s"
    else:
        fmt = "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)
    # httpx logs every request at INFO: one line per block fetched.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)


def run(args: argparse.Namespace, shutdown: Shutdown) -> int:
    """Run the parsed command; every failure an operator can act on becomes its exit code."""
    _setup_logging(getattr(args, "verbose", False))
    if args.command == "check":  # a client of indexers: no store, node or configuration
        return cmd_check(args.indexers, args.target, args.wait)
    if args.command == "contract":  # the developer kit loads configuration only to broadcast
        return cmd_contract(args, shutdown)
    flags = {name: getattr(args, name, None) for name, _, _ in SETTING_FLAGS}
    try:
        config = load_config(getattr(args, "config", None), flags=flags)
    except ConfigError as exc:
        print(f"rootstate: configuration error: {exc}", file=sys.stderr)
        return Exit.CONFIG
    commands: dict[str, Callable[[], int]] = {
        "index": lambda: cmd_index(config, shutdown),
        "status": lambda: cmd_status(config, shutdown),
        "rollback": lambda: cmd_rollback(config, args.to),
        "verify": lambda: cmd_verify(config, shutdown),
        "serve": lambda: cmd_serve(config, shutdown),
        "run": lambda: cmd_run(config, shutdown),
        "snapshot": lambda: (
            cmd_export(config, args.file)
            if args.snapshot_command == "export"
            else cmd_import(config, args.file, args.indexers, args.check_node)
        ),
    }
    try:
        return commands[args.command]()
    except HANDLED as exc:
        code = exit_code(exc)
        what = "stopped" if code is Exit.INTERRUPTED else "error"
        print(f"rootstate: {what}: {exc} (exit code {code.value})", file=sys.stderr)
        return code
