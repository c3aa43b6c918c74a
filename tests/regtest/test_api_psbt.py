"""End to end through the API: ``rootstate run`` indexes a real node and serves HTTP; a PSBT it
composes is signed with the test's own key, broadcast, mined, and the balances it then
reports have moved.

The token is deployed by the regtest wallet (payload by hand, regtest/payloads.py); the
transfer is composed by the API, decoded with the tests' own BIP174 reader, signed by
regtest.spend (BIP341 sighash of its own), and accepted by the node's script validation.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.node import RegtestNode, free_loopback_ports
from regtest.payloads import deploy_issuer, message, token_of
from regtest.spend import sign_inputs
from regtest.tx import OutPoint, Tx, TxOut
from regtest.wallet import Wallet
from tests.api.psbt_reader import read_psbt
from tests.regtest.e2e import ROOTSTATE_COMMAND, module_node, wait_until

pytestmark = pytest.mark.regtest

TICKER = "PSBTAPI"
PREMINE = 1_000


@pytest.fixture(scope="module")
def node(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegtestNode]:
    with module_node(node_kind, tmp_path_factory, "api-psbt") as started:
        yield started


@pytest.fixture
def api(node: RegtestNode, tmp_path: Path) -> Iterator[httpx.Client]:
    """``rootstate run`` (indexer and API in one process) against the node."""
    info = node.info
    (port,) = free_loopback_ports(1)
    env = {**os.environ, "ROOTSTATE_RPC_USER": info.rpc_user}
    env["ROOTSTATE_RPC_PASSWORD"] = info.rpc_password
    argv = [
        str(ROOTSTATE_COMMAND),
        "--network=regtest",
        f"--data-dir={tmp_path / 'data'}",
        f"--rpc-url={info.rpc_url}",
        "--poll-seconds=0.1",
        f"--api-port={port}",
        "run",
    ]
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield http
        process.terminate()
        assert process.wait(60) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def synced(http: httpx.Client, height: int) -> bool:
    try:
        status = http.get("/v1/status").json()
    except httpx.TransportError:
        return False
    indexed = status.get("indexed")
    return indexed is not None and indexed["height"] >= height


def test_a_composed_transfer_is_signed_mined_and_reported(
    node: RegtestNode, api: httpx.Client
) -> None:
    rpc = NodeRpc.connect(node.info)
    try:
        run_scenario(rpc, api)
    finally:
        rpc.close()


def run_scenario(rpc: NodeRpc, api: httpx.Client) -> None:
    alice = Wallet(rpc, Key.derive("api psbt alice"))
    bob = Wallet(rpc, Key.derive("api psbt bob"))
    alice.fund(1)
    # Premine and authority on output 1, which pays alice.
    payload = message(deploy_issuer(TICKER, 10**6, 1, PREMINE, 1))
    deploy = alice.op_return(payload, extra_outputs=[TxOut(1_000, alice.p2tr_script)])
    alice.broadcast(deploy)
    alice.mine()
    token = token_of(rpc, deploy)
    token_id = f"{token[0]}:{token[1]}"
    wait_until(lambda: synced(api, rpc.block_count()), 120, "the index to reach the node's tip")

    held = api.get(f"/v1/addresses/{alice.p2tr_address}/balances").json()
    assert [(b["token"], b["amount"]) for b in held["balances"]] == [(token_id, str(PREMINE))]
    token_outpoint = f"{deploy.txid_hex}:1"
    assert [o["outpoint"] for o in held["outpoints"]] == [token_outpoint]
    fee_coin = next(c for c in alice.coins.values() if c.outpoint != OutPoint(deploy.txid, 1))

    def funding(outpoint: OutPoint, tokens: list[str]) -> dict[str, Any]:
        coin = alice.coins[outpoint]
        return {
            "outpoint": f"{outpoint.txid_hex}:{outpoint.vout}",
            "value": coin.value,
            "address": alice.p2tr_address,
            "tokens": tokens,
        }

    body = {
        "funding": [
            funding(OutPoint(deploy.txid, 1), [token_id]),
            funding(fee_coin.outpoint, []),
        ],
        "transfers": [{"token": TICKER, "amount": 400, "address": bob.p2tr_address}],
        "change_address": alice.p2tr_address,
        "fee_rate": 2,
    }
    # Leaving the token out of the declaration is refused: it would move undeclared tokens.
    undeclared = {**body, "funding": [funding(OutPoint(deploy.txid, 1), [])]}
    refused = api.post("/v1/compose/transfer", json=undeclared)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "undeclared_tokens"

    composed = api.post("/v1/compose/transfer", json=body)
    assert composed.status_code == 200, composed.text
    answer = composed.json()
    psbt = read_psbt(answer["psbt"])
    unsigned = Tx.parse(psbt.unsigned)
    coins = [alice.coins[txin.prevout] for txin in unsigned.inputs]
    for index, coin in enumerate(coins):
        assert psbt.witness_utxo(index) == (coin.value, coin.output.script_pubkey)
    signed = sign_inputs(unsigned, coins)
    assert signed.vsize <= answer["vsize"]
    assert answer["fee"] >= 2 * signed.vsize
    assert signed.txid_hex == answer["txid"]
    alice.broadcast(signed)
    alice.mine()
    wait_until(lambda: synced(api, rpc.block_count()), 60, "the index to include the transfer")

    outpoint = api.get(f"/v1/outpoints/{signed.txid_hex}:1").json()
    assert [(b["token"], b["amount"]) for b in outpoint["balances"]] == [(token_id, "400")]
    assert outpoint["address"] == bob.p2tr_address
    change = api.get(f"/v1/outpoints/{signed.txid_hex}:2").json()
    assert [(b["token"], b["amount"]) for b in change["balances"]] == [(token_id, "600")]
    assert change["authorities"] == [token_id]  # the issuer authority stayed with alice
    assert api.get(f"/v1/outpoints/{token_outpoint}").json()["balances"] == []
    bob_held = api.get(f"/v1/addresses/{bob.p2tr_address}/balances").json()["balances"]
    assert [(b["token"], b["amount"]) for b in bob_held] == [(token_id, "400")]
    holders = api.get(f"/v1/tokens/{TICKER}/holders").json()
    assert [h["amount"] for h in holders["holders"]] == ["600", "400"]
    tx = api.get(f"/v1/txs/{signed.txid_hex}").json()
    assert tx["status"] == "accepted"
    assert tx["message"]["operations"] == [
        {"op": "transfer", "token": token_id, "amount": "400", "output": 1}
    ]

    def node_known() -> bool:
        return bool(api.get("/v1/status").json()["node"]["height"] == rpc.block_count())

    wait_until(node_known, 30, "the API to learn the node's height")
    status = api.get("/v1/status").json()
    assert status["lag_blocks"] == 0 and status["sync_progress"] == 1.0
    assert api.get("/readyz").status_code == 200
    metrics = api.get("/metrics").text
    assert "rootstate_indexer_up 1.0" in metrics
    assert "rootstate_lag_blocks 0.0" in metrics
