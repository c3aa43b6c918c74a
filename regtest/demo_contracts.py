"""The demo's contract activity: two tokens, the example AMM published for them by envelope,
liquidity added, a swap each way, and the request that simulates one more swap."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from regtest.client import NodeRpc
from regtest.contract_inputs import amm_add, amm_init, amm_swap, example_module
from regtest.contracts import call_contract, publish_contract
from regtest.keys import Key
from regtest.mining import Block
from regtest.payloads import (
    AssetRef,
    ContractRef,
    TokenRef,
    contract_of,
    deploy_issuer,
    message,
    token_of,
    token_text,
)
from regtest.scene import Scene
from regtest.spend import Coin
from regtest.tx import Tx, TxOut
from regtest.wallet import Wallet

DUST = 1_000
FEE_BPS = 30
LIQUIDITY = (1_000_000, 4_000_000)
SWAP_A, SWAP_B = 10_000, 30_000
#: The swap the printed request simulates.
SIMULATED_SWAP = 5_000


@dataclass(frozen=True)
class AmmActivity:
    amm: ContractRef
    token_a: TokenRef
    token_b: TokenRef
    trader: str
    swaps: tuple[Tx, Tx]
    #: The JSON body of ``POST /v1/contracts/{id}/simulate`` for one more swap.
    simulate_body: dict[str, Any]

    @property
    def amm_text(self) -> str:
        return token_text(self.amm)


def _asset_text(ref: AssetRef) -> str:
    return ":".join(str(part) for part in ref)


def make_amm_activity(node: NodeRpc, wait_for: Callable[[Block], None]) -> AmmActivity:
    """Four blocks: deploy USDX and EURX (premines to the trader), publish the AMM for the
    pair, add liquidity, then swap USDX for EURX and EURX back, each block indexed."""
    alice = Wallet(node, Key.derive("demo-amm-alice"))
    trader = Wallet(node, Key.derive("demo-amm-trader"))
    alice.fund(1)
    scene = Scene(node, alice, [trader])
    to_trader = TxOut(DUST, trader.p2tr_script)

    def premine(ticker: str) -> Tx:
        deploy = deploy_issuer(ticker, 10**12, 1, 10**9, 1)
        return scene.add(alice.op_return(message(deploy), extra_outputs=[to_trader]))

    deploy_a, deploy_b = premine("USDX"), premine("EURX")
    scene.mine()
    token_a, token_b = token_of(node, deploy_a), token_of(node, deploy_b)

    published = publish_contract(
        alice, example_module("amm"), init=amm_init(token_a, token_b, FEE_BPS)
    )
    scene.add(*published.txs)
    scene.mine()
    amm = contract_of(node, published.carrier_tx)

    def trade(data: bytes, assets: list[tuple[AssetRef, int]], coins: list[Coin]) -> Tx:
        txs = call_contract(alice, amm, data, assets=assets, spend=coins, outputs=[to_trader])
        scene.add(*txs.txs)
        wait_for(scene.mine())
        return txs.carrier_tx

    coins = [trader.coins[deploy_a.outpoint(1)], trader.coins[deploy_b.outpoint(1)]]
    both = [(token_a, LIQUIDITY[0]), (token_b, LIQUIDITY[1])]
    added = trade(amm_add(0, 0), list(both), coins)
    a_to_b = trade(amm_swap(1, 0), [(token_a, SWAP_A)], [trader.coins[added.outpoint(0)]])
    b_to_a = trade(amm_swap(1, 0), [(token_b, SWAP_B)], [trader.coins[a_to_b.outpoint(0)]])
    body = {
        "input": amm_swap(1, 0).hex(),
        "assets": [{"asset": _asset_text(token_a), "amount": str(SIMULATED_SWAP)}],
        "outputs": [{"address": trader.p2tr_address, "value": DUST}],
    }
    return AmmActivity(amm, token_a, token_b, trader.p2tr_address, (a_to_b, b_to_a), body)


def simulate_curl(url: str, activity: AmmActivity) -> str:
    """The shell line that asks the API what one more swap would do, without sending it."""
    body = json.dumps(activity.simulate_body, separators=(",", ":"))
    target = f"{url}/v1/contracts/{activity.amm_text}/simulate"
    return f"curl -s -X POST -H 'content-type: application/json' -d {shlex.quote(body)} {target}"
