"""Quickstart: a private regtest chain, indexed by rootstate and served by its API.

    python -m regtest.demo [--api-port PORT] [--mine-every SECONDS] [--once | --exit-after S]

What it does and how it ends: :data:`regtest.demo_options.DESCRIPTION` (``--help``).
SIGTERM stops it as Ctrl-C does: the node, ``rootstate run`` and the temporary directory go.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from regtest.client import NodeRpc
from regtest.demo_contracts import AmmActivity, make_amm_activity, simulate_curl
from regtest.demo_options import DemoOptions, parse
from regtest.keys import Key
from regtest.launch import NodeKind, RpcAuth
from regtest.mining import Block, Miner
from regtest.node import NodeConfig, NodeInfo, RegtestNode, free_loopback_ports
from regtest.payloads import (
    TokenRef,
    deploy_issuer,
    deploy_open,
    message,
    mint,
    token_of,
    token_text,
    transfer,
)
from regtest.scene import Scene
from regtest.script import rootstate_op_return
from regtest.spend import Envelope
from regtest.tx import Tx, TxOut
from regtest.wallet import Wallet

#: Value of each token-carrying output the demo creates, in satoshis.
DUST = 1_000
#: How long the indexer may take to reach a block the demo mined.
INDEX_TIMEOUT = 120.0
#: Empty blocks mined by the coinbase to nobody.
ANYONE_CAN_SPEND = b"\x51"


@dataclass(frozen=True)
class Activity:
    """What the sample activity made, for the summary and the requests to try."""

    demo: TokenRef
    gold: TokenRef
    bob: str
    carol: str
    replaced: Tx
    kept: Tx


class RootstateRun:
    """``rootstate run`` as a child process: the indexer and the API over one store."""

    def __init__(self, info: NodeInfo, workdir: Path, api_port: int) -> None:
        self.log_path = workdir / "rootstate.log"
        self.url = f"http://127.0.0.1:{api_port}"
        self.config_path = write_config(info, workdir / "rootstate.toml", workdir / "index")
        command = Path(sys.executable).with_name("rootstate")
        argv = [
            str(command) if command.exists() else "rootstate",
            f"--config={self.config_path}",
            "--poll-seconds=0.2",
            f"--api-port={api_port}",
            "run",
        ]
        env = {**os.environ}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        self.http = httpx.Client(base_url=self.url, timeout=10.0)

    def check_running(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise RuntimeError(f"rootstate run exited with code {code}; see {self.log_path}")

    def indexed_hash(self) -> str | None:
        self.check_running()
        try:
            response = self.http.get("/v1/status")
        except httpx.TransportError:
            return None  # still starting
        if response.status_code == 503:
            return None  # not_ready: still reaching the node
        indexed = response.json()["indexed"]
        return None if indexed is None else str(indexed["hash"])

    def wait_for(self, block: Block | str) -> None:
        wanted = block if isinstance(block, str) else block.hash_hex
        deadline = time.monotonic() + INDEX_TIMEOUT
        while self.indexed_hash() != wanted:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the index did not reach block {wanted}; see {self.log_path}")
            time.sleep(0.1)

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.http.get("/v1/status").json()
        return result

    def stop(self, *, signalled: bool) -> None:
        """Stop it as Ctrl-C does; ``signalled``: the terminal's Ctrl-C already reached it."""
        self.http.close()
        if signalled:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def write_config(info: NodeInfo, path: Path, data_dir: Path) -> Path:
    """The demo's settings as a TOML file for ``rootstate --config FILE COMMAND``: Core's
    cookie file where the node has one (as operators run it), else its user and password."""
    lines = [
        'network = "regtest"',
        f"data_dir = {json.dumps(str(data_dir))}",
        f"rpc_url = {json.dumps(info.rpc_url)}",
    ]
    if info.cookie_path is not None:
        lines.append(f"rpc_cookie_file = {json.dumps(str(info.cookie_path))}")
    else:
        lines += [
            f"rpc_user = {json.dumps(info.rpc_user)}",
            f"rpc_password = {json.dumps(info.rpc_password)}",
        ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # it may hold the node's password
    return path


def node_lines(options: DemoOptions, info: NodeInfo, index: RootstateRun) -> list[str]:
    """How to reach the node and run rootstate against it, as "Running it beside a node"
    in the README describes (a throwaway regtest node: its credentials are shown)."""
    auth = (
        f"cookie file {info.cookie_path}"
        if info.cookie_path is not None
        else f"user {info.rpc_user}, password {info.rpc_password}"
    )
    return [
        f"  node      {options.node.value} regtest, RPC {info.rpc_url}",
        f"            RPC auth: {auth}",
        f"  config    {index.config_path}",
        f"            e.g. rootstate --config {index.config_path} status",
    ]


def make_activity(node: NodeRpc, index: RootstateRun) -> Activity:
    """Deploys, mints and a transfer, then a one-block reorg the indexer lives through."""
    alice = Wallet(node, Key.derive("demo-alice"))
    bob, carol = Wallet(node, Key.derive("demo-bob")), Wallet(node, Key.derive("demo-carol"))
    alice.fund(1)
    scene = Scene(node, alice, [bob, carol])
    to_bob, to_carol = TxOut(DUST, bob.p2tr_script), TxOut(DUST, carol.p2tr_script)

    deploy = scene.add(alice.op_return(message(deploy_open("DEMO", 21 * 10**8, 10**5, 21_000, 2))))
    envelope = Envelope.create(alice.key, message(deploy_issuer("GOLD", 10**6, 0, 10_000, 1)))
    commit, coin = alice.commit_envelope(envelope)
    scene.add(commit)
    # The reveal binds GOLD's mint authority to carol's output and its premine to bob's.
    reveal = scene.add(alice.build([to_carol, to_bob], must_spend=[coin]))
    scene.mine()
    demo, gold = token_of(node, deploy), token_of(node, reveal)

    first = scene.add(alice.op_return(message(mint(demo)), extra_outputs=[to_bob]))
    scene.add(alice.op_return(message(mint(demo)), extra_outputs=[to_bob]))
    issue = [TxOut(0, rootstate_op_return(message(mint(gold, 5_000, 2)))), to_carol, to_bob]
    scene.add(alice.build(issue, must_spend=[carol.coins[reveal.outpoint(0)]]))
    scene.mine()

    move = [TxOut(0, rootstate_op_return(message(transfer(demo, 25_000, 2)))), to_bob, to_carol]
    scene.add(alice.build(move, must_spend=[bob.coins[first.outpoint(1)]]))
    index.wait_for(scene.mine())

    # The reorg: a block moving 4,000 GOLD to carol, replaced by two blocks moving 1,500.
    # The wallets never see the first transfer, so the second spends the same coins.
    premine = bob.coins[reveal.outpoint(1)]

    def gold_transfer(amount: int) -> Tx:
        outputs = [TxOut(0, rootstate_op_return(message(transfer(gold, amount, 2)))), to_bob]
        return alice.build([*outputs, to_carol], must_spend=[premine])

    replaced = gold_transfer(4_000)
    index.wait_for(alice.miner.mine(txs=[replaced])[0])
    kept = scene.add(gold_transfer(1_500))
    scene.pending.clear()
    index.wait_for(alice.miner.reorg(1, txs=[kept])[-1])
    return Activity(demo, gold, bob.p2tr_address, carol.p2tr_address, replaced, kept)


def summary(
    options: DemoOptions,
    info: NodeInfo,
    index: RootstateRun,
    activity: Activity,
    amm: AmmActivity,
) -> list[str]:
    status = index.status()
    indexed, reorg = status["indexed"], status["last_reorg"]
    url = index.url
    urls, tries = demo_urls(url, activity)
    return [
        "rootstate demo: a private regtest chain, indexed and served",
        "",
        *node_lines(options, info, index),
        f"  indexer   rootstate run (log: {index.log_path})",
        f"  tokens    DEMO {token_text(activity.demo)} (open mint, 2 decimals), "
        f"GOLD {token_text(activity.gold)} (issuer; carol holds its authority)",
        "  activity  2 deploys, 3 mints, 1 transfer, then a reorg "
        f"(depth {reorg['depth']}) replaced a 4,000 GOLD transfer with one of 1,500",
        f"  contract  AMM {amm.amm_text} (contracts/examples/amm.ts) for USDX "
        f"{token_text(amm.token_a)} / EURX {token_text(amm.token_b)}, published by envelope: "
        "liquidity added, a swap each way",
        f"  indexed   height {indexed['height']:,}, state hash {indexed['state_hash']}",
        f"  explorer  {url}/ (the HTML explorer: blocks, tokens, contracts, proofs checked in "
        "the page)",
        "",
        f"API  {url}",
        *(f"  {u}" for u in urls),
        "",
        "Try:",
        *(f"  curl -s {u}" for u in tries),
        "",
        f"Simulate swapping {amm.simulate_body['assets'][0]['amount']} USDX on the AMM "
        "(input: op 2 swap, min_out 1, vout 0; see contracts/README.md):",
        f"  {simulate_curl(url, amm)}",
        "",
    ]


def demo_urls(url: str, activity: Activity) -> tuple[list[str], list[str]]:
    """The URLs the summary lists, and the three it suggests to try with curl."""
    urls = [
        f"{url}/v1/status",
        f"{url}/v1/tokens",
        f"{url}/v1/addresses/{activity.bob}/balances",
        f"{url}/openapi.json",
    ]
    tries = [
        f"{url}/v1/tokens/GOLD",
        f"{url}/v1/addresses/{activity.carol}/balances",
        f"{url}/v1/txs/{activity.kept.txid_hex}",
    ]
    return urls, tries


def check_urls(index: RootstateRun, activity: Activity) -> str:
    """``--once``: every printed URL must answer 200 before the demo stops them all."""
    urls, tries = demo_urls(index.url, activity)
    for url in urls + tries:
        status = index.http.get(url).status_code
        if status != 200:
            raise RuntimeError(f"{url} answered HTTP {status}; see {index.log_path}")
    return (
        f"--once: all {len(urls + tries)} URLs above answered 200. Stopping the node, the "
        "indexer and the API now: the URLs stop answering (run without --once to keep them)."
    )


def serve(options: DemoOptions, node: NodeRpc, index: RootstateRun) -> None:
    """Keep everything up, mining an empty block every ``mine_every`` seconds."""
    if options.once:
        return
    if options.exit_after is None:
        every = f"an empty block every {options.mine_every:g} s; " if options.mine_every else ""
        print(
            f"Running ({every}Ctrl-C or SIGTERM stops the node, the indexer and the API).",
            flush=True,
        )
    else:
        print(f"Serving for {options.exit_after:g} s, then exiting.", flush=True)
    miner = Miner(node, ANYONE_CAN_SPEND)
    end = None if options.exit_after is None else time.monotonic() + options.exit_after
    next_block = time.monotonic() + options.mine_every
    while end is None or time.monotonic() < end:
        time.sleep(0.2)
        if options.mine_every and time.monotonic() >= next_block:
            miner.mine(script=ANYONE_CAN_SPEND)
            next_block += options.mine_every
        if index.process.poll() in (0, -signal.SIGINT):
            return  # Ctrl-C reached `rootstate run` first: it stopped cleanly, so do we
        index.check_running()


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    terminated: list[int] = []

    def on_sigterm(signum: int, _frame: FrameType | None) -> None:
        # Unlike a terminal's Ctrl-C, SIGTERM reaches the demo alone: it stops the rest.
        terminated.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="rootstate-demo-"))
    regtest: RegtestNode | None = None
    index: RootstateRun | None = None
    interrupted = keep_logs = False
    try:
        # Core with its cookie file, as operators run it; btcd has only a user and password.
        auth = RpcAuth.COOKIE if options.node is NodeKind.BITCOIND else RpcAuth.PASSWORD
        regtest = RegtestNode(NodeConfig(options.node, workdir=workdir / "node", auth=auth))
        info = regtest.start()
        node = NodeRpc.connect(info)
        index = RootstateRun(info, workdir, options.api_port or free_loopback_ports(1)[0])
        activity = make_activity(node, index)
        amm = make_amm_activity(node, index.wait_for)
        print("\n".join(summary(options, info, index, activity, amm)), flush=True)
        if options.once:
            print(check_urls(index, activity), flush=True)
        serve(options, node, index)
    except KeyboardInterrupt:
        interrupted = True
        print("\nStopping.", flush=True)
    except (RuntimeError, FileNotFoundError) as exc:  # NodeStartError is a RuntimeError
        keep_logs = any(workdir.iterdir())
        kept = f"\n(logs kept in {workdir})" if keep_logs else ""
        print(f"demo: {exc}{kept}", file=sys.stderr)
        return 1
    finally:
        # Cleanup must run to its end: a second Ctrl-C or SIGTERM would leave the node behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # Ctrl-C reaches `rootstate run` too (same process group); it stops on its own.
        if index is not None:
            index.stop(signalled=interrupted and not terminated)
        if regtest is not None:
            regtest.stop()
        if not keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
