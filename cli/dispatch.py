"""Running a parsed ``rootstate`` command: logging, the validated configuration, the command,
and the exit code of whatever failure it meets.

Each command's module is imported when that command runs, not all of them for every command:
``rootstate index`` then skips the API server, the contract kit, the checker and snapshots
(0.14 s of CPU at each start, 0.4 against 0.25 s of imports, measured; a second or so of wall
clock on a loaded machine, where a catch-up of a few hundred blocks takes ten).
"""

from __future__ import annotations

import argparse
import logging
import sys

from cli.exits import Exit
from cli.failures import HANDLED, exit_code
from cli.parser import SETTING_FLAGS
from cli.signals import Shutdown
from indexer.config import Config, ConfigError, load_config

# Imports inside functions are this module's point (see above).
# ruff: noqa: PLC0415


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
        from cli.check import cmd_check

        return cmd_check(args.indexers, args.target, args.wait)
    if args.command == "contract":  # the developer kit loads configuration only to broadcast
        from cli.contract_commands import cmd_contract

        return cmd_contract(args, shutdown)
    flags = {name: getattr(args, name, None) for name, _, _ in SETTING_FLAGS}
    try:
        config = load_config(getattr(args, "config", None), flags=flags)
    except ConfigError as exc:
        print(f"rootstate: configuration error: {exc}", file=sys.stderr)
        return Exit.CONFIG
    try:
        return _command(args, config, shutdown)
    except HANDLED as exc:
        code = exit_code(exc)
        what = "stopped" if code is Exit.INTERRUPTED else "error"
        print(f"rootstate: {what}: {exc} (exit code {code.value})", file=sys.stderr)
        return code


def _command(args: argparse.Namespace, config: Config, shutdown: Shutdown) -> int:
    """Import the command's module and run it (imports inside: see the module docstring)."""
    if args.command in ("index", "status", "rollback", "verify"):
        from cli.commands import cmd_index, cmd_rollback, cmd_status, cmd_verify

        if args.command == "rollback":
            return cmd_rollback(config, args.to)
        run = {"index": cmd_index, "status": cmd_status, "verify": cmd_verify}[args.command]
        return run(config, shutdown)
    if args.command in ("serve", "run"):
        from cli.serve import cmd_run, cmd_serve

        return (cmd_serve if args.command == "serve" else cmd_run)(config, shutdown)
    from cli.snapshot import cmd_export, cmd_import

    if args.snapshot_command == "export":
        return cmd_export(config, args.file)
    return cmd_import(config, args.file, args.indexers, args.check_node)
