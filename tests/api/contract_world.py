"""A real store holding the committed AMM (contracts/wasm/amm.wasm): two issuer tokens, the
pool published with them, liquidity added (10^9 of each) and one swap of 1,000 A for B.

The blocks are made by the in-memory harness chain of tests.contracts.test_amm and replayed
into LMDB through the v2 machine with the wasmtime engine, as the follow loop applies them.

Hand-worked figures (contracts/README.md's formulas, fee 30 bps): the first shares are
isqrt(10^9 * 10^9) = 10^9 LP (1,000 of them locked in the pool's custody); the swap pays a
fee of ceil(1,000 * 30 / 10^4) = 3 and out floor(997 * 10^9 / (10^9 + 997)) = 996 B. So the
pool holds A 1,000,001,000, B 999,999,004 and LP 1,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from indexer.contract_engine import CachedEngine, contract_machine
from indexer.module_cache import ModuleCache, ModuleCacheConfig
from indexer.store import Store, open_store
from protocol.tx import Transaction
from tests.contracts import test_amm
from tests.indexer.store_chain import small_config
from tests.indexer.test_store_contracts import IDENTITY, RecordingChain, replay

SWAP_IN, SWAP_OUT = 1_000, 996


@dataclass
class ContractWorld:
    store: Store
    pool: test_amm.Pool
    engine: WasmtimeEngine
    swap: Transaction  # the swap's transaction (its events: deposit, send, call)
    publish_txid: bytes


def build_contract_world(path: Path) -> ContractWorld:
    engine = WasmtimeEngine(WasmtimeConfig())  # the default back end, as the API runs
    with mock.patch.object(test_amm, "ContractChain", RecordingChain):
        pool = test_amm.Pool(engine)
    chain = pool.chain
    assert isinstance(chain, RecordingChain)
    (publish_tx,) = chain.blocks[-1]
    assert pool.add(10**9, 10**9) is None
    assert pool.swap(True, SWAP_IN) is None
    store = open_store(small_config(path), IDENTITY)
    cache = ModuleCache(ModuleCacheConfig(path.parent / "modules", 64 << 20))
    replay(store, contract_machine(CachedEngine(engine, cache)), chain.blocks)
    return ContractWorld(store, pool, engine, pool.last, publish_tx.txid)
