"""How each supported node implementation is found and started in regtest mode.

btcd: flags from btcd's config.go (the pinned version is in .ci/install-btcd.sh).
bitcoind: flags from Bitcoin Core's documented `bitcoind -help`; only options that every
release since 22.0 accepts, because bitcoind refuses to start on an unknown option.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class NodeKind(StrEnum):
    BTCD = "btcd"
    BITCOIND = "bitcoind"


class RpcAuth(StrEnum):
    """How clients authenticate: a fixed user/password, or bitcoind's cookie file."""

    PASSWORD = "password"
    COOKIE = "cookie"


#: Environment variables that name a node binary explicitly.
BINARY_ENV = {NodeKind.BTCD: "ROOTSTATE_BTCD", NodeKind.BITCOIND: "ROOTSTATE_BITCOIND"}
#: The Bitcoin Core build kept beside the checkout (README, Install): found without PATH.
SHARED_CORE = Path(__file__).resolve().parents[1].parent / "shared" / "bitcoin"
#: What installs each kind (its runtime libraries too, for Core).
INSTALLER = {NodeKind.BTCD: ".ci/install-btcd.sh", NodeKind.BITCOIND: ".ci/install-bitcoind.sh"}


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_binary(kind: NodeKind) -> Path | None:
    """The binary named by the kind's env var, else the one on PATH, else btcd in
    GOPATH/bin or bitcoind in :data:`SHARED_CORE`."""
    named = os.environ.get(BINARY_ENV[kind])
    if named:
        path = Path(named).expanduser()
        if not _executable(path):
            raise FileNotFoundError(f"{BINARY_ENV[kind]}={named} is not an executable file")
        return path
    found = shutil.which(kind.value)
    if found:
        return Path(found)
    if kind is NodeKind.BTCD:
        candidate = Path(os.environ.get("GOPATH") or Path.home() / "go") / "bin" / "btcd"
    else:
        candidate = SHARED_CORE / "bitcoind"
    return candidate if _executable(candidate) else None


def node_problem(kind: NodeKind) -> str | None:
    """Why no node of ``kind`` can run here, in one sentence per cause, or None.

    The causes: not found anywhere :func:`find_binary` looks, or found but unable to start
    (Bitcoin Core's runtime libraries missing on a fresh machine). A misnamed env var raises
    FileNotFoundError: that is a mistake to report, not a reason to skip.
    """
    binary = find_binary(kind)
    if binary is None:
        return f"{kind.value} is not installed: run {INSTALLER[kind]}, or set {BINARY_ENV[kind]}"
    flag = "--version" if kind is NodeKind.BTCD else "-version"
    try:
        ran = subprocess.run(
            [str(binary), flag], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError as exc:
        return f"{kind.value} at {binary} cannot start ({exc.strerror}): run {INSTALLER[kind]}"
    if ran.returncode != 0:
        said = (ran.stderr or ran.stdout).strip().splitlines()
        why = said[0] if said else f"exit code {ran.returncode}"
        return f"{kind.value} at {binary} cannot start ({why}): run {INSTALLER[kind]} as root"
    return None


@dataclass(frozen=True)
class LaunchPlan:
    argv: tuple[str, ...]
    datadir: Path
    #: The node's own log file (the process's stdout/stderr go to a file beside it).
    log_path: Path
    #: Where bitcoind writes its cookie when cookie auth is used.
    cookie_path: Path | None


@dataclass(frozen=True)
class LaunchParams:
    binary: Path
    workdir: Path
    rpc_port: int
    p2p_port: int
    auth: RpcAuth
    rpc_user: str
    rpc_password: str
    txindex: bool
    extra_args: tuple[str, ...]


def btcd_plan(p: LaunchParams) -> LaunchPlan:
    if p.auth is not RpcAuth.PASSWORD:
        raise ValueError("btcd has no cookie authentication; use RpcAuth.PASSWORD")
    datadir = p.workdir / "data"
    logdir = p.workdir / "logs"
    config = p.workdir / "btcd.conf"
    # An explicit, empty config file keeps a user's ~/.btcd/btcd.conf out of the run.
    config.touch()
    argv = [
        str(p.binary),
        "--regtest",
        f"--configfile={config}",
        f"--datadir={datadir}",
        f"--logdir={logdir}",
        f"--rpcuser={p.rpc_user}",
        f"--rpcpass={p.rpc_password}",
        "--notls",
        f"--rpclisten=127.0.0.1:{p.rpc_port}",
        f"--listen=127.0.0.1:{p.p2p_port}",
        "--nodnsseed",
        "--debuglevel=info",
    ]
    if p.txindex:
        argv.append("--txindex")
    argv += p.extra_args
    return LaunchPlan(tuple(argv), datadir, logdir / "regtest" / "btcd.log", None)


def bitcoind_plan(p: LaunchParams) -> LaunchPlan:
    datadir = p.workdir / "data"
    datadir.mkdir(parents=True, exist_ok=True)
    argv = [
        str(p.binary),
        "-regtest",
        f"-datadir={datadir}",
        "-server=1",
        "-rpcbind=127.0.0.1",
        "-rpcallowip=127.0.0.1",
        f"-rpcport={p.rpc_port}",
        "-bind=127.0.0.1",
        f"-port={p.p2p_port}",
        "-listen=1",
        "-listenonion=0",
        "-discover=0",
        "-dnsseed=0",
        "-fixedseeds=0",
        "-disablewallet=1",
        "-printtoconsole=0",
        # Hostile tests broadcast non-standard transactions; regtest allows relaxing policy.
        "-acceptnonstdtxn=1",
        "-rest=1",
        f"-txindex={int(p.txindex)}",
    ]
    cookie_path = None
    if p.auth is RpcAuth.PASSWORD:
        argv += [f"-rpcuser={p.rpc_user}", f"-rpcpassword={p.rpc_password}"]
    else:
        cookie_path = datadir / "regtest" / ".cookie"
    argv += p.extra_args
    return LaunchPlan(tuple(argv), datadir, datadir / "regtest" / "debug.log", cookie_path)


def launch_plan(kind: NodeKind, params: LaunchParams) -> LaunchPlan:
    if kind is NodeKind.BTCD:
        return btcd_plan(params)
    return bitcoind_plan(params)
