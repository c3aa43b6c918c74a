"""End to end on both node kinds: a token UTXO sold for BTC by a signed offer (spec/OFFERS.md).

The seller's issuer deploy puts its premine and authority on a P2TR output; the seller
composes an offer through the API and signs it with embit's BIP340 signer over BIP341's
message as regtest/sighash.py computes it (embit 0.8.0's own PSBT signer gets the
ANYONECANPAY message wrong). A buyer takes it: on btcd a key of the test's, signed by
embit's PSBT signer; on bitcoind Bitcoin Core's own wallet (walletprocesspsbt), on a node
started with the wallet enabled. The node's script validation judges both signatures; the
API then shows the tokens and the authority on the buyer's output 0, the seller paid.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from embit.ec import PrivateKey  # type: ignore[import-untyped]
from embit.finalizer import finalize_psbt  # type: ignore[import-untyped]
from embit.psbt import PSBT  # type: ignore[import-untyped]
from embit.script import Witness  # type: ignore[import-untyped]

from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.node import NodeConfig, RegtestNode
from regtest.payloads import deploy_issuer, message, token_of
from regtest.rpc import RpcClient
from regtest.sighash import TaprootSighasher
from regtest.tx import Tx, TxOut
from regtest.wallet import Wallet
from tests.regtest.e2e import serve_api, wait_until

pytestmark = pytest.mark.regtest

TICKER = "OFFERED"
PREMINE = 5_000
PRICE = 250_000
TOKEN_VALUE = 1_000


@pytest.fixture(scope="module")
def node(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegtestNode]:
    # The harness disables Core's wallet; the buyer on bitcoind is Core's wallet, so the
    # later -disablewallet=0 (the last value of an option wins) turns it back on.
    extra = ("-disablewallet=0",) if node_kind is NodeKind.BITCOIND else ()
    workdir = tmp_path_factory.mktemp("e2e-offers")
    started = RegtestNode(NodeConfig(node_kind, workdir=workdir, extra_args=extra))
    started.start()
    try:
        yield started
    finally:
        started.stop()


def synced(api: httpx.Client, height: int) -> bool:
    indexed = api.get("/v1/status").json().get("indexed")
    return indexed is not None and indexed["height"] >= height


def sign_offer(answer: dict[str, Any], key: Key) -> str:
    psbt = PSBT.from_string(answer["psbt"])
    tx = Tx.parse(psbt.tx.serialize())
    [scope] = psbt.inputs
    spent = [TxOut(scope.witness_utxo.value, scope.witness_utxo.script_pubkey.data)]
    digest = TaprootSighasher(tx, spent).digest(0, 0x83)
    assert answer["digest"] == digest.hex()
    signature = PrivateKey(key.secret).taproot_tweak(b"").schnorr_sign(digest).serialize()
    scope.final_scriptwitness = Witness([signature + b"\x83"])
    text: str = psbt.to_string()
    return text


def test_an_offer_is_taken_by_a_buyer_and_mined(
    node: RegtestNode, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rpc = NodeRpc.connect(node.info)
    server, url = serve_api(node.info, tmp_path_factory.mktemp("e2e-offers-data"), "run")
    try:
        with httpx.Client(base_url=url, timeout=60) as api:
            run_scenario(rpc, api, node)
    finally:
        rpc.close()
        assert server.terminate() == 0, server.log_tail()


def run_scenario(rpc: NodeRpc, api: httpx.Client, node: RegtestNode) -> None:
    seller = Wallet(rpc, Key.derive("e2e offer seller"))
    seller.fund(1)
    payload = message(deploy_issuer(TICKER, 10**6, 1, PREMINE, 1))
    deploy = seller.op_return(payload, extra_outputs=[TxOut(TOKEN_VALUE, seller.p2tr_script)])
    seller.broadcast(deploy)
    seller.mine()
    token = token_of(rpc, deploy)
    token_id = f"{token[0]}:{token[1]}"
    wait_until(lambda: synced(api, rpc.block_count()), 120, "the index to include the deploy")

    offered = f"{deploy.txid_hex}:1"
    composed = api.post(
        "/v1/compose/offer",
        json={
            "outpoint": offered,
            "value": TOKEN_VALUE,
            "address": seller.p2tr_address,
            "price": PRICE,
            "pay_to": seller.p2wpkh_address,
        },
    )
    assert composed.status_code == 200, composed.text
    submitted = api.post("/v1/offers", json={"psbt": sign_offer(composed.json(), seller.key)})
    assert submitted.status_code == 200, submitted.text
    listed = api.get("/v1/offers", params={"token": TICKER}).json()["offers"]
    assert [(o["outpoint"], o["price"], o["authorities"]) for o in listed] == [
        (offered, PRICE, [token_id])
    ]

    if node.info.kind is NodeKind.BITCOIND:
        raw, receive = take_with_core(rpc, api, node, seller, offered)
    else:
        raw, receive = take_with_embit(rpc, api, seller, offered)
    txid = rpc.call("sendrawtransaction", raw)
    seller.mine()
    wait_until(lambda: synced(api, rpc.block_count()), 60, "the index to include the trade")

    bought = api.get(f"/v1/outpoints/{txid}:0").json()
    assert [(b["token"], b["amount"]) for b in bought["balances"]] == [(token_id, str(PREMINE))]
    assert bought["authorities"] == [token_id]
    assert bought["address"] == receive
    mined = rpc.get_raw_transaction(txid)
    assert mined.outputs[1] == TxOut(PRICE, seller.p2wpkh_script)  # the seller is paid
    assert api.get(f"/v1/outpoints/{offered}").json()["balances"] == []
    assert api.get("/v1/offers", params={"token": TICKER}).json()["offers"] == []
    assert api.get(f"/v1/offers/{offered}").status_code == 404
    assert api.get(f"/v1/tokens/{TICKER}").json()["authority"] == f"{txid}:0"


def _take(api: httpx.Client, offered: str, body: dict[str, Any]) -> dict[str, Any]:
    taken = api.post(f"/v1/offers/{offered}/take", json={**body, "fee_rate": 2})
    assert taken.status_code == 200, taken.text
    completion: dict[str, Any] = taken.json()
    assert completion["outputs"][0]["authorities"] == [
        completion["outputs"][0]["balances"][0]["token"]
    ]
    return completion


def take_with_embit(
    rpc: NodeRpc, api: httpx.Client, seller: Wallet, offered: str
) -> tuple[str, str]:
    buyer = Wallet(rpc, Key.derive("e2e offer buyer"))
    grant = seller.pay(buyer.p2tr_script, 10 * PRICE)
    seller.broadcast(grant)
    seller.mine()
    buyer.accept(grant)
    [coin] = buyer.coins.values()
    funding = {
        "outpoint": f"{coin.outpoint.txid_hex}:{coin.outpoint.vout}",
        "value": coin.value,
        "address": buyer.p2tr_address,
    }
    completion = _take(
        api,
        offered,
        {"funding": [funding], "address": buyer.p2tr_address, "change_address": buyer.p2tr_address},
    )
    psbt = PSBT.from_string(completion["psbt"])
    assert psbt.sign_with(PrivateKey(buyer.key.secret)) == 1  # the seller's input is final
    signed: str = finalize_psbt(psbt).serialize().hex()
    return signed, buyer.p2tr_address


def take_with_core(
    rpc: NodeRpc, api: httpx.Client, node: RegtestNode, seller: Wallet, offered: str
) -> tuple[str, str]:
    # createwallet fails with "Method not found" if -disablewallet=0 did not take effect.
    rpc.call("createwallet", "buyer")
    info = node.info
    wallet = RpcClient(f"{info.rpc_url.rstrip('/')}/wallet/buyer", info.rpc_user, info.rpc_password)
    try:
        receive = wallet.call("getnewaddress", "", "bech32m")
        script = bytes.fromhex(wallet.call("getaddressinfo", receive)["scriptPubKey"])
        grant = seller.pay(script, 10 * PRICE)
        seller.broadcast(grant)
        seller.mine()
        [utxo] = wallet.call("listunspent", 1)
        funding = {
            "outpoint": f"{utxo['txid']}:{utxo['vout']}",
            "value": round(utxo["amount"] * 100_000_000),
            "script_pubkey": utxo["scriptPubKey"],
        }
        change = wallet.call("getrawchangeaddress", "bech32m")
        completion = _take(
            api, offered, {"funding": [funding], "address": receive, "change_address": change}
        )
        processed = wallet.call("walletprocesspsbt", completion["psbt"], True, "DEFAULT")
        assert processed["complete"], processed
        final = wallet.call("finalizepsbt", processed["psbt"], True)
        assert final["complete"], final
        raw: str = final["hex"]
        decoded = rpc.call("decoderawtransaction", raw)
        assert decoded["txid"] == completion["txid"]
        return raw, receive
    finally:
        wallet.close()
