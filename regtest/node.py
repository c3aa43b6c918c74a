"""Start and stop a real regtest node (btcd or bitcoind) in a work directory.

`RegtestNode` owns the process: free loopback ports, wait until RPC answers, clean
`stop` with a kill as the last resort. Its logs stay in the work directory; a node that
fails to start raises `NodeStartError` quoting the log's tail. `NodeInfo` describes a
running node to other code (fixtures, the indexer under test, demos).
"""

from __future__ import annotations

import atexit
import logging
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from regtest.launch import (
    LaunchParams,
    LaunchPlan,
    NodeKind,
    RpcAuth,
    find_binary,
    launch_plan,
)
from regtest.rpc import RpcClient, RpcError, RpcTransportError

__all__ = ["NodeConfig", "NodeInfo", "NodeKind", "NodeStartError", "RegtestNode", "RpcAuth"]

log = logging.getLogger(__name__)

#: bitcoind answers -28 while it loads; keep polling.
RPC_IN_WARMUP = -28
_START_ATTEMPTS = 3
_POLL_INTERVAL = 0.1
_LOG_TAIL_LINES = 30


class NodeStartError(RuntimeError):
    """The node did not come up; the message holds the command line and its log's tail."""


@dataclass(frozen=True)
class NodeInfo:
    """What a client needs to reach a running regtest node."""

    kind: NodeKind
    rpc_url: str
    rpc_user: str
    rpc_password: str
    p2p_port: int
    datadir: Path
    log_path: Path
    cookie_path: Path | None = None

    def rpc(self, *, timeout: float = 120.0) -> RpcClient:
        return RpcClient(self.rpc_url, self.rpc_user, self.rpc_password, timeout=timeout)


@dataclass(frozen=True)
class NodeConfig:
    kind: NodeKind
    #: None: find the binary (env var, PATH, GOPATH/bin for btcd).
    binary: Path | None = None
    #: None: a fresh temporary directory, removed after a clean stop.
    workdir: Path | None = None
    auth: RpcAuth = RpcAuth.PASSWORD
    txindex: bool = True
    extra_args: tuple[str, ...] = ()
    start_timeout: float = 60.0
    stop_timeout: float = 30.0
    rpc_user: str = "rootstate"
    rpc_password: str = field(default_factory=lambda: secrets.token_hex(16))

    def __post_init__(self) -> None:
        if self.kind is NodeKind.BTCD and self.auth is RpcAuth.COOKIE:
            raise ValueError("btcd has no cookie authentication; use RpcAuth.PASSWORD")
        if self.start_timeout <= 0 or self.stop_timeout <= 0:
            raise ValueError("timeouts must be positive")


