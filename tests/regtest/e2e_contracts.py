"""The contracts' end-to-end chain (tests/regtest/test_e2e_contracts.py) and readers of the
contract state the indexer stored.

State keys are written out by hand from spec §14.3 and decoded with cbor2, never with the
protocol package; every expected amount in the tests is worked out by hand from
contracts/README.md's formulas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cbor2

from indexer.store_view import StoreView
from regtest.client import NodeRpc
from regtest.contract_inputs import (
    amm_add,
    amm_init,
    amm_remove,
    amm_swap,
    example_module,
    otc_offer,
    otc_take,
    vesting_fund,
    vesting_init,
    vesting_release,
)
from regtest.contracts import call_contract, publish_contract
from regtest.keys import Key
from regtest.payloads import (
    AssetRef,
    ContractRef,
    TokenRef,
    asset_id,
    contract_of,
    deploy_issuer,
    message,
    token_of,
)
from regtest.scene import Scene
from regtest.spend import Coin
from regtest.tx import OutPoint, Tx, TxOut
from regtest.wallet import Wallet

# spec §14.3 state key prefixes and §20 event types / keys: by hand.
CONTRACT_PREFIX, CODE_PREFIX, STORAGE_PREFIX, CUSTODY_PREFIX, ASSET_PREFIX = (
    bytes([p]) for p in (4, 5, 6, 7, 8)
)
UTXO_PREFIX = b"\x01"
PUBLISH, CALL, DEPOSIT, SEND, ISSUE = 8, 10, 11, 12, 13
E_DETAIL, E_CONTRACT, E_CODE_HASH = 9, 12, 13
CONTRACT_ABORT = 40

DUST = 1_000
PREMINE = 10**9
FEE_BPS = 30
LIQUIDITY = (1_000_000, 4_000_000)
VESTED_TOTAL = 600_000
OFFER_AMOUNT, OFFER_PRICE = 50_000, 30_000
#: Vesting heights relative to the block that funds it (its start).
CLIFF_AFTER, END_AFTER = 2, 6


def contract_bytes(ref: ContractRef) -> bytes:
    return ref[0].to_bytes(4, "big") + ref[1].to_bytes(4, "big")


def wide(ref: AssetRef) -> bytes:
    """An asset id as a custody key holds it: 12 bytes, a token's followed by 4 zeros."""
    return asset_id(ref).ljust(12, b"\x00")


def contract_record(view: StoreView, ref: ContractRef) -> dict[int, object] | None:
    raw = view.get(CONTRACT_PREFIX + contract_bytes(ref))
    if raw is None:
        return None
    record: dict[int, object] = cbor2.loads(raw)
    return record


def custody(view: StoreView, ref: ContractRef) -> dict[bytes, int]:
    """What the contract holds, by 12-byte asset id."""
    prefix = CUSTODY_PREFIX + contract_bytes(ref)
    return {key[9:]: int(cbor2.loads(raw)) for key, raw in view.state_items(prefix)}


def storage(view: StoreView, ref: ContractRef, key: bytes) -> bytes | None:
    return view.get(STORAGE_PREFIX + contract_bytes(ref) + key)


def slot(n: int) -> bytes:
    """contracts/README.md: ``Key.slot(n)`` is 31 zero bytes, then n."""
    return bytes(31) + bytes([n])


def amm_reserves(view: StoreView, amm: ContractRef) -> tuple[int, int, int]:
    """(reserve A, reserve B, LP supply): the AMM's slot 2, three u128 little-endian."""
    raw = storage(view, amm, slot(2))
    assert raw is not None and len(raw) == 48, raw
    ra, rb, supply = (int.from_bytes(raw[i : i + 16], "little") for i in (0, 16, 32))
    return ra, rb, supply


def issued_record(view: StoreView, ref: AssetRef) -> tuple[int, int] | None:
    """(minted, burned) of a contract asset (its ``08`` record)."""
    raw = view.get(ASSET_PREFIX + asset_id(ref))
    if raw is None:
        return None
    record: dict[int, int] = cbor2.loads(raw)
    return record[0], record[1]


def outstanding(view: StoreView, ref: AssetRef) -> int:
    """spec §14.4's right-hand side: the asset on every output plus in every custody."""
    wanted, total = asset_id(ref), 0
    for _key, raw in view.state_items(UTXO_PREFIX):
        for held, amount in cbor2.loads(raw).get(0, []):
            total += int(amount) if bytes(held) == wanted else 0
    for key, raw in view.state_items(CUSTODY_PREFIX):
        total += int(cbor2.loads(raw)) if key[9:] == wide(ref) else 0
    return total


@dataclass
class ContractStory:
    """Names of what the builder put on chain, for the tests to look up."""

    token_a: TokenRef
    token_b: TokenRef
    contracts: dict[str, ContractRef] = field(default_factory=dict)
    txs: dict[str, Tx] = field(default_factory=dict)
    heights: dict[str, int] = field(default_factory=dict)
    scripts: dict[str, bytes] = field(default_factory=dict)
    vesting_start: int = 0


