"""The command line of ``rootstate``: a flag for every setting, accepted before or after the
command. Standard library only: :mod:`cli.main` builds it before the heavy imports."""

from __future__ import annotations

import argparse
from pathlib import Path

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


def parser() -> argparse.ArgumentParser:
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