def free_loopback_ports(count: int) -> list[int]:
    """Ports the kernel just handed out on 127.0.0.1; another process could still race us."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _port_clash(failure: str) -> bool:
    """btcd says "address already in use"; bitcoind "Unable to bind to ...".

    Either means another process took a port between our probe and the node's bind.
    """
    text = failure.lower()
    return "address already in use" in text or "unable to bind" in text


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class RegtestNode:
    """A regtest node process. Use as a context manager, or call start() and stop()."""

    def __init__(self, config: NodeConfig) -> None:
        binary = config.binary or find_binary(config.kind)
        if binary is None:
            raise FileNotFoundError(
                f"no {config.kind.value} binary: put it on PATH or set the environment variable "
                f"ROOTSTATE_{config.kind.value.upper()} (btcd: run .ci/install-btcd.sh)"
            )
        self.config = config
        self.binary = binary
        self._owns_workdir = config.workdir is None
        self.workdir = config.workdir or Path(tempfile.mkdtemp(prefix="rootstate-regtest-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._info: NodeInfo | None = None
        #: (rpc, p2p) of the last successful start: a restart comes back at the same address.
        self._ports: tuple[int, int] | None = None
        self._failed = False

    @property
    def info(self) -> NodeInfo:
        if self._info is None:
            raise RuntimeError("the node is not running")
        return self._info

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> NodeInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self._failed = True
        self.stop()

    def start(self) -> NodeInfo:
        """Start the node; after a stop, on the same ports, so its clients find it again.

        A restarted btcd begins from genesis (see the README); bitcoind keeps its chain.
        """
        if self._process is not None:
            raise RuntimeError("the node is already started")
        self.workdir.mkdir(parents=True, exist_ok=True)
        # Ports of a previous run are not given up for fresh ones: clients expect them.
        attempts = 1 if self._ports else _START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            rpc_port, p2p_port = self._ports or free_loopback_ports(2)
            plan = launch_plan(
                self.config.kind,
                LaunchParams(
                    binary=self.binary,
                    workdir=self.workdir,
                    rpc_port=rpc_port,
                    p2p_port=p2p_port,
                    auth=self.config.auth,
                    rpc_user=self.config.rpc_user,
                    rpc_password=self.config.rpc_password,
                    txindex=self.config.txindex,
                    extra_args=self.config.extra_args,
                ),
            )
            try:
                self._info = self._launch(plan, rpc_port, p2p_port)
            except NodeStartError as exc:
                self._kill()
                if attempt < attempts and _port_clash(str(exc)):
                    log.warning("port taken while starting %s, retrying", self.config.kind.value)
                    continue
                self._failed = True
                raise
            self._ports = (rpc_port, p2p_port)
            atexit.register(self._kill)
            log.info("%s regtest node up at %s", self.config.kind.value, self._info.rpc_url)
            return self._info
        raise AssertionError("unreachable")

    def _launch(self, plan: LaunchPlan, rpc_port: int, p2p_port: int) -> NodeInfo:
        console_log = self.workdir / f"{self.config.kind.value}.console.log"
        with console_log.open("ab") as console:
            self._process = subprocess.Popen(
                plan.argv,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.config.start_timeout
        last_error = "no attempt made"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise NodeStartError(
                    self._start_failure(plan, console_log, "exited during startup")
                )
            info = self._describe(plan, rpc_port, p2p_port)
            if info is not None:
                try:
                    with info.rpc(timeout=5.0) as rpc:
                        rpc.call("getblockchaininfo")
                    return info
                except RpcError as exc:
                    if exc.code != RPC_IN_WARMUP:
                        raise NodeStartError(
                            self._start_failure(plan, console_log, f"answered {exc}")
                        ) from exc
                    last_error = str(exc)
                except RpcTransportError as exc:
                    last_error = str(exc)
            time.sleep(_POLL_INTERVAL)
        raise NodeStartError(
            self._start_failure(
                plan,
                console_log,
                f"gave no RPC answer in {self.config.start_timeout:.0f}s "
                f"(last error: {last_error})",
            )
        )

    def _describe(self, plan: LaunchPlan, rpc_port: int, p2p_port: int) -> NodeInfo | None:
        user, password = self.config.rpc_user, self.config.rpc_password
        if plan.cookie_path is not None:
            try:
                user, _, password = plan.cookie_path.read_text().strip().partition(":")
            except FileNotFoundError:
                return None
        return NodeInfo(
            kind=self.config.kind,
            rpc_url=f"http://127.0.0.1:{rpc_port}",
            rpc_user=user,
            rpc_password=password,
            p2p_port=p2p_port,
            datadir=plan.datadir,
            log_path=plan.log_path,
            cookie_path=plan.cookie_path,
        )

    def _start_failure(self, plan: LaunchPlan, console_log: Path, what: str) -> str:
        return (
            f"{self.config.kind.value} {what}\ncommand: {' '.join(plan.argv)}\n"
            f"--- {console_log} ---\n{_tail(console_log)}\n"
            f"--- {plan.log_path} ---\n{_tail(plan.log_path)}\n"
            f"(work directory kept: {self.workdir})"
        )

    def stop(self) -> None:
        """Ask the node to stop over RPC, wait, and kill it if it does not exit in time."""
        process = self._process
        if process is not None:
            if process.poll() is None and self._info is not None:
                try:
                    with self._info.rpc(timeout=10.0) as rpc:
                        rpc.call("stop")
                except (RpcError, RpcTransportError) as exc:
                    log.warning("stop RPC failed (%s); terminating the process", exc)
                    process.terminate()
                try:
                    process.wait(self.config.stop_timeout)
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop in time; killing it", self.config.kind.value)
                    self._failed = True
                    self._kill()
            self._process = None
            atexit.unregister(self._kill)
        self._info = None
        if self._owns_workdir and not self._failed:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _kill(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.kill()
        process.wait(10)