class ContractStoryBuilder:
    """alice pays every fee; bob trades and sells; dave buys; erin is vested."""

    def __init__(self, node: NodeRpc) -> None:
        self.node = node
        self.alice = Wallet(node, Key.derive("e2e-contracts-alice"))
        self.bob, self.dave, self.erin = (
            Wallet(node, Key.derive(f"e2e-contracts-{name}")) for name in ("bob", "dave", "erin")
        )
        self.alice.fund(1)
        self.scene = Scene(node, self.alice, [self.bob, self.dave, self.erin])
        self.bob_coin: Tx | None = None

    def mine(self, name: str, story: ContractStory) -> None:
        story.heights[name] = self.scene.mine().height

    def add(self, name: str, txs: tuple[Tx, ...], story: ContractStory) -> Tx:
        self.scene.add(*txs)
        story.txs[name] = txs[-1]
        return txs[-1]

    def bob_calls(
        self,
        name: str,
        story: ContractStory,
        contract: str,
        data: bytes,
        assets: list[tuple[AssetRef, int]],
        *,
        outputs: int = 1,
    ) -> Tx:
        """A call spending bob's one token coin, everything coming back to bob's output 0."""
        assert self.bob_coin is not None
        coin = self.bob.coins[self.bob_coin.outpoint(0)]
        to_bob = [TxOut(DUST, self.bob.p2tr_script)] * outputs
        txs = call_contract(
            self.alice,
            story.contracts[contract],
            data,
            assets=assets,
            spend=[coin],
            outputs=to_bob,
        )
        self.bob_coin = self.add(name, txs.txs, story)
        return self.bob_coin

    def build(self) -> ContractStory:
        scene, alice, bob = self.scene, self.alice, self.bob
        to_bob = [TxOut(DUST, bob.p2tr_script)]
        # Block 1: two issuer tokens, premined (and their authorities bound) to bob's output 1.
        deploys = [
            scene.add(
                alice.op_return(
                    message(deploy_issuer(t, 10**12, 1, PREMINE, 1)), extra_outputs=to_bob
                )
            )
            for t in ("AAA", "BBB")
        ]
        scene.mine()
        story = ContractStory(token_of(self.node, deploys[0]), token_of(self.node, deploys[1]))
        a, b = story.token_a, story.token_b
        story.scripts = {
            "bob": bob.p2tr_script,
            "bob p2wpkh": bob.p2wpkh_script,
            "dave": self.dave.p2tr_script,
            "erin": self.erin.p2tr_script,
        }
        # Block 2: the three examples, each published by envelope (commit and reveal).
        tip = self.node.block_count()
        story.vesting_start = tip + 2
        start = story.vesting_start
        inits = {
            "amm": amm_init(a, b, FEE_BPS),
            "otc": None,
            "vesting": vesting_init(
                a, start, start + CLIFF_AFTER, start + END_AFTER, self.erin.p2tr_script
            ),
        }
        for name, init in inits.items():
            self.add(
                f"publish {name}",
                publish_contract(alice, example_module(name), init=init).txs,
                story,
            )
        self.mine("publish", story)
        for name in inits:
            story.contracts[name] = contract_of(self.node, story.txs[f"publish {name}"])

        # Block 3 (the vesting start): liquidity, funding the vesting, an OTC offer.
        coins = [bob.coins[d.outpoint(1)] for d in deploys]
        add = call_contract(
            alice,
            story.contracts["amm"],
            amm_add(1, 0),
            assets=[(a, LIQUIDITY[0]), (b, LIQUIDITY[1])],
            spend=coins,
            outputs=to_bob,
        )
        self.bob_coin = self.add("add", add.txs, story)
        self.bob_calls("fund", story, "vesting", vesting_fund(), [(a, VESTED_TOTAL)])
        offer = otc_offer(OFFER_PRICE, start + 100, bob.p2wpkh_script)
        self.bob_calls("offer", story, "otc", offer, [(a, OFFER_AMOUNT)])
        self.mine("liquidity", story)
        assert story.heights["liquidity"] == start

        # Block 4: a swap each way, a swap that fails its minimum, an underpaid then a paid
        # OTC take, a release before the cliff.
        self.bob_calls("swap a->b", story, "amm", amm_swap(1, 0), [(a, 10_000)])
        self.bob_calls("swap b->a", story, "amm", amm_swap(1, 0), [(b, 30_000)])
        self.bob_calls("failed swap", story, "amm", amm_swap(10**30, 1), [(a, 5_000)], outputs=2)
        for name, paid in (("underpaid take", OFFER_PRICE - 1), ("take", OFFER_PRICE)):
            # The buyer's output 0 receives the tokens; output 1 pays the seller's script.
            outputs = [TxOut(DUST, self.dave.p2tr_script), TxOut(paid, bob.p2wpkh_script)]
            take = call_contract(alice, story.contracts["otc"], otc_take(1, 0), outputs=outputs)
            self.add(name, take.txs, story)
        self.release("early release", story)
        self.mine("swaps", story)

        # Block 5 (the cliff): remove liquidity, first release. Then releases at start + 4
        # and after the end, with empty blocks between.
        self.bob_calls(
            "remove", story, "amm", amm_remove(1, 1, 0), [((*story.contracts["amm"], 1), 500_000)]
        )
        self.release("release at cliff", story)
        self.mine("cliff", story)
        scene.mine()
        self.release("release at +4", story)
        self.mine("+4", story)
        scene.mine()
        scene.mine()
        self.release("release after end", story)
        self.mine("after end", story)
        return story

    def release(self, name: str, story: ContractStory) -> Tx:
        """Anyone may trigger a release (alice does); output 0 pays the beneficiary."""
        to_erin = [TxOut(DUST, self.erin.p2tr_script)]
        txs = call_contract(
            self.alice, story.contracts["vesting"], vesting_release(0), outputs=to_erin
        )
        return self.add(name, txs.txs, story)


