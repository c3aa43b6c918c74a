"""The contract kind through the real machine and a real engine (spec/CONTRACTS.md §16-§21).

Expected fuel figures are counted by hand in tests/vectorgen/wat.py; reason codes are the
numbers of §19.3 written out.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import cbor2
import pytest

from engine.wasmtime_engine import WasmtimeEngine
from protocol.contracts.wasm import limits as lim
from tests.protocol.builders import (
    events_of,
    issuer_token,
    kinds,
    make_tx,
    op_return_script,
    rejection,
    spend,
    spendable,
)
from tests.protocol.contracts.harness import ContractChain, call, cid, digest, message, publish
from tests.vectorgen import wat

PUBLISH, CALL, DEPOSIT, SEND, ISSUE, LOG, BURN, REJECTED = 8, 10, 11, 12, 13, 14, 5, 7
DEBIT, CREDIT = 1, 2
EMPTY_DIGEST = hashlib.sha256(b"").digest()
KEY0 = bytes(32)


def test_publish_then_call_logs_with_exact_fuel(engine: WasmtimeEngine) -> None:
    chain = ContractChain(engine)
    height = chain.next_height
    tx, effects = chain.send(publish(wat.LOG))
    code_hash = hashlib.sha256(wat.LOG).digest()
    assert events_of(effects, tx) == [{0: PUBLISH, 1: tx.txid, 12: cid((height, 1)), 13: code_hash}]
    assert chain.state.get(b"\x05" + code_hash) == wat.LOG
    record = cbor2.loads(chain.state.get(b"\x04" + cid((height, 1))) or b"")
    assert record == {0: code_hash, 1: tx.txid, 2: 5}
    tx, effects = chain.send(call((height, 1)))
    assert events_of(effects, tx) == [
        {0: LOG, 1: tx.txid, 12: cid((height, 1)), 17: b"hello"},
        {0: CALL, 1: tx.txid, 12: cid((height, 1)), 14: wat.LOG_FUEL, 15: EMPTY_DIGEST},
    ]


def test_storage_writes_are_state_and_digest(engine: WasmtimeEngine) -> None:
    chain = ContractChain(engine)
    store = chain.deploy(wat.STORE)
    assert chain.storage(store, KEY0) == b"init"
    key = b"\x07" * 32
    tx, effects = chain.send(call(store, key + b"abcd"))
    assert chain.storage(store, key) == b"abcd"
    assert events_of(effects, tx)[-1][14] == wat.store_set_fuel(36, None)
    assert events_of(effects, tx)[-1][15] == digest((key, b"abcd"))
    tx, effects = chain.send(call(store, key))
    assert chain.storage(store, key) is None
    assert events_of(effects, tx)[-1][15] == digest((key, None))
    tx, effects = chain.send(call(store))
    assert events_of(effects, tx)[0][17] == b"init"
    assert events_of(effects, tx)[1][14] == wat.store_get_fuel(4)


def test_storage_value_limit_traps(cranelift: WasmtimeEngine) -> None:
    chain = ContractChain(cranelift)
    store = chain.deploy(wat.STORE)
    before = chain.contract_items()
    tx, effects = chain.send(call(store, KEY0 + b"x" * 1025))
    assert rejection(effects, tx) == 38  # storage_limit
    assert chain.contract_items() == before
    tx, effects = chain.send(call(store, KEY0 + b"x" * 1024))
    assert rejection(effects, tx) is None


def test_assets_in_and_out_of_custody(engine: WasmtimeEngine) -> None:
    chain = ContractChain(engine)
    deploy_tx, token = issuer_token(chain, premine=1000)
    bank = chain.deploy(wat.BANK)
    tok = cid(token)
    request = tok + bytes(4) + (300).to_bytes(16, "little") + (1).to_bytes(4, "little")
    tx, effects = chain.send(
        call(bank, request, assets=[(list(token), 400)]),
        inputs=[spend(deploy_tx, 1)],
        outputs=[spendable(1), spendable(2)],
    )
    assert kinds(effects, tx) == [DEBIT, DEPOSIT, SEND, CALL, CREDIT, CREDIT]
    assert events_of(effects, tx)[3][14] == wat.BANK_SEND_FUEL
    assert chain.custody(bank, tok) == 100
    assert chain.balances(tx, 0) == {tok: 600}  # the pool's rest settles on the target
    assert chain.balances(tx, 1) == {tok: 300}


def test_trap_settles_like_no_message(engine: WasmtimeEngine) -> None:
    chain = ContractChain(engine)
    deploy_tx, token = issuer_token(chain, premine=1000)
    bad = chain.deploy(wat.UNREACHABLE)
    before = chain.contract_items()
    tx, effects = chain.send(call(bad, assets=[(list(token), 400)]), inputs=[spend(deploy_tx, 1)])
    assert rejection(effects, tx) == 30  # unreachable
    assert kinds(effects, tx) == [DEBIT, REJECTED, CREDIT]
    assert chain.balances(tx, 0) == {cid(token): 1000}
    assert chain.contract_items() == before


def test_contract_issues_and_its_asset_moves_like_a_token(engine: WasmtimeEngine) -> None:
    chain = ContractChain(engine)
    issuer = chain.deploy(wat.ISSUER)
    asset = cid(issuer) + (1).to_bytes(4, "big")
    assert chain.custody(issuer, asset) == 1000
    assert cbor2.loads(chain.state.get(b"\x08" + asset) or b"") == {0: 1000, 1: 0}
    request = (300).to_bytes(16, "little") + (0).to_bytes(4, "little")
    tx, effects = chain.send(call(issuer, request))
    assert chain.balances(tx, 0) == {asset: 300}
    assert events_of(effects, tx)[1][14] == wat.ISSUER_SEND_FUEL
    ref = [*issuer, 1]
    tx2, _ = chain.send(
        {0: 3, 1: ref, 2: 100, 3: 1},
        {0: 4, 1: ref, 2: 50},
        inputs=[spend(tx, 0)],
        outputs=[spendable(1), spendable(2)],
    )
    assert chain.balances(tx2, 0) == {asset: 150}
    assert chain.balances(tx2, 1) == {asset: 100}
    assert cbor2.loads(chain.state.get(b"\x08" + asset) or b"") == {0: 1000, 1: 50}


def test_nested_trap_rolls_back_every_level(engine: WasmtimeEngine) -> None:
    chain = ContractChain(engine)
    outer = chain.deploy(wat.FORWARD)
    inner = chain.deploy(wat.FORWARD)
    bad = chain.deploy(wat.UNREACHABLE)
    before = chain.contract_items()
    tx, effects = chain.send(call(outer, cid(inner) + cid(bad)))
    assert rejection(effects, tx) == 30
    assert chain.contract_items() == before
    tx, effects = chain.send(call(outer, cid(inner)))
    leaf = wat.FORWARD_LEAF_FUEL
    assert [e.get(14) for e in events_of(effects, tx)] == [leaf, wat.forward_fuel(8, leaf)]
    assert events_of(effects, tx)[0][16] == cid(outer)
    assert chain.storage(outer, KEY0) == b"w"
    assert chain.storage(inner, KEY0) == b"w"


@pytest.mark.parametrize(
    ("module", "reason"),
    [
        (wat.SPIN, 26),
        (wat.RECURSE, 27),
        (wat.DIVIDE_BY_ZERO, 32),
        (wat.OVERFLOW, 33),
        (wat.LOAD_OUT_OF_BOUNDS, 31),
        (wat.INDIRECT_TYPE, 34),
        (wat.INDIRECT_OUT_OF_TABLE, 35),
        (wat.INDIRECT_EMPTY_SLOT, 36),
        (wat.EMIT_BAD_POINTER, 31),
        (wat.EMIT_TOO_LONG, 37),
        (wat.INPUT_99, 37),
        (wat.RETURN_TOO_LONG, 37),
        (wat.ISSUE_SUB_ZERO, 37),
    ],
)
def test_each_trap_has_its_reason(cranelift: WasmtimeEngine, module: bytes, reason: int) -> None:
    chain = ContractChain(cranelift)
    contract = chain.deploy(module)
    tx, effects = chain.send(call(contract, fuel=1_000_000))
    assert rejection(effects, tx) == reason


def test_abort_code_is_the_detail(cranelift: WasmtimeEngine) -> None:
    chain = ContractChain(cranelift)
    contract = chain.deploy(wat.ABORT_7)
    tx, effects = chain.send(call(contract))
    assert events_of(effects, tx) == [{0: REJECTED, 1: tx.txid, 11: 40, 9: 7}]


def test_fuel_is_bought_by_each_transactions_vsize(cranelift: WasmtimeEngine) -> None:
    """§21.2: a trapping call consumes what its own transaction bought, not a shared block
    budget: after 100 of them the next call still runs. A transaction whose vsize buys no
    more than a call's start (§16.5 step 1) is block_fuel_exhausted."""
    chain = ContractChain(cranelift)
    bad = chain.deploy(wat.UNREACHABLE)
    log = chain.deploy(wat.LOG)
    bads = [
        make_tx([chain.coin()], [spendable(1), op_return_script(message(call(bad)))])
        for _ in range(100)
    ]
    runs, light = (
        make_tx([chain.coin()], [spendable(1), op_return_script(message(call(log)))])
        for _ in range(2)
    )
    start = lim.CALL_START_FUEL + lim.CALL_FUEL_PER_CODE_BYTE * len(wat.LOG)
    assert light.vsize * lim.FUEL_PER_VBYTE > start
    light = replace(light, weight=4 * (start // lim.FUEL_PER_VBYTE))  # buys exactly the start
    effects = chain.block(*bads, runs, light)
    assert rejection(effects, bads[-1]) == 30  # unreachable
    assert rejection(effects, runs) is None
    assert rejection(effects, light) == 25  # block_fuel_exhausted
