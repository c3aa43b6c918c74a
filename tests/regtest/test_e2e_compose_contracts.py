"""End to end, wallet side: the AMM published and called using nothing but the PSBTs the API
composes, signed by a standard PSBT signer (embit), on a real node indexed by ``rootstate
run``.

The commit's funding inputs and the call's inputs are key-path spends embit signs as any
wallet would; the reveal's script-path input is signed from the BIP371 fields in its PSBT
alone (the leaf script, control block, internal key and merkle root; embit computes the
BIP341 script-path sighash), its final witness set by hand from those same fields, since
embit's finalizer knows no tapscript. The node's script validation is the judge of the
signatures; on bitcoind, Core's decodepsbt also reads both PSBTs' taproot fields back.
Expected values are worked out by hand from contracts/README.md: adding 1,000,000 A and
4,000,000 B to the empty pool mints isqrt(4 * 10^12) = 2,000,000 shares, 1,000 of them
locked in custody.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from embit.ec import PrivateKey  # type: ignore[import-untyped]
from embit.finalizer import finalize_psbt  # type: ignore[import-untyped]
from embit.psbt import PSBT  # type: ignore[import-untyped]
from embit.script import Witness  # type: ignore[import-untyped]

from regtest.client import NodeRpc
from regtest.contract_inputs import LP_SUB, amm_add, amm_init, example_module
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.node import RegtestNode
from regtest.payloads import TokenRef, contract_of, deploy_issuer, message, token_of
from regtest.tx import OutPoint, Tx, TxOut
from regtest.wallet import Wallet
from tests.regtest.e2e import module_node, serve_api, wait_until

pytestmark = pytest.mark.regtest

DUST = 1_000
PREMINE = 10**9
FEE_BPS = 30
ADD_A, ADD_B = 1_000_000, 4_000_000
SHARES, LOCKED = 2_000_000, 1_000
#: BIP341's unspendable point H, the envelope's internal key (from the BIP's text).
NUMS = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"


@pytest.fixture(scope="module")
def node(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegtestNode]:
    with module_node(node_kind, tmp_path_factory, "e2e-compose") as started:
        yield started


def ident(ref: tuple[int, ...]) -> str:
    return ":".join(str(part) for part in ref)


def synced(http: httpx.Client, height: int) -> bool:
    indexed = http.get("/v1/status").json().get("indexed")
    return indexed is not None and indexed["height"] >= height


def sign_key_paths(psbt_b64: str, key: Key) -> Tx:
    """Sign every input with embit as a wallet would (key path: each spends the key's
    BIP86-style output) and finalize with embit."""
    psbt = PSBT.from_string(psbt_b64)
    assert psbt.sign_with(PrivateKey(key.secret)) == len(psbt.inputs)
    return Tx.parse(finalize_psbt(psbt).serialize())


def sign_reveal(psbt_b64: str, key: Key) -> Tx:
    """Sign the script-path input from the PSBT's BIP371 fields alone, then finalize it
    from them: witness = signature, leaf script, control block (BIP341)."""
    psbt = PSBT.from_string(psbt_b64)
    [scope] = psbt.inputs
    assert psbt.sign_with(PrivateKey(key.secret)) == 1
    assert scope.final_scriptwitness is None  # a script-path signature, never the key path
    [sig] = scope.taproot_sigs.values()
    [(control, leaf)] = scope.taproot_scripts.items()
    assert leaf[-1] == 0xC0 and len(sig) == 64  # tapscript; SIGHASH_DEFAULT adds no byte
    # The finalizer's part (BIP174): the final witness, which embit's extractor then takes.
    scope.final_scriptwitness = Witness([sig, leaf[:-1], control])
    return Tx.parse(finalize_psbt(psbt).serialize())


def test_publish_and_call_the_amm_from_composed_psbts(
    node: RegtestNode, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rpc = NodeRpc.connect(node.info)
    server, url = serve_api(node.info, tmp_path_factory.mktemp("e2e-compose-data"), "run")
    try:
        with httpx.Client(base_url=url, timeout=60) as api:
            run_scenario(rpc, api, node.info.kind)
    finally:
        rpc.close()
        assert server.terminate() == 0, server.log_tail()


def _coin(wallet: Wallet, outpoint: OutPoint, tokens: list[str]) -> dict[str, Any]:
    return {
        "outpoint": f"{outpoint.txid_hex}:{outpoint.vout}",
        "value": wallet.coins[outpoint].value,
        "address": wallet.p2tr_address,
        "tokens": tokens,
    }


def _mine_and_sync(alice: Wallet, rpc: NodeRpc, api: httpx.Client, what: str) -> None:
    alice.mine()
    wait_until(lambda: synced(api, rpc.block_count()), 60, what)


def run_scenario(rpc: NodeRpc, api: httpx.Client, kind: NodeKind) -> None:
    alice = Wallet(rpc, Key.derive("e2e compose alice"))
    alice.fund(1)
    # Two tokens premined to alice's output 1, their authorities bound to output 2.
    to_alice = [TxOut(DUST, alice.p2tr_script)] * 2
    deploys = []
    for ticker in ("CMPA", "CMPB"):
        deploy = alice.op_return(
            message(deploy_issuer(ticker, 10**12, 2, PREMINE, 1)), extra_outputs=to_alice
        )
        alice.broadcast(deploy)
        deploys.append(deploy)
    _mine_and_sync(alice, rpc, api, "the index to include the deploys")
    token_a, token_b = (token_of(rpc, d) for d in deploys)
    amm = publish(rpc, api, alice, (token_a, token_b), deploys, kind=kind)
    add_liquidity(rpc, api, alice, amm=amm, tokens=(token_a, token_b), deploys=deploys)


def _plain_coin(alice: Wallet, deploys: list[Tx]) -> OutPoint:
    """Alice's largest coin carrying no token (not a deploy's output 1 or 2)."""
    held = {d.outpoint(vout) for d in deploys for vout in (1, 2)}
    plain = [c for c in alice.coins.values() if c.outpoint not in held]
    return max(plain, key=lambda c: c.value).outpoint


def core_reads_the_taproot_fields(rpc: NodeRpc, answer: dict[str, Any]) -> None:
    """Bitcoin Core's own PSBT decoder reads the BIP371 fields back (it rebuilds the tap
    tree and refuses one that does not complete)."""
    leaf, control = answer["leaf_script"], answer["control_block"]
    [spending] = rpc.call("decodepsbt", answer["reveal"]["psbt"])["inputs"]
    assert spending["taproot_scripts"] == [
        {"script": leaf, "leaf_ver": 0xC0, "control_blocks": [control]}
    ]
    assert spending["taproot_internal_key"] == control[2:] == NUMS
    assert spending["taproot_merkle_root"] == answer["tapleaf_hash"]
    paid = rpc.call("decodepsbt", answer["commit"]["psbt"])["outputs"][0]
    assert paid["taproot_internal_key"] == NUMS
    assert paid["taproot_tree"] == [{"depth": 0, "leaf_ver": 0xC0, "script": leaf}]


def publish(
    rpc: NodeRpc,
    api: httpx.Client,
    alice: Wallet,
    tokens: tuple[TokenRef, TokenRef],
    deploys: list[Tx],
    *,
    kind: NodeKind,
) -> tuple[int, int]:
    module = example_module("amm")
    token_a, token_b = tokens
    body = {
        "code": module.hex(),
        "init": amm_init(token_a, token_b, FEE_BPS).hex(),
        "pubkey": alice.key.xonly.hex(),
        "funding": [_coin(alice, _plain_coin(alice, deploys), [])],
        "change_address": alice.p2tr_address,
        "fee_rate": 2,
    }
    composed = api.post("/v1/compose/publish", json=body)
    assert composed.status_code == 200, composed.text
    answer = composed.json()
    if kind is NodeKind.BITCOIND:
        core_reads_the_taproot_fields(rpc, answer)
    commit = sign_key_paths(answer["commit"]["psbt"], alice.key)
    reveal = sign_reveal(answer["reveal"]["psbt"], alice.key)
    assert (commit.txid_hex, reveal.txid_hex) == (
        answer["commit"]["txid"],
        answer["reveal"]["txid"],
    )
    assert commit.vsize <= answer["commit"]["vsize"] and reveal.vsize <= answer["reveal"]["vsize"]
    alice.broadcast(commit)
    alice.broadcast(reveal)  # the node checks the script-path signature and the control block
    _mine_and_sync(alice, rpc, api, "the index to include the publish")
    contract = contract_of(rpc, reveal)
    detail = api.get(f"/v1/contracts/{ident(contract)}")
    assert detail.status_code == 200, detail.text
    got = detail.json()
    assert got["code_hash"] == hashlib.sha256(module).hexdigest()
    assert got["code_size"] == len(module) and got["created_by"] == "publish"
    assert got["txid"] == reveal.txid_hex
    tx = api.get(f"/v1/txs/{reveal.txid_hex}").json()
    assert tx["status"] == "accepted"
    return contract


def add_liquidity(
    rpc: NodeRpc,
    api: httpx.Client,
    alice: Wallet,
    *,
    amm: tuple[int, int],
    tokens: tuple[TokenRef, TokenRef],
    deploys: list[Tx],
) -> None:
    a, b = ident(tokens[0]), ident(tokens[1])
    fee_coin = _plain_coin(alice, deploys)
    body = {
        "contract": ident(amm),
        "input": amm_add(1, 0).hex(),
        "assets": [{"asset": a, "amount": str(ADD_A)}, {"asset": b, "amount": str(ADD_B)}],
        "funding": [
            _coin(alice, deploys[0].outpoint(1), [a]),
            _coin(alice, deploys[1].outpoint(1), [b]),
            _coin(alice, fee_coin, []),
        ],
        "change_address": alice.p2tr_address,
        "fee_rate": 2,
    }
    composed = api.post("/v1/compose/call", json=body)
    assert composed.status_code == 200, composed.text
    answer = composed.json()
    assert answer["simulation"]["accepted"] is True
    call = sign_key_paths(answer["psbt"], alice.key)
    assert call.txid_hex == answer["txid"]
    alice.broadcast(call)
    _mine_and_sync(alice, rpc, api, "the index to include the call")
    assert api.get(f"/v1/txs/{call.txid_hex}").json()["status"] == "accepted"
    lp = ident((*amm, LP_SUB))
    detail = api.get(f"/v1/contracts/{ident(amm)}").json()
    held = {e["asset"]: e["amount"] for e in detail["assets_held"]}
    assert held == {a: str(ADD_A), b: str(ADD_B), lp: str(LOCKED)}
    assert detail["issued"] == [
        {"asset": lp, "minted": str(SHARES), "burned": "0", "supply": str(SHARES)}
    ]
    # The change (output 0) got the shares and what was not sent in.
    change = api.get(f"/v1/outpoints/{call.txid_hex}:0").json()
    assert {x["token"]: x["amount"] for x in change["balances"]} == {
        a: str(PREMINE - ADD_A),
        b: str(PREMINE - ADD_B),
        lp: str(SHARES - LOCKED),
    }
