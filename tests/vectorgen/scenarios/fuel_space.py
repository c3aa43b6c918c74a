"""Fuel bought with block space (spec/CONTRACTS.md §16.5, §21.2): a transaction's calls use
only the fuel its own virtual size buys, 1,000 per vB, after each call's start (250,000 plus
2 per byte of the called module).

Checked against the old rule (a block budget of 1,000,000,000 and no price per vB): under
it the small transaction's call succeeds and logs, so this vector's first expectation fails.
"""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen.scenarios.contract_common import (
    EMPTY_DIGEST,
    contract_vector,
    message_tx,
    publish,
)
from tests.vectorgen.txbuild import Tx, carrier, pay

FUEL_PER_VBYTE = 1_000


def vsize(tx: Tx) -> int:
    """BIP141, counted here from the bytes: base size x 3 + total size, / 4 rounded up."""
    raw = tx.raw
    total = len(raw)
    base = total
    if raw[4:6] == b"\x00\x01":  # segwit marker and flag: strip them and the witness
        base = total - 2 - _witness_len(raw)
    return -(-(base * 3 + total) // 4)


def _witness_len(raw: bytes) -> int:
    """The witness bytes of a segwit serialization: walk inputs and outputs, then stacks."""
    pos = 6
    n_in, pos = _cs(raw, pos)
    for _ in range(n_in):
        pos += 36
        size, pos = _cs(raw, pos)
        pos += size + 4
    n_out, pos = _cs(raw, pos)
    for _ in range(n_out):
        pos += 8
        size, pos = _cs(raw, pos)
        pos += size
    start = pos
    for _ in range(n_in):
        items, pos = _cs(raw, pos)
        for _ in range(items):
            size, pos = _cs(raw, pos)
            pos += size
    return pos - start


def _cs(raw: bytes, pos: int) -> tuple[int, int]:
    first = raw[pos]
    if first < 0xFD:
        return first, pos + 1
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    return int.from_bytes(raw[pos + 1 : pos + 1 + width], "little"), pos + 1 + width


#: LOG with a 60,000-byte data segment: its start alone is 250,000 + 2 x 60,0xx fuel.
BIG_LOG = wat.module(
    '(func (export "call") i32.const 0 i32.const 5 call $emit)',
    imports=("emit",),
    data={0: b"hello", 100: bytes(60_000)},
)


def fuel_per_vbyte() -> dict[str, Any]:
    v = contract_vector(
        "contract-fuel-per-vbyte",
        "A call of a 60 KB module from a small OP_RETURN transaction: its start (250,000 + 2 "
        "per module byte) is more than its vsize buys (1,000 per vB), so block_fuel_exhausted. "
        "The same call in an envelope with a 4,000-byte annex (about 1,000 vB) buys enough "
        "and logs.",
        ["16.5", "21.2"],
    )
    b = v.block()
    _, big = publish(v, b, BIG_LOG)
    b = v.block()
    small = b.tx([v.fund()], [pay(), carrier(p.message(p.call(big)))], annex=0)
    assert FUEL_PER_VBYTE * vsize(small) < wat.start_fuel(BIG_LOG), vsize(small)
    b.expect(ev.rejected(small, "block_fuel_exhausted"))
    padded = message_tx(v, b, p.call(big))
    assert FUEL_PER_VBYTE * vsize(padded) > wat.start_fuel(BIG_LOG) + wat.LOG_FUEL
    b.expect(ev.log(padded, big, b"hello"), ev.call(padded, big, wat.LOG_FUEL, EMPTY_DIGEST))
    return v.finish()


VECTORS = [fuel_per_vbyte]
