"""Calls, storage, host functions and traps (spec/CONTRACTS.md §16.3, §17, §19, §20)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen.model import Tok
from tests.vectorgen.scenarios.common import deploy_issuer
from tests.vectorgen.scenarios.contract_common import (
    EMPTY_DIGEST,
    KEY0,
    contract_vector,
    digest,
    op_return_tx,
    publish,
    publish_store,
    rejected_call,
)
from tests.vectorgen.txbuild import In, carrier, pay
from tests.vectorgen.vector import Block, Vector


def call_fields() -> dict[str, Any]:
    v = contract_vector(
        "contract-call-fields",
        "Field checks of call, in order: unknown contract (unknown_contract), input not bytes, "
        "assets not an array, an entry not a pair, a repeated asset (invalid_message), a zero "
        "amount (invalid_amount), an unknown asset (unknown_token), fuel above 10,000,000 "
        "(integer_out_of_range).",
        ["16.3", "19.3"],
    )
    b = v.block()
    _, cid = publish(v, b, wat.LOG)
    _, tok = deploy_issuer(v, b, "FLD", 1000, 100)
    b = v.block()
    for op, reason in (
        (p.call(Tok(b.height, 9)), "unknown_contract"),
        (p.call(cid, data=5), "invalid_message"),
        (p.call(cid, k3=7), "invalid_message"),
        (p.call(cid, k3=[[tok.ref()]]), "invalid_message"),
        (p.call(cid, assets=[(tok, 1), (tok, 2)]), "invalid_message"),
        (p.call(cid, assets=[(tok, 0)]), "invalid_amount"),
        (p.call(cid, assets=[(Tok(tok.height, 7), 1)]), "unknown_token"),
        (p.call(cid, assets=[(tok.asset(1), 1)]), "unknown_token"),
        (p.call(cid, fuel=10_000_001), "integer_out_of_range"),
    ):
        rejected_call(v, b, op, reason)
    return v.finish()


def call_fuel_exact() -> dict[str, Any]:
    v = contract_vector(
        "contract-call-fuel-exact",
        "The log contract uses exactly 113 fuel: a limit of 112 is out_of_fuel, 113 succeeds.",
        ["15.7", "16.5", "17.3", "21.1"],
    )
    b = v.block()
    _, cid = publish(v, b, wat.LOG)
    b = v.block()
    rejected_call(v, b, p.call(cid, fuel=wat.LOG_FUEL - 1), "out_of_fuel")
    tx = op_return_tx(v, b, p.call(cid, fuel=wat.LOG_FUEL))
    b.expect(ev.log(tx, cid, b"hello"), ev.call(tx, cid, wat.LOG_FUEL, EMPTY_DIGEST))
    return v.finish()


def two_calls() -> dict[str, Any]:
    v = contract_vector(
        "contract-two-calls",
        "One message calls the log contract twice and transfers a token: events in operation "
        "order, each call with its own call event.",
        ["5.5", "16.5", "7.8"],
    )
    b = v.block()
    _, cid = publish(v, b, wat.LOG)
    deploy, tok = deploy_issuer(v, b, "TWO", 1000, 100)
    b = v.block()
    tx = b.tx(
        [In(deploy.out(0))],
        [pay(), pay(), wat_carrier(p.call(cid), p.transfer(tok, 40, 1), p.call(cid))],
    )
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.log(tx, cid, b"hello"),
        ev.call(tx, cid, wat.LOG_FUEL, EMPTY_DIGEST),
        ev.log(tx, cid, b"hello"),
        ev.call(tx, cid, wat.LOG_FUEL, EMPTY_DIGEST),
        ev.credit(tx, 0, tok, 60),
        ev.credit(tx, 1, tok, 40),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 60})
    v.ledger.hold(tx.out(1), {tok: 40})
    return v.finish()


def wat_carrier(*ops: p.Op) -> bytes:
    return carrier(p.message(*ops))


def storage() -> dict[str, Any]:
    v = contract_vector(
        "contract-storage",
        "Set (digest of key, 01, length, value), overwrite, delete (digest of key, 00), and "
        "read back; storage is part of the state under prefix 06.",
        ["14.3", "17.3", "20.3"],
    )
    b = v.block()
    _, cid = publish_store(v, b)
    b = v.block()
    key = b"\x05" * 32
    store = v.ledger.contracts[cid].storage
    for value in (b"first", b"second value"):
        tx = op_return_tx(v, b, p.call(cid, key + value))
        n = 32 + len(value)
        old = len(store[key]) if key in store else None
        b.expect(ev.call(tx, cid, wat.store_set_fuel(n, old), digest((key, value))))
        store[key] = value
    b = v.block()
    tx = op_return_tx(v, b, p.call(cid, key))
    b.expect(ev.call(tx, cid, wat.store_delete_fuel(32), digest((key, None))))
    del store[key]
    tx = op_return_tx(v, b, p.call(cid, KEY0 + b""))
    b.expect(ev.call(tx, cid, wat.store_delete_fuel(32), digest((KEY0, None))))
    del store[KEY0]
    return v.finish()


def storage_limit() -> dict[str, Any]:
    v = contract_vector(
        "contract-storage-limit",
        "A 1,025-byte value is storage_limit (nothing written); 1,024 bytes is stored.",
        ["17.3", "19.2", "21.1"],
    )
    b = v.block()
    _, cid = publish_store(v, b)
    b = v.block()
    rejected_call(v, b, p.call(cid, KEY0 + b"\xab" * 1025), "storage_limit")
    value = b"\xab" * 1024
    tx = op_return_tx(v, b, p.call(cid, KEY0 + value))
    b.expect(ev.call(tx, cid, wat.store_set_fuel(32 + 1024, 4), digest((KEY0, value))))
    v.ledger.contracts[cid].storage[KEY0] = value
    return v.finish()


def storage_absent() -> dict[str, Any]:
    v = contract_vector(
        "contract-storage-absent",
        "storage_get of a deleted key returns -1; logging -1 bytes (4,294,967,295 as u32) is "
        "invalid_host_argument and the delete in the earlier message stays.",
        ["17.1", "17.3"],
    )
    b = v.block()
    _, cid = publish_store(v, b)
    b = v.block()
    tx = op_return_tx(v, b, p.call(cid, KEY0))
    b.expect(ev.call(tx, cid, wat.store_delete_fuel(32), digest((KEY0, None))))
    del v.ledger.contracts[cid].storage[KEY0]
    rejected_call(v, b, p.call(cid), "invalid_host_argument")
    return v.finish()


def introspection() -> dict[str, Any]:
    v = contract_vector(
        "contract-tx-introspection",
        "A contract logs input 0's outpoint (txid, vout LE) and the assets it carried (asset "
        "12 + amount 16 LE), the height, output 1's value, the txid, caller_id's 0, and the "
        "input and output counts.",
        ["17.1", "17.3"],
    )
    b = v.block()
    _, cid = publish(v, b, wat.INTRO)
    deploy, tok = deploy_issuer(v, b, "INTRO", 1000, 250)
    b = v.block()
    tx = b.tx([In(deploy.out(0)), v.fund()], [pay(), pay(), wat_carrier(p.call(cid))])
    spent = deploy.out(0)
    data = (
        spent.txid
        + spent.vout.to_bytes(4, "little")
        + tok.wide()
        + (250).to_bytes(16, "little")
        + b.height.to_bytes(8, "little")
        + (10_000).to_bytes(8, "little")
        + tx.txid
        + (0).to_bytes(4, "little")
        + (2).to_bytes(4, "little")
        + (3).to_bytes(4, "little")
    )
    b.expect(
        ev.debit(tx, spent, tok, 250),
        ev.log(tx, cid, data),
        ev.call(tx, cid, wat.INTRO_FUEL, EMPTY_DIGEST),
        ev.credit(tx, 0, tok, 250),
    )
    v.ledger.spend(spent)
    v.ledger.hold(tx.out(0), {tok: 250})
    return v.finish()


def hashing_and_return() -> dict[str, Any]:
    v = contract_vector(
        "contract-sha256-and-return-data",
        "sha256 of 'abc' logged; a relay calls a contract that returns 'pong' and logs the "
        "return data it read back (nested call event first, with key 16 = the relay).",
        ["17.3", "17.4", "20.2"],
    )
    b = v.block()
    _, hasher = publish(v, b, wat.HASHER)
    _, pong = publish(v, b, wat.PONG)
    _, relay = publish(v, b, wat.RELAY)
    b = v.block()
    tx = op_return_tx(v, b, p.call(hasher))
    b.expect(
        ev.log(tx, hasher, hashlib.sha256(b"abc").digest()),
        ev.call(tx, hasher, wat.HASHER_FUEL, EMPTY_DIGEST),
    )
    tx = op_return_tx(v, b, p.call(relay, pong.raw()))
    b.expect(
        ev.call(tx, pong, wat.PONG_FUEL, EMPTY_DIGEST, caller=relay),
        ev.log(tx, relay, b"pong"),
        ev.call(tx, relay, wat.relay_fuel(4, wat.PONG_FUEL, wat.PONG), EMPTY_DIGEST),
    )
    return v.finish()


def memory_grow() -> dict[str, Any]:
    v = contract_vector(
        "contract-memory-grow",
        "memory.grow past the 16-page limit returns -1, by one page returns 1 (the old size); "
        "both results stored; grow costs 1 + the pages requested.",
        ["15.5", "15.7", "17.3"],
    )
    b = v.block()
    _, cid = publish(v, b, wat.GROW)
    b = v.block()
    tx = op_return_tx(v, b, p.call(cid))
    value = b"\xff\xff\xff\xff\x01\x00\x00\x00"
    b.expect(ev.call(tx, cid, wat.GROW_FUEL, digest((KEY0, value))))
    v.ledger.contracts[cid].storage[KEY0] = value
    return v.finish()


def _trap(
    name: str,
    what: str,
    code: bytes,
    reason: str,
    sections: list[str],
    *,
    detail: int | None = None,
) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        v = contract_vector(
            f"trap-{name}",
            f"A call that traps ({what}) is rejected with {reason}; nothing of it remains.",
            ["19.1", "19.2", *sections],
        )
        b = v.block()
        _, cid = publish(v, b, code)
        b = v.block()
        tx = op_return_tx(v, b, p.call(cid, fuel=1_000_000))
        b.expect(
            ev.rejected(tx, reason) if detail is None else ev.rejected_detail(tx, reason, detail)
        )
        return v.finish()

    make.__name__ = name
    return make


TRAP_VECTORS = [
    _trap("unreachable", "unreachable", wat.UNREACHABLE, "unreachable", ["15.9"]),
    _trap("out-of-fuel", "an endless loop", wat.SPIN, "out_of_fuel", ["15.7", "21.1"]),
    _trap("stack", "endless recursion", wat.RECURSE, "stack_exhausted", ["15.6"]),
    _trap("divide-by-zero", "i32.div_u by 0", wat.DIVIDE_BY_ZERO, "integer_divide_by_zero", []),
    _trap("overflow", "INT_MIN / -1", wat.OVERFLOW, "integer_overflow", []),
    _trap("memory", "a load past memory", wat.LOAD_OUT_OF_BOUNDS, "memory_out_of_bounds", []),
    _trap(
        "host-pointer",
        "emit from outside memory",
        wat.EMIT_BAD_POINTER,
        "memory_out_of_bounds",
        ["17.1", "17.2"],
    ),
    _trap(
        "indirect-type",
        "call_indirect with the wrong type",
        wat.INDIRECT_TYPE,
        "indirect_call_type",
        [],
    ),
    _trap(
        "table-bounds",
        "call_indirect past the table",
        wat.INDIRECT_OUT_OF_TABLE,
        "table_out_of_bounds",
        [],
    ),
    _trap(
        "empty-slot",
        "call_indirect on an empty slot",
        wat.INDIRECT_EMPTY_SLOT,
        "uninitialized_element",
        [],
    ),
    _trap("abort", "abort(7)", wat.ABORT_7, "contract_abort", ["17.3", "20.2"], detail=7),
    _trap(
        "input-index",
        "tx_input(99) with one input",
        wat.INPUT_99,
        "invalid_host_argument",
        ["17.3"],
    ),
    _trap("log-length", "a 1,025-byte log", wat.EMIT_TOO_LONG, "invalid_host_argument", ["21.1"]),
    _trap(
        "return-length",
        "4,097 bytes of return data",
        wat.RETURN_TOO_LONG,
        "invalid_host_argument",
        ["21.1"],
    ),
    _trap(
        "issue-sub-zero", "issue of sub 0", wat.ISSUE_SUB_ZERO, "invalid_host_argument", ["18.3"]
    ),
]


def block_budget() -> dict[str, Any]:
    v = contract_vector(
        "contract-block-fuel",
        "100 calls that trap at once each consume their whole limit, which is what their own "
        "transaction's vsize bought, not 10,000,000 of a shared block budget: the next call "
        "in the same block still runs (under the old rule it was block_fuel_exhausted).",
        ["21.2", "19.3"],
    )
    b = v.block()
    _, bad = publish(v, b, wat.UNREACHABLE)
    _, log = publish(v, b, wat.LOG)
    b = v.block()
    for _ in range(100):
        rejected_call(v, b, p.call(bad), "unreachable")
    _log_call(v, b, log)
    return v.finish()


def _log_call(v: Vector, b: Block, cid: Tok) -> None:
    tx = op_return_tx(v, b, p.call(cid))
    b.expect(ev.log(tx, cid, b"hello"), ev.call(tx, cid, wat.LOG_FUEL, EMPTY_DIGEST))


def commitment() -> dict[str, Any]:
    v = contract_vector(
        "contract-commitment",
        "Two blocks with the same shape whose calls store different values: the call events' "
        "digests differ, so the events and state hashes differ in the block of the write.",
        ["20.3", "20.4", "11"],
    )
    b = v.block()
    _, cid = publish_store(v, b)
    for value in (b"\x00", b"\x01"):
        b = v.block()
        tx = op_return_tx(v, b, p.call(cid, KEY0 + value))
        old = len(v.ledger.contracts[cid].storage[KEY0])
        b.expect(ev.call(tx, cid, wat.store_set_fuel(33, old), digest((KEY0, value))))
        v.ledger.contracts[cid].storage[KEY0] = value
    return v.finish()


VECTORS = [
    call_fields,
    call_fuel_exact,
    two_calls,
    storage,
    storage_limit,
    storage_absent,
    introspection,
    hashing_and_return,
    memory_grow,
    *TRAP_VECTORS,
    block_budget,
    commitment,
]