def swap_out(amount: int, r_in: int, r_out: int) -> int:
    """contracts/README.md: fee = ceil(in * bps / 10^4); out = floor((in - fee) * R_out /
    (R_in + in - fee)); the whole ``in`` joins its reserve."""
    fee = -(-amount * FEE_BPS // 10_000)
    return (amount - fee) * r_out // (r_in + amount - fee)


class SwapMarket:
    """Two premined tokens, the AMM published for them and bob's liquidity, on the node's
    chain; then swaps that each spend bob's one token coin, with the pool's reserves kept
    by hand (``reserves``) so a test can say what the indexed storage must hold."""

    def __init__(self, node: NodeRpc, name: str) -> None:
        self.node = node
        self.alice = Wallet(node, Key.derive(f"{name}-alice"))
        self.bob = Wallet(node, Key.derive(f"{name}-bob"))
        self.alice.fund(1)
        self.scene = Scene(node, self.alice, [self.bob])
        to_bob = [TxOut(DUST, self.bob.p2tr_script)]
        deploys = [
            self.scene.add(
                self.alice.op_return(
                    message(deploy_issuer(t, 10**12, 1, PREMINE, 1)), extra_outputs=to_bob
                )
            )
            for t in ("SWA", "SWB")
        ]
        self.scene.mine()
        self.token_a, self.token_b = (token_of(node, d) for d in deploys)
        init = amm_init(self.token_a, self.token_b, FEE_BPS)
        published = publish_contract(self.alice, example_module("amm"), init=init)
        self.scene.add(*published.txs)
        self.scene.mine()
        self.amm = contract_of(node, published.carrier_tx)
        coins = [self.bob.coins[d.outpoint(1)] for d in deploys]
        assets: list[tuple[AssetRef, int]] = [
            (self.token_a, LIQUIDITY[0]),
            (self.token_b, LIQUIDITY[1]),
        ]
        add = call_contract(
            self.alice, self.amm, amm_add(1, 0), assets=assets, spend=coins, outputs=to_bob
        )
        self.scene.add(*add.txs)
        self.scene.mine()
        self.bob_coin = add.carrier_tx
        self.reserves = LIQUIDITY

    def swap(self, amount: int, *, a_to_b: bool, min_out: int = 1) -> Tx:
        """A swap for the next block (pending in the scene); a ``min_out`` above what the
        pool pays makes it fail (abort 104), leaving the reserves as they were."""
        coin = self.bob.coins[self.bob_coin.outpoint(0)]
        token = self.token_a if a_to_b else self.token_b
        txs = call_contract(
            self.alice,
            self.amm,
            amm_swap(min_out, 0),
            assets=[(token, amount)],
            spend=[coin],
            outputs=[TxOut(DUST, self.bob.p2tr_script)],
        )
        self.scene.add(*txs.txs)
        self.bob_coin = txs.carrier_tx
        ra, rb = self.reserves
        out = swap_out(amount, ra, rb) if a_to_b else swap_out(amount, rb, ra)
        if out >= min_out:
            self.reserves = (ra + amount, rb - out) if a_to_b else (ra - out, rb + amount)
        return txs.carrier_tx

    def saved(self) -> tuple[dict[Wallet, dict[OutPoint, Coin]], Tx, tuple[int, int]]:
        coins = {wallet: dict(wallet.coins) for wallet in self.scene.wallets}
        return coins, self.bob_coin, self.reserves

    def restore(
        self, saved: tuple[dict[Wallet, dict[OutPoint, Coin]], Tx, tuple[int, int]]
    ) -> None:
        coins, self.bob_coin, self.reserves = saved
        for wallet, held in coins.items():
            wallet.coins = dict(held)
