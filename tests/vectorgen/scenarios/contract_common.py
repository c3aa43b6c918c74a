"""Setups the contract scenarios share, each with its hand-written expectations
(spec/CONTRACTS.md §16, §20)."""

from __future__ import annotations

import hashlib

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen.model import ContractState, Tok
from tests.vectorgen.scenarios.common import next_tok
from tests.vectorgen.txbuild import In, Tx, carrier, envelope_in, pay
from tests.vectorgen.vector import Block, Vector

EMPTY_DIGEST = hashlib.sha256(b"").digest()
KEY0 = bytes(32)


def contract_vector(name: str, description: str, sections: list[str]) -> Vector:
    return Vector(name, description, sections, contracts=True)


def digest(*writes: tuple[bytes, bytes | None]) -> bytes:
    """§20.3: key ‖ 01 ‖ len u32be ‖ value for a set, key ‖ 00 for a delete."""
    parts = [
        key + b"\x00" if value is None else key + b"\x01" + len(value).to_bytes(4, "big") + value
        for key, value in writes
    ]
    return hashlib.sha256(b"".join(parts)).digest()


def code_hash(code: bytes) -> bytes:
    return hashlib.sha256(code).digest()


def message_tx(
    v: Vector, b: Block, *ops: p.Op, inputs: list[In] | None = None, outputs: int = 1
) -> Tx:
    """A message in an envelope on the first input (a fresh funding input unless given),
    with ``outputs`` spendable outputs."""
    payload = p.message(*ops)
    first = inputs[0].prevout if inputs else v.fund_point()
    rest = inputs[1:] if inputs else []
    ins = [envelope_in(first, payload), *rest]
    return b.tx(ins, [pay() for _ in range(outputs)], annex=publish_annex(b, len(payload)))


#: CONTRACTS.md §16.1, §21.2: a publish takes 4,500 fuel per module byte from its transaction,
#: more than the envelope's own witness bytes buy (250 each): a message of n bytes gets
#: 18 n more annex bytes (4,500 n fuel) beside the block's default. Not for a module over
#: the size limit, which is refused before the fuel is looked at.
ANNEX_PER_MESSAGE_BYTE = 18
MAX_MODULE_BYTES = 131_072


def publish_annex(b: Block, length: int) -> int:
    if not b.annex or length > MAX_MODULE_BYTES:
        return b.annex
    return b.annex + ANNEX_PER_MESSAGE_BYTE * length


def op_return_tx(v: Vector, b: Block, *ops: p.Op, inputs: list[In] | None = None) -> Tx:
    """A message in an OP_RETURN carrier after one spendable output."""
    return b.tx(inputs or [v.fund()], [pay(), carrier(p.message(*ops))])


def publish(
    v: Vector, b: Block, code: bytes, init: bytes | None = None, *, instance_of: Tok | None = None
) -> tuple[Tx, Tok]:
    """Publish ``code`` (or instantiate ``instance_of``) alone in a transaction; expects the
    publish/instantiate event and records the contract. The caller expects init's events."""
    cid = next_tok(b)
    if instance_of is None:
        tx = message_tx(v, b, p.publish(code, init))
        b.expect(ev.publish(tx, cid, code_hash(code)))
        v.ledger.code[code_hash(code)] = code
        v.ledger.contracts[cid] = ContractState(code_hash(code), tx.txid, 5)
    else:
        tx = message_tx(v, b, p.instantiate(instance_of, init))
        b.expect(ev.instantiate(tx, cid, code_hash(code)))
        v.ledger.contracts[cid] = ContractState(code_hash(code), tx.txid, 6)
    return tx, cid


def publish_store(v: Vector, b: Block, *, instance_of: Tok | None = None) -> tuple[Tx, Tok]:
    """STORE with its init: storage[0^32] = "init"."""
    tx, cid = publish(v, b, wat.STORE, instance_of=instance_of)
    b.expect(ev.call(tx, cid, wat.STORE_INIT_FUEL, digest((KEY0, b"init"))))
    v.ledger.contracts[cid].storage[KEY0] = b"init"
    return tx, cid


def publish_issuer(v: Vector, b: Block) -> tuple[Tx, Tok]:
    """ISSUER: init issues 1,000 of sub 1 into its own custody."""
    tx, cid = publish(v, b, wat.ISSUER)
    asset = cid.asset(1)
    b.expect(
        ev.issue(tx, cid, asset, 1000),
        ev.call(tx, cid, wat.ISSUER_INIT_FUEL, EMPTY_DIGEST),
    )
    v.ledger.contracts[cid].custody[asset] = 1000
    v.ledger.assets[asset] = (1000, 0)
    return tx, cid


def rejected_call(v: Vector, b: Block, op: p.Op, reason: str) -> Tx:
    """A message from a funding input only, rejected: one `rejected` event, nothing else."""
    tx = op_return_tx(v, b, op)
    b.expect(ev.rejected(tx, reason))
    return tx
