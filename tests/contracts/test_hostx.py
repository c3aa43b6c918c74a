"""The SDK bindings of the host additions (CONTRACTS.md §17.5-§17.7) through the v2
machine, with the test contract contracts/test/hostx.ts: schnorrVerify on BIP340's
published vectors, blockTime and medianTime from headers, sendToCaller for a two-contract
chain, callView with a write trapping."""

from __future__ import annotations

from typing import Any

import pytest

from engine.wasmtime_engine import WasmtimeEngine
from protocol.state import BlockEffects
from protocol.tx import Transaction
from regtest.contract_inputs import u128
from tests.contracts.sdk import asset, code
from tests.protocol.builders import events_of, issuer_token, spend
from tests.protocol.contracts.harness import ContractChain, call, cid
from tests.vectorgen.bip340 import VECTORS

LOG, RETURN, REJECTED = 14, 15, 7
E_TYPE, E_DATA, E_REASON, E_AMOUNT, E_CONTRACT, E_FROM = 0, 17, 11, 4, 12, 16
NO_CALLING_CONTRACT, READ_ONLY_CALL = 41, 42


def events(effects: BlockEffects, tx: Transaction, kind: int) -> list[dict[int, Any]]:
    return [e for e in events_of(effects, tx) if e[E_TYPE] == kind]


def logged(effects: BlockEffects, tx: Transaction) -> bytes:
    (log,) = events(effects, tx, LOG)
    data: bytes = log[E_DATA]
    return data


def reason(effects: BlockEffects, tx: Transaction) -> int | None:
    found = events(effects, tx, REJECTED)
    return None if not found else int(found[0][E_REASON])


@pytest.fixture
def chain(engine: WasmtimeEngine) -> ContractChain:
    return ContractChain(engine)


@pytest.mark.parametrize("v", [VECTORS[i] for i in (1, 5, 13, 15, 17, 18)], ids=str)
def test_schnorr_verify_on_bip340_vectors(chain: ContractChain, v: Any) -> None:
    hx = chain.deploy(code("hostx"))
    data = b"\x01" + v.pubkey + v.signature + v.message
    tx, effects = chain.send(call(hx, data))
    assert logged(effects, tx) == (b"\x01" if v.valid else b"\x00")
    flipped = v.signature[:-1] + bytes([v.signature[-1] ^ 1])
    tx, effects = chain.send(call(hx, b"\x01" + v.pubkey + flipped + v.message))
    assert logged(effects, tx) == b"\x00"


def test_block_time_and_median_time(chain: ContractChain) -> None:
    hx = chain.deploy(code("hostx"))
    seen = []
    for t in (1_000, 3_000, 2_000, 5_000, 4_000):
        chain.time = t
        tx, effects = chain.send(call(hx, b"\x02"))
        data = logged(effects, tx)
        seen.append((int.from_bytes(data[:8], "little"), int.from_bytes(data[8:], "little")))
    # The windows (the deploy block had no header): [1000] [1000 3000] [1000 3000 2000]
    # [1000 3000 2000 5000] [1000 3000 2000 5000 4000]; the element at index count // 2.
    assert seen == [(1_000, 1_000), (3_000, 3_000), (2_000, 2_000), (5_000, 3_000), (4_000, 3_000)]
    stored = chain.state.get(b"\x09")
    assert stored is not None
    assert [int.from_bytes(stored[i : i + 4], "big") for i in range(0, len(stored), 4)] == [
        1_000,
        3_000,
        2_000,
        5_000,
        4_000,
    ]


def test_send_to_caller_chains_two_contracts(chain: ContractChain) -> None:
    router, pool = chain.deploy(code("hostx")), chain.deploy(code("hostx"))
    deploy, token = issuer_token(chain, 1_000, 10**6, "ROUTE")
    tok = asset(token)
    # router (action 5) sends the 100 it received to pool, which (action 3) returns 30.
    inner = b"\x03" + tok + u128(30)
    data = b"\x05" + cid(pool) + inner
    tx, effects = chain.send(call(router, data, [(list(token), 100)]), inputs=[spend(deploy, 1)])
    assert reason(effects, tx) is None
    (back,) = events(effects, tx, RETURN)
    assert back[E_CONTRACT] == cid(pool) and back[E_FROM] == cid(router)
    assert back[E_AMOUNT] == 30
    assert logged(effects, tx) == u128(30)  # no return data, then the router's custody
    assert chain.custody(router, tok) == 30 and chain.custody(pool, tok) == 70
    # Returning more than the pool holds traps the whole message: nothing moves.
    tx, effects = chain.send(
        call(router, b"\x05" + cid(pool) + b"\x03" + tok + u128(171), [(list(token), 100)]),
        inputs=[spend(tx, 0)],
    )
    assert reason(effects, tx) == 39  # custody_insufficient
    assert chain.custody(router, tok) == 30 and chain.custody(pool, tok) == 70
    # Called by the transaction, there is no caller to return to.
    tx, effects = chain.send(call(pool, b"\x03" + tok + u128(1)))
    assert reason(effects, tx) == NO_CALLING_CONTRACT


def test_call_view_reads_and_cannot_write(chain: ContractChain) -> None:
    viewer, held = chain.deploy(code("hostx")), chain.deploy(code("hostx"))
    deploy, token = issuer_token(chain, 1_000, 10**6, "VIEW")
    tok = asset(token)
    tx, effects = chain.send(
        call(held, b"\x07" + tok, [(list(token), 77)]), inputs=[spend(deploy, 1)]
    )
    assert reason(effects, tx) is None
    tx, effects = chain.send(call(viewer, b"\x04" + cid(held) + b"\x07" + tok))
    assert logged(effects, tx) == u128(77)
    assert [e[E_CONTRACT] for e in events(effects, tx, 10)] == [cid(viewer)]  # no view event
    tx, effects = chain.send(call(viewer, b"\x04" + cid(held) + b"\x06" + b"x"))
    assert reason(effects, tx) == READ_ONLY_CALL
    assert chain.storage(held, bytes(31) + b"\x01") is None
