"""The catch-up child process of the sync benchmarks, its hidden command line defined once.

``bench.sync`` and ``bench.contract_sync`` run the indexer's catch-up in a child process, so
its peak RSS is its own: the parent starts ``python -m <bench> --child ...`` with the
node's RPC address and credentials, a fresh data directory and the heights to index, and
the child rebuilds the same :class:`Config` from them and prints its figures as one JSON
line, the last of its output.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from indexer.config import Config
from protocol.params import Network
from regtest.node import NodeInfo


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB, since its exec.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries that across ``execve``, so a child
    started by a benchmark that holds 100 MB of blocks would report the benchmark's peak.
    ``VmHWM`` belongs to the process's own memory map, which exec replaces.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_child_arguments(parser: argparse.ArgumentParser) -> None:
    """The child's arguments, hidden from ``--help``: only :func:`run_child` passes them."""
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for name in ("--rpc-url", "--rpc-user", "--rpc-password", "--data-dir"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--last", type=int, help=argparse.SUPPRESS)


def child_config(url: str, user: str, password: str, data_dir: Path, first: int) -> Config:
    """The indexer's configuration for a regtest node whose protocol starts at ``first``."""
    return Config(
        network=Network.REGTEST,
        data_dir=data_dir,
        rpc_url=url,
        rpc_user=user,
        rpc_password=password,
        activation_height=first,
    )


def config_of(args: argparse.Namespace) -> Config:
    """In the child: the configuration :func:`run_child` described on its command line."""
    return child_config(
        args.rpc_url, args.rpc_user, args.rpc_password, Path(args.data_dir), args.first
    )


def run_child(
    module: str, node: NodeInfo, data_dir: Path, first: int, last: int, *extra: str
) -> dict[str, Any]:
    """Run ``python -m module --child`` to index ``first..last`` into ``data_dir``; its
    figures. ``extra`` are further arguments of that module's own."""
    command = [
        *(sys.executable, "-m", module, "--child"),
        *("--rpc-url", node.rpc_url, "--rpc-user", node.rpc_user),
        *("--rpc-password", node.rpc_password, "--data-dir", str(data_dir)),
        *("--first", str(first), "--last", str(last)),
        *extra,
    ]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures
