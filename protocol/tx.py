"""The transaction view the machine works on (spec §3).

Parsing is python-bitcoinlib's; this module only reduces its result to the few fields the
protocol reads, as immutable bytes, so the machine never touches library objects.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bitcoin.core import CTransaction
from bitcoin.core.serialize import DeserializationExtraDataError, SerializationError

_WIDE_COMPACT_SIZE = {
    0xFD: struct.Struct("<H"),
    0xFE: struct.Struct("<I"),
    0xFF: struct.Struct("<Q"),
}
NULL_TXID = bytes(32)
COINBASE_VOUT = 0xFFFFFFFF
#: BIP141: a byte outside the witness weighs this many weight units, a witness byte one.
WITNESS_SCALE = 4
#: The segwit marker and flag bytes after the version: counted in the total size only.
SEGWIT_MARKER_LEN = 2


def weight(base_size: int, total_size: int) -> int:
    """BIP141 weight: the size without witness data (``base_size``) times 3 plus the full
    serialized size (``total_size``). CONTRACTS.md §21.2 prices fuel by it."""
    return base_size * (WITNESS_SCALE - 1) + total_size


def vsize(tx_weight: int) -> int:
    """BIP141 virtual size: the weight divided by 4, rounded up (CONTRACTS.md §21.2)."""
    return -(-tx_weight // WITNESS_SCALE)


def witness_size(stacks: tuple[tuple[bytes, ...], ...]) -> int:
    """Bytes of the serialized witness data of inputs with these stacks: per input the item
    count, then each item after its CompactSize length."""
    return sum(
        len(compact_size(len(stack))) + sum(len(compact_size(len(i))) + len(i) for i in stack)
        for stack in stacks
    )


def compact_size(n: int) -> bytes:
    """Bitcoin's CompactSize unsigned integer (the length prefix of scripts and witnesses)."""
    if n < 0xFD:
        return bytes((n,))
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFF_FFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def read_compact_size(data: bytes, pos: int) -> tuple[int, int]:
    """The CompactSize at ``pos`` of ``data`` and the position after it (IndexError or
    struct.error when ``data`` ends inside it)."""
    first = data[pos]
    if first < 0xFD:
        return first, pos + 1
    layout = _WIDE_COMPACT_SIZE[first]
    return layout.unpack_from(data, pos + 1)[0], pos + 1 + layout.size


def read_witness_stack(data: bytes, pos: int) -> tuple[tuple[bytes, ...], int]:
    """One input's witness stack at ``pos`` of ``data`` (an item count, then each item after
    its CompactSize length) and the position after it."""
    count, pos = read_compact_size(data, pos)
    items = []
    for _ in range(count):
        size, pos = read_compact_size(data, pos)
        items.append(data[pos : pos + size])
        pos += size
    return tuple(items), pos


class TransactionParseError(ValueError):
    """The bytes are not one serialized Bitcoin transaction."""


@dataclass(frozen=True)
class TxInput:
    prev_txid: bytes
    prev_vout: int
    witness: tuple[bytes, ...]

    @property
    def prevout(self) -> bytes:
        """The spent outpoint as txid (internal order) + vout (u32 big-endian)."""
        return self.prev_txid + self.prev_vout.to_bytes(4, "big")


@dataclass(frozen=True)
class TxOutput:
    value: int
    script: bytes

    @property
    def is_op_return(self) -> bool:
        """spec §7.1: an output is unspendable when its script starts with OP_RETURN."""
        return self.script[:1] == b"\x6a"


@dataclass(frozen=True)
class Transaction:
    txid: bytes
    inputs: tuple[TxInput, ...]
    outputs: tuple[TxOutput, ...]
    #: BIP141 weight of the serialized transaction (:func:`weight`); 0 for one built without
    #: its bytes, whose contract calls then buy no fuel (CONTRACTS.md §21.2).
    weight: int = 0

    @property
    def vsize(self) -> int:
        """Virtual size in vB (:func:`vsize`)."""
        return vsize(self.weight)

    @property
    def is_coinbase(self) -> bool:
        """spec §3.5: one input spending the null outpoint."""
        return (
            len(self.inputs) == 1
            and self.inputs[0].prev_txid == NULL_TXID
            and self.inputs[0].prev_vout == COINBASE_VOUT
        )

    def txid_hex(self) -> str:
        """The txid in the reversed-hex form block explorers and RPC show."""
        return self.txid[::-1].hex()


def parse_transaction(raw: bytes) -> Transaction:
    """Parse one serialized transaction (with or without witness data)."""
    try:
        ctx = CTransaction.deserialize(bytes(raw))
    except DeserializationExtraDataError as exc:
        raise TransactionParseError("trailing bytes after the transaction") from exc
    except (SerializationError, ValueError, IndexError, EOFError) as exc:
        raise TransactionParseError(f"not a serialized transaction: {exc}") from exc
    witnesses = ctx.wit.vtxinwit if ctx.wit is not None else ()
    inputs = []
    for index, txin in enumerate(ctx.vin):
        stack: tuple[bytes, ...] = ()
        if index < len(witnesses):
            stack = tuple(bytes(item) for item in witnesses[index].scriptWitness.stack)
        inputs.append(TxInput(bytes(txin.prevout.hash), int(txin.prevout.n), stack))
    outputs = tuple(TxOutput(int(out.nValue), bytes(out.scriptPubKey)) for out in ctx.vout)
    total = len(raw)
    base = total
    if ctx.wit is not None and not ctx.wit.is_null():
        base = total - SEGWIT_MARKER_LEN - witness_size(tuple(i.witness for i in inputs))
    return Transaction(
        txid=bytes(ctx.GetTxid()),
        inputs=tuple(inputs),
        outputs=outputs,
        weight=weight(base, total),
    )
