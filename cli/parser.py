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
    ("api_workers", int, "API worker processes for serve (sharing one port)"),
    ("api_max_connections", int, "open API connections per worker"),
    ("api_max_streams", int, "open /v1/stream connections per worker"),
    ("api_max_head_bytes", int, "largest request line and headers"),
    ("api_max_url_bytes", int, "longest request URL"),
    ("api_head_timeout", float, "seconds a client has to send a request's head"),
    ("api_keep_alive_seconds", int, "idle seconds before a kept-alive connection closes"),
    ("api_heavy_processes", int, "processes per worker for compose and large batches"),
    ("api_heavy_queue", int, "heavy requests that may wait per worker before 503"),
    ("api_min_relay_fee", float, "lowest fee rate compose accepts, sat/vB"),
    ("wasm_backend", str, "contract engine back end: winch, cranelift or pulley"),
    ("module_cache_bytes", int, "bound of the on-disk compiled-module cache (0: off)"),
)

COMMANDS = (
    ("index", "catch up from the activation height, then follow the tip"),
    ("status", "print the store's tip and the node's height as JSON (exit 0: node reached)"),
    ("rollback", "undo blocks above a height (needs no node)"),
    ("verify", "re-derive state hashes into a scratch store and compare"),
    ("serve", "serve the HTTP API over the store (indexer runs apart)"),
    ("run", "index and serve the HTTP API in one process"),
    ("check", "verify an outpoint's or address's balances against the root indexers agree on"),
    ("snapshot", "export or import a verified state snapshot"),
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
        elif name == "serve":
            sub.add_argument(
                "--workers",
                dest="api_workers",
                type=int,
                help="worker processes sharing the port (same as --api-workers)",
            )
        elif name == "check":
            _check_arguments(sub)
        elif name == "snapshot":
            _snapshot_arguments(sub, common)
    return parser


def _check_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--indexer",
        dest="indexers",
        action="append",
        required=True,
        metavar="URL",
        help="an indexer's API base URL, e.g. http://127.0.0.1:8080 (repeat for each)",
    )
    check.add_argument("target", metavar="OUTPOINT|ADDRESS", help="TXID:VOUT or an address")


def _snapshot_arguments(snapshot: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    snapshots = snapshot.add_subparsers(dest="snapshot_command", required=True, metavar="ACTION")
    export = snapshots.add_parser(
        "export", help="write the state at the store's tip to FILE", parents=[common]
    )
    export.add_argument("file", type=Path, metavar="FILE")
    load = snapshots.add_parser(
        "import",
        help="build a new store from FILE after recomputing and checking its root",
        parents=[common],
    )
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument(
        "--indexer",
        dest="indexers",
        action="append",
        default=[],
        metavar="URL",
        help="refuse unless this indexer reports the snapshot's block, state hash and root",
    )
    load.add_argument(
        "--check-node",
        action="store_true",
        default=False,
        help="refuse unless the configured node has the snapshot's block at its height",
    )
