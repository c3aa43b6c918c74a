"""A pending contract call: the AMM swap runs in the pending view exactly as in a block.

Over the store of tests.api.contract_world (the committed AMM with liquidity), a second
swap of 1,000 A arrives in the mempool. The view's events must equal, byte for byte, those
the same transaction gets as the next block's first transaction on the same snapshot (same
fuel, same custody moves), and nothing reaches the store.
"""

from __future__ import annotations

from pathlib import Path

import cbor2

from indexer.contract_engine import CachedEngine, contract_machine
from indexer.mempool_layer import MempoolLayer
from indexer.mempool_state import MempoolTx, Status
from indexer.module_cache import ModuleCache, ModuleCacheConfig
from protocol.events import EventType, Field
from protocol.tx import parse_transaction
from regtest.contract_inputs import u32, u128
from tests.api.contract_world import build_contract_world
from tests.contracts.test_amm import SWAP
from tests.protocol.builders import In, op_return_script, serialize_tx, spendable
from tests.protocol.contracts.harness import ANNEX, SIGNATURE, call
from tests.vectorgen.payloads import message


def test_a_pending_swap_matches_the_block_it_would_be_in(tmp_path: Path) -> None:
    world = build_contract_world(tmp_path / "store")
    pool = world.pool
    op = call(pool.amm, bytes([SWAP]) + u128(0) + u32(0), [(list(pool.a), 1_000)])
    # CONTRACTS.md §21.2: the annex on the first input buys the swap's fuel.
    first, *rest = pool.wallet
    funded = [In(first.txid, first.vout, (SIGNATURE, ANNEX)), *rest]
    raw = serialize_tx(funded, [spendable(1), op_return_script(message(op))])
    tx = parse_transaction(raw)
    cache = ModuleCache(ModuleCacheConfig(tmp_path / "modules", 64 << 20))
    machine = contract_machine(CachedEngine(world.engine, cache))
    layer = MempoolLayer(machine, 256 << 20)
    with world.store.read() as view:
        tip = view.tip()
        assert tip is not None
        layer.update(view, (tip.height, tip.block_hash), [MempoolTx(raw, tx, 5_000, len(raw))], [])
        block = machine.apply_block(view, tip.state_hash, tip.height + 1, bytes(32), [(1, tx)])
    entry = layer.state.entries[tx.txid]
    assert entry.status is Status.ACCEPTED
    assert entry.events == block.events
    kinds = [cbor2.loads(e)[Field.TYPE] for e in entry.events]
    assert EventType.CALL in kinds and EventType.SEND in kinds
    calls = [cbor2.loads(e) for e in entry.events if cbor2.loads(e)[Field.TYPE] == EventType.CALL]
    assert calls and calls[0][Field.FUEL] > 0
    # The swap's custody and storage changes are the overlay's alone.
    changed = {key for key in layer.state.overlay.changes if key[:1] in (b"\x06", b"\x07")}
    assert changed
    with world.store.read() as view:
        after = view.tip()
        for key in changed:
            assert view.get(key) != layer.state.overlay.changes[key]
    assert after == tip
    world.store.close()
