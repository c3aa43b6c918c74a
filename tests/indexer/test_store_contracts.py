"""A real AMM (contracts/wasm/amm.wasm) published, funded and swapped through the LMDB store
with the v2 machine reading the store, then rolled back: contract state (prefixes 04 to 08)
and the derived indexes take undo like everything else.

The reference is the in-memory chain of tests.protocol.contracts.harness (MemoryState), run
by the same transactions; readers decode with cbor2, never with the store's code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from indexer.contract_engine import CachedEngine, contract_machine
from indexer.module_cache import ModuleCache, ModuleCacheConfig
from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity
from protocol.machine import Machine
from protocol.params import GENESIS_STATE_HASH, PROTOCOL_VERSION, Network
from protocol.state import BlockEffects
from protocol.tx import Transaction
from regtest.contract_inputs import u32, u128
from tests.contracts import test_amm
from tests.contracts.sdk import asset
from tests.indexer.store_chain import dump_env, small_config
from tests.protocol.builders import (
    In,
    block_hash,
    coinbase,
    make_tx,
    op_return_script,
    rejection,
    spend,
    spendable,
)
from tests.protocol.contracts.harness import ANNEX, SIGNATURE, ContractChain, call, message

FIRST = 100  # the harness chain's first height


def swaps(pool: test_amm.Pool, count: int) -> list[Transaction]:
    """``count`` chained swaps: each spends the previous one's output 0, sends 1,000 of one
    asset into the pool (alternating) and takes the other back on output 0."""
    txs: list[Transaction] = []
    wallet = list(pool.wallet)
    for n in range(count):
        ref = pool.a if n % 2 == 0 else pool.b
        op = call(pool.amm, bytes([test_amm.SWAP]) + u128(0) + u32(0), assets=[(list(ref), 1_000)])
        # CONTRACTS.md §21.2: the annex on the first input buys the swap's fuel.
        first = spend(txs[-1], 0) if txs else wallet[0]
        funded = [In(first.txid, first.vout, (SIGNATURE, ANNEX)), *([] if txs else wallet[1:])]
        tx = make_tx(funded, [spendable(1), op_return_script(message(op))])
        txs.append(tx)
    return txs


IDENTITY = ChainIdentity(
    Network.REGTEST, FIRST, PROTOCOL_VERSION, hashlib.sha256(b"contracts genesis").digest()
)


class RecordingChain(ContractChain):
    """The harness chain, remembering each block's transactions to replay them."""

    def __init__(self, engine: WasmtimeEngine) -> None:
        super().__init__(engine)
        self.blocks: list[tuple[Transaction, ...]] = []

    def block(self, *txs: Transaction) -> BlockEffects:
        effects = super().block(*txs)
        self.blocks.append(txs)
        return effects


def apply(store: Store, machine: Machine, height: int, txs: tuple[Transaction, ...]) -> None:
    """What the follow loop does with one block: the machine reads the store's batch view."""
    block = [(0, coinbase(height)), *((i + 1, tx) for i, tx in enumerate(txs))]
    with store.batch() as batch:
        tip = batch.tip
        prior = GENESIS_STATE_HASH if tip is None else tip.state_hash
        effects = machine.apply_block(batch.view, prior, height, block_hash(height), block)
        batch.apply(effects, [tx for _, tx in block])


def replay(store: Store, machine: Machine, blocks: list[tuple[Transaction, ...]]) -> None:
    tip = store.tip()
    start = FIRST if tip is None else tip.height + 1
    for offset, txs in enumerate(blocks[start - FIRST :]):
        apply(store, machine, start + offset, txs)


def state_of(store: Store) -> dict[bytes, bytes]:
    with store.read() as view:
        return {bytes(k): bytes(v) for k, v in view.state_items(b"")}


@pytest.fixture(scope="module")
def cranelift() -> WasmtimeEngine:
    return WasmtimeEngine(WasmtimeConfig(backend="cranelift"))


@pytest.fixture
def machine(tmp_path: Path, cranelift: WasmtimeEngine) -> Machine:
    cache = ModuleCache(ModuleCacheConfig(tmp_path / "modules", 64 << 20))
    return contract_machine(CachedEngine(cranelift, cache))


def test_amm_through_the_store_rolls_back_byte_for_byte(
    tmp_path: Path,
    cranelift: WasmtimeEngine,
    machine: Machine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(test_amm, "ContractChain", RecordingChain)
    pool = test_amm.Pool(cranelift)
    chain = pool.chain
    assert isinstance(chain, RecordingChain)
    assert pool.add(10**9, 10**9) is None
    before_swaps = dict(chain.state.snapshot())
    funded = len(chain.blocks)
    wallet_script = pool.last.outputs[0].script
    for _ in range(2):
        txs = swaps(pool, 4)
        effects = chain.block(*txs)
        assert all(rejection(effects, tx) is None for tx in txs)
        pool.wallet, pool.last = [spend(txs[-1], 0)], txs[-1]
    expected = dict(chain.state.snapshot())
    assert {key[:1] for key in expected} >= {bytes([p]) for p in range(1, 9)}

    with open_store(small_config(tmp_path / "a"), IDENTITY) as store:
        replay(store, machine, chain.blocks)
        assert state_of(store) == expected
        tip = store.tip()
        assert tip is not None and tip.state_hash == chain.state_hash
        # The LP shares (a 12-byte contract asset) are indexed under the wallet's script.
        lp = asset((*pool.amm, 1))
        lp_held = chain.balances(pool.last, 0)
        with store.read() as view:
            held = dict(view.script_balances(wallet_script))
            assert held[lp] == lp_held[lp] > 0
            holders = [(script, balance) for _, script, balance in view.holders(lp)]
            assert holders == [(wallet_script, lp_held[lp])]
            assert view.token_stats(lp) == (1, 1)

        store.rollback_to(FIRST + funded - 1)
        assert state_of(store) == before_swaps
        replay(store, machine, chain.blocks)
        assert state_of(store) == expected

    with open_store(small_config(tmp_path / "b"), IDENTITY) as fresh:
        replay(fresh, machine, chain.blocks)
    rolled = {n: db for n, db in dump_env(tmp_path / "a").items() if n != b"reorgs"}
    straight = {n: db for n, db in dump_env(tmp_path / "b").items() if n != b"reorgs"}
    assert rolled == straight
