"""The ``rootstate`` command: index, status, rollback, verify, serve and run.

Settings flags are accepted before or after the subcommand (``rootstate status --network
regtest``). Exit codes: :class:`cli.exits.Exit`, listed in the README.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cli.commands import cmd_index, cmd_rollback, cmd_status, cmd_verify
from cli.exits import HANDLED, Exit, exit_code
from cli.serve import cmd_run, cmd_serve
from cli.signals import Shutdown
from indexer.config import ConfigError, load_config

log = logging.getLogger("rootstate")

SETTING_FLAGS = (
    ("network", str, "mainnet, testnet4, signet or regtest"),
    ("data_dir", str, "where stores live (one per network)"),
    ("rpc_url", str, "node JSON-RPC URL, e.g. http://127.0.0.1:8332"),
    ("rpc_user", str, "RPC user (or use --rpc-cookie-file)"),
    ("rpc_password", str, "RPC password"),
    ("rpc_cookie_file", str, "Bitcoin Core .cookie file"),
    ("rpc_timeout", float, "seconds per RPC request"),
    ("rest", str, "use the node's REST interface: auto, on, off"),
    ("prefetch", int, "blocks fetched ahead of the one being applied"),
    ("batch_blocks", int, "blocks per write transaction during catch-up"),
    ("poll_seconds", float, "how often to ask the node for a new tip"),
    ("zmq_url", str, "Bitcoin Core -zmqpubhashblock endpoint, e.g. tcp://127.0.0.1:28332"),
    ("undo_depth", int, "blocks of undo kept for reorgs"),
    ("activation_height", int, "first height applied (overrides the network's)"),
    ("api_host", str, "API listen address"),
    ("api_port", int, "API listen port"),
    ("cors_origins", str, "browser origins allowed to call the API, comma-separated"),
    ("api_max_page_size", int, "most items per page of an API listing"),
    ("api_max_body_bytes", int, "largest API request body"),
    ("api_ready_lag_blocks", int, "blocks behind the node /readyz still accepts"),
)

COMMANDS = (
    ("index", "catch up from the activation height, then follow the tip"),
    ("status", "print the store's tip and the node's height as JSON (exit 0: node reached)"),
    ("rollback", "undo blocks above a height (needs no node)"),
    ("verify", "re-derive state hashes into a scratch store and compare"),
    ("serve", "serve the HTTP API over the store (indexer runs apart)"),
    ("run", "index and serve the HTTP API in one process"),
)


def _settings() -> argparse.ArgumentParser:
    """The options every command takes; SUPPRESS keeps a subcommand's absent flag from
    overwriting the same flag given before the subcommand."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--config", type=Path, help="TOML configuration file")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    for name, kind, text in SETTING_FLAGS:
        common.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, help=text)
    return common


def _parser() -> argparse.ArgumentParser:
    common = _settings()
    parser = argparse.ArgumentParser(
        prog="rootstate",
        description="Bitcoin metaprotocol indexer and API.",
        epilog="Settings flags may come before or after the command. Exit codes: README.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in COMMANDS:
        sub = commands.add_parser(name, help=text, description=text, parents=[common])
        if name == "rollback":
            sub.add_argument("--to", type=int, required=True, metavar="HEIGHT")
    return parser


def _setup_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    if sys.stderr.isatty():
        fmt = "%(asctime)s %(levelname)s %(message)s"
    else:
        fmt = "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)
    # httpx logs every request at INFO: one line per block fetched.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        # First of all: a Ctrl-C from here on is a stop request, never a traceback.
        with Shutdown.installed() as shutdown:
            return _main(argv, shutdown)
    except KeyboardInterrupt:  # a signal before the handlers were installed
        return Exit.INTERRUPTED


def _main(argv: Sequence[str] | None, shutdown: Shutdown) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(getattr(args, "verbose", False))
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
    }
    try:
        return commands[args.command]()
    except HANDLED as exc:
        code = exit_code(exc)
        what = "stopped" if code is Exit.INTERRUPTED else "error"
        print(f"rootstate: {what}: {exc} (exit code {code.value})", file=sys.stderr)
        return code
