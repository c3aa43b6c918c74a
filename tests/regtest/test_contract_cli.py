"""``rootstate contract publish``, ``call`` and ``simulate`` as processes, on btcd and on
bitcoind, against ``rootstate run``: funding signed from a key file (BIP86 key path) and
from a single-key descriptor (``wpkh(WIF)``), the reveal by the envelope key, coins named
with ``--utxo`` (btcd has no scantxoutset), the node's script validation the judge. Core's
wallet as the signer is the tutorial's path (tests/regtest/test_tutorial.py).

The module is the committed AMM: its init stores two asset ids and a fee, and op 4
returns the reserves (all zero in an empty pool) with no asset sent in; op 9 is unknown
and aborts with code 103 (contracts/README.md).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from embit.ec import PrivateKey  # type: ignore[import-untyped]
from embit.networks import NETWORKS  # type: ignore[import-untyped]

from regtest.client import NodeRpc
from regtest.contract_inputs import example_module
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.node import NodeInfo, RegtestNode
from regtest.wallet import Wallet
from tests.regtest.e2e import module_node, serve_api, wait_until

pytestmark = pytest.mark.regtest

AMM = Path(__file__).resolve().parents[2] / "contracts" / "wasm" / "amm.wasm"
INIT = "asset:1:1 asset:1:2 u16:30"
RESERVES = "00" * (3 * 16) + "1e00"  # three zero u128, then fee_bps 30 as a u16


@pytest.fixture(scope="module")
def node(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegtestNode]:
    with module_node(node_kind, tmp_path_factory, "contract-cli") as started:
        yield started


def contract_command(
    info: NodeInfo, where: list[str], alice: Wallet, *args: str
) -> subprocess.CompletedProcess[str]:
    """``rootstate contract ARGS WHERE`` (``--indexer URL`` or ``--local --data-dir D``) as a
    process, mining a block every half second (regtest
    has no miner) until it ends; credentials through the environment, as an operator would."""
    env = {
        **os.environ,
        "ROOTSTATE_RPC_USER": info.rpc_user,
        "ROOTSTATE_RPC_PASSWORD": info.rpc_password,
    }
    argv = [sys.executable, "-m", "cli", "contract", *args, *where]
    node = ["--network", "regtest", "--rpc-url", info.rpc_url]
    chain = args[0] in ("publish", "call")
    process = subprocess.Popen(
        argv + node + (["--timeout", "120"] if chain else []),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 180
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        if chain:
            alice.mine()
    if process.poll() is None:
        process.kill()
    out, err = process.communicate()
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def test_publish_call_and_simulate_from_key_files(
    node: RegtestNode, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rpc = NodeRpc.connect(node.info)
    work = tmp_path_factory.mktemp("contract-cli")
    server, url = serve_api(node.info, work / "data", "run")
    try:
        run_scenario(node.info, rpc, url, work)
    finally:
        rpc.close()
        assert server.terminate() == 0, server.log_tail()


def run_scenario(info: NodeInfo, rpc: NodeRpc, url: str, work: Path) -> None:
    remote, local = ["--indexer", url], ["--local", "--data-dir", str(work / "data")]
    alice = Wallet(rpc, Key.derive("contract cli alice"))
    [taproot] = alice.fund(1)
    [segwit] = alice.fund(1, script=alice.p2wpkh_script)
    with httpx.Client(base_url=url, timeout=30) as api:
        wait_until(lambda: _indexed(api) >= rpc.block_count(), 60, "the index to catch up")
        funding_key = work / "funding.key"
        funding_key.write_text(alice.key.secret.hex())
        envelope_key = work / "envelope.key"
        envelope_key.write_text(Key.derive("contract cli envelope").secret.hex())
        published = contract_command(
            info, remote, alice, "publish", str(AMM), "--init", INIT,
            "--key-file", str(envelope_key),
            "--funding-key", str(funding_key), "--utxo", f"{taproot.coinbase.txid_hex}:0",
        )  # fmt: skip
        assert published.returncode == 0, published.stderr
        contract = published.stdout.strip()
        assert "waiting for" in published.stderr and "published contract" in published.stderr
        assert alice.key.secret.hex() not in published.stderr + published.stdout
        detail = api.get(f"/v1/contracts/{contract}").json()
        assert detail["code_hash"] == hashlib.sha256(example_module("amm")).hexdigest()

        descriptor = work / "funding.descriptor"
        wif = PrivateKey(alice.key.secret).wif(NETWORKS["regtest"])
        descriptor.write_text(f"wpkh({wif})")
        # Composed with the store `rootstate run` keeps, in this process: the same answers.
        called = contract_command(
            info, local, alice, "call", contract, "--input", "u8:4",
            "--funding-descriptor", str(descriptor), "--utxo", f"{segwit.coinbase.txid_hex}:0",
        )  # fmt: skip
        assert called.returncode == 0, called.stderr
        assert "through the local store" in called.stderr
        assert f"returns {RESERVES}" in called.stderr  # the simulation it was composed with
        tx = api.get(f"/v1/txs/{called.stdout.strip()}").json()
        assert tx["status"] == "accepted"
        assert [e["type"] for e in tx["events"] if e["type"] == "call"] == ["call"]
        assert wif not in called.stderr + called.stdout

        refused = contract_command(
            info, remote, alice, "call", contract, "--input", "u8:9",
            "--funding-key", str(funding_key), "--utxo", f"{taproot.coinbase.txid_hex}:0",
        )  # fmt: skip
        # The commit spent that coin: the command says so before composing anything.
        assert refused.returncode != 0
        assert "not an unspent output" in refused.stderr, refused.stderr

        change = f"{called.stdout.strip()}:0"  # the call's change, paid back to the descriptor
        failing = contract_command(
            info, remote, alice, "call", contract, "--input", "u8:9",
            "--funding-descriptor", str(descriptor), "--utxo", change,
        )  # fmt: skip
        assert failing.returncode == 1
        assert "would_be_rejected" in failing.stderr and "code 103" in failing.stderr
        # Refused before anything was signed or sent: the coin it would spend is unspent.
        assert rpc.call("gettxout", called.stdout.strip(), 0) is not None

        interrupted_while_waiting(info, remote, [str(descriptor), str(envelope_key)], change)

        simulated = contract_command(info, remote, alice, "simulate", contract, "--input", "u8:9")
        assert simulated.returncode == 1
        assert "rejected: contract_abort, abort code 103" in simulated.stdout
        simulated = contract_command(info, local, alice, "simulate", contract, "--input", "u8:4")
        assert simulated.returncode == 0 and f"returns {RESERVES}" in simulated.stdout
        # The local chain of `check` is the same machine: op 4 on the same state, same fuel.
        live = re.search(r"fuel (\d[\d,]*\d)", simulated.stdout)
        checked = subprocess.run(
            [sys.executable, "-m", "cli", "contract", "check", str(AMM), "--init", INIT,
             "--input", "u8:4"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert live is not None and f"call(u8:4): fuel {live[1]} " in checked.stdout


def interrupted_while_waiting(info: NodeInfo, where: list[str], keys: list[str], coin: str) -> None:
    """SIGINT while publish waits for a block nobody mines: it stops at once, exit 130,
    saying the transactions were broadcast."""
    env = {
        **os.environ,
        "ROOTSTATE_RPC_USER": info.rpc_user,
        "ROOTSTATE_RPC_PASSWORD": info.rpc_password,
    }
    argv = [
        sys.executable, "-m", "cli", "contract", "publish", str(AMM), "--init", INIT, *where,
        "--key-file", keys[1], "--funding-descriptor", keys[0], "--utxo", coin,
        "--network", "regtest", "--rpc-url", info.rpc_url,
    ]  # fmt: skip
    process = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith("waiting for"):
            break
    process.send_signal(signal.SIGINT)
    stopped_at = time.monotonic()
    rest = process.communicate(timeout=30)[1]
    assert process.returncode == 130, "".join(seen) + rest
    assert time.monotonic() - stopped_at < 5
    assert "stopped waiting" in rest and "was broadcast" in rest


def _indexed(api: httpx.Client) -> int:
    indexed = api.get("/v1/status").json().get("indexed")
    return -1 if indexed is None else int(indexed["height"])
