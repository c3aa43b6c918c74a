"""Fuel bought with block space (spec/CONTRACTS.md §16.5, §21.2): a transaction's calls use
only the fuel its own virtual size buys, 1,000 per vB, after each call's start (500,000 plus
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
from tests.vectorgen.txbuild import Tx, carrier, envelope_in, pay

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


def fuel_per_vbyte() -> dict[str, Any]:
    v = contract_vector(
        "contract-fuel-per-vbyte",
        "A call from a small OP_RETURN transaction (about 150 vB): the call's start (500,000 + "
        "2 per module byte) is more than its vsize buys (1,000 per vB), so "
        "block_fuel_exhausted. "
        "The same call in an envelope with an 8,000-byte annex (about 2,000 vB) buys enough "
        "and logs.",
        ["16.5", "21.2"],
    )
    b = v.block()
    _, log = publish(v, b, wat.LOG)
    b = v.block()
    small = b.tx([v.fund()], [pay(), carrier(p.message(p.call(log)))], annex=0)
    assert FUEL_PER_VBYTE * vsize(small) < wat.start_fuel(wat.LOG), vsize(small)
    b.expect(ev.rejected(small, "block_fuel_exhausted"))
    padded = message_tx(v, b, p.call(log))
    assert FUEL_PER_VBYTE * vsize(padded) > wat.start_fuel(wat.LOG) + wat.LOG_FUEL
    b.expect(ev.log(padded, log, b"hello"), ev.call(padded, log, wat.LOG_FUEL, EMPTY_DIGEST))
    return v.finish()


def publish_fuel() -> dict[str, Any]:
    v = contract_vector(
        "contract-publish-fuel",
        "A publish takes 4,500 fuel per module byte before the module is examined (§16.1): "
        "a 1,000-byte module that is not even WebAssembly, in an envelope whose transaction "
        "buys about 300,000 fuel, is block_fuel_exhausted, not invalid_module (under the old "
        "rule, 10 per byte checked after validation, it was invalid_module).",
        ["16.1", "21.2"],
    )
    b = v.block()
    junk = b"\x00asm\x02\x00\x00\x00" + bytes(992)
    tx = b.tx([envelope_in(v.fund_point(), p.message(p.publish(junk)))], [pay()], annex=0)
    assert FUEL_PER_VBYTE * vsize(tx) < PUBLISH_FUEL_PER_BYTE * len(junk)
    b.expect(ev.rejected(tx, "block_fuel_exhausted"))
    return v.finish()


#: CONTRACTS.md §16.1: fuel per module byte.
PUBLISH_FUEL_PER_BYTE = 4_500

VECTORS = [fuel_per_vbyte, publish_fuel]
