"""The raw block scanner: find the few transactions of a block the protocol must read.

The follow loop hands every block's raw bytes to :func:`scan_block` together with the set of
live protocol outpoints, and gets back the header fields, the transaction count and, in block
order, only the transactions that matter: those that may carry a payload and those that spend
a live outpoint. Nothing else becomes a Python object: the scanner walks the serialization by
offsets, skipping scripts and witness items by their lengths, and hashes a txid only for the
transactions it returns.

Use
---
::

    live = {outpoint_from_utxo_key(key) for key in utxo_keys}  # kept up to date per block
    scanned = scan_block(raw_block, live)  # ScannedBlock: header, tx_count, relevant
    for tx in scanned.relevant:  # RelevantTx: index, txid, raw, relevance
        transaction = protocol.tx.parse_transaction(tx.raw)

The header's hash is the caller's to compare with the hash it asked the node for; the
height is the caller's to know. :func:`tx_spans`, :func:`txid_of` and :func:`wtxid_of` locate
and hash every transaction, for verification (:mod:`indexer.block_check`), not for the
hot path.

Outpoint keys
-------------
``live`` holds 36-byte outpoints *in their serialized form*: txid (32 bytes, internal order)
followed by vout as u32 **little-endian**, exactly the bytes of a transaction input's
prevout. The scanner then tests each input with a single slice, no per-input conversion.
The store and ``protocol.tx.TxInput.prevout`` write vout big-endian (store key: ``0x01`` +
txid + vout BE); :func:`outpoint_from_utxo_key` and :func:`utxo_key_from_outpoint` convert
between the two forms, once per outpoint when the live set changes.

Relevance
---------
A transaction is returned when any of the :class:`Relevance` flags holds for it. The carrier
test is a conservative filter, a superset of the carriers ``protocol.carrier`` accepts:

* ``CARRIER_CANDIDATE``: the outputs of the transaction contain ``6a 06 'rstate'`` (which
  every OP_RETURN carrier's script opens with), or its witness data contains
  ``ENVELOPE_HEAD`` (which every witness element holding an envelope contains), annexes and
  key-path spends included: which of those carry a message is ``protocol.carrier``'s call;
* ``SPENDS_LIVE``: an input spends an outpoint in ``live``;
* ``SPENDS_IN_BLOCK``: an input spends an output of an earlier returned transaction of the
  same block (those outputs may receive balances while the block is applied).

The coinbase is never returned. Candidate tests run only on transactions that contain the
magic at all (one ``bytes.find`` over the block locates the next occurrence), and the input
test only once there is something to watch, so most transactions cost just the walk.

The scanner always walks the whole block, even when ``live`` is empty and the magic occurs
nowhere (when nothing could be relevant): the walk is what proves the bytes are one complete
block, and it already runs at hundreds of MB/s (``python -m bench.scan``). Blocks
after activation are scanned with a non-empty live set almost always, so a shortcut for the
empty set would save little and would let a truncated block pass unnoticed.
"""

from __future__ import annotations

import struct
from collections.abc import Collection
from dataclasses import dataclass
from enum import IntFlag
from hashlib import sha256
from typing import NamedTuple

from protocol.params import ENVELOPE_HEAD, MAGIC, MAGIC_PUSH
from protocol.state import UTXO_KEY_LEN, UTXO_PREFIX

HEADER_SIZE = 80
OP_RETURN_HEAD = b"\x6a" + MAGIC_PUSH

_HEADER = struct.Struct("<i32s32sIII")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_WIDE_VARINT = {0xFD: (_U16, 0xFD), 0xFE: (_U32, 0x1_0000), 0xFF: (_U64, 0x1_0000_0000)}
_NO_OUTPOINTS: frozenset[bytes] = frozenset()


class BlockParseError(ValueError):
    """The bytes are not one serialized block: truncated, garbled or followed by extra bytes."""


class Relevance(IntFlag):
    """Why the scanner returned a transaction; several flags may hold at once."""

    CARRIER_CANDIDATE = 1
    SPENDS_LIVE = 2
    SPENDS_IN_BLOCK = 4


_SPENDS_LIVE = int(Relevance.SPENDS_LIVE)
_SPENDS_IN_BLOCK = int(Relevance.SPENDS_IN_BLOCK)


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The 80-byte header's fields; hashes in internal byte order (``*_hex`` for display)."""

    hash: bytes
    version: int
    prev_hash: bytes
    merkle_root: bytes
    time: int
    bits: int
    nonce: int

    @property
    def hash_hex(self) -> str:
        return self.hash[::-1].hex()

    @property
    def prev_hash_hex(self) -> str:
        return self.prev_hash[::-1].hex()


@dataclass(frozen=True, slots=True)
class RelevantTx:
    """One transaction the protocol must read, with its full serialization (witness included)."""

    index: int
    txid: bytes  # internal order
    raw: bytes
    relevance: Relevance

    @property
    def txid_hex(self) -> str:
        return self.txid[::-1].hex()


@dataclass(frozen=True, slots=True)
class ScannedBlock:
    """What the follow loop needs of one block; the height is the caller's to know."""

    header: BlockHeader
    tx_count: int
    relevant: tuple[RelevantTx, ...]


class TxSpan(NamedTuple):
    """Where one transaction lies in the block.

    ``start:end`` is the whole serialization; ``body_start:body_end`` the inputs and outputs
    (for a segwit transaction, after the marker and flag and before the witness data).
    """

    start: int
    body_start: int
    body_end: int
    end: int

    @property
    def has_witness(self) -> bool:
        return self.body_start - self.start == 6


def parse_header(block: bytes) -> BlockHeader:
    """The header of ``block`` and its hash."""
    if len(block) < HEADER_SIZE:
        raise BlockParseError(f"block has {len(block):,} bytes, fewer than an 80-byte header")
    version, prev_hash, merkle_root, time, bits, nonce = _HEADER.unpack_from(block)
    block_hash = sha256d(memoryview(block)[:HEADER_SIZE])
    return BlockHeader(block_hash, version, prev_hash, merkle_root, time, bits, nonce)


def scan_block(block: bytes, live: Collection[bytes] = _NO_OUTPOINTS) -> ScannedBlock:
    """Find the transactions of ``block`` that carry a candidate payload or spend ``live``.

    ``block`` must be ``bytes`` (slices of it are hashed as set keys). ``live`` is any
    container of 36-byte serialized outpoints (see the module docstring); it is only read.
    Raises :class:`BlockParseError` when ``block`` is not one serialized block.
    """
    if not isinstance(block, bytes):
        raise TypeError(f"scan_block needs bytes, got {type(block).__name__}")
    header = parse_header(block)
    tx_count, first_tx = _read_tx_count(block)
    relevant = _walk(block, first_tx, tx_count, live, None)
    return ScannedBlock(header, tx_count, tuple(relevant))


def tx_spans(block: bytes) -> list[TxSpan]:
    """Where every transaction of ``block`` lies, coinbase first (for verification)."""
    tx_count, first_tx = _read_tx_count(block)
    spans: list[TxSpan] = []
    _walk(block, first_tx, tx_count, _NO_OUTPOINTS, spans)
    return spans


def txid_of(block: bytes, span: TxSpan) -> bytes:
    """The txid (internal order) of the transaction at ``span``: the hash without witness."""
    view = memoryview(block)
    if not span.has_witness:
        return sha256d(view[span.start : span.end])
    inner = sha256(view[span.start : span.start + 4])
    inner.update(view[span.body_start : span.body_end])
    inner.update(view[span.end - 4 : span.end])
    return sha256(inner.digest()).digest()


def wtxid_of(block: bytes, span: TxSpan) -> bytes:
    """The wtxid (internal order) of the transaction at ``span``: the hash of all its bytes."""
    return sha256d(memoryview(block)[span.start : span.end])


def outpoint_from_utxo_key(key: bytes) -> bytes:
    """The scanner's outpoint for a store UTXO key (``0x01`` + txid + vout big-endian)."""
    if len(key) != UTXO_KEY_LEN or not key.startswith(UTXO_PREFIX):
        raise ValueError(f"not a UTXO key: {key.hex()}")
    return key[1:33] + key[36:32:-1]


def utxo_key_from_outpoint(serialized: bytes) -> bytes:
    """The store UTXO key for one of the scanner's outpoints (txid + vout little-endian)."""
    if len(serialized) != 36:
        raise ValueError(f"not a 36-byte outpoint: {serialized.hex()}")
    return UTXO_PREFIX + serialized[:32] + serialized[35:31:-1]


def outpoint(txid: bytes, vout: int) -> bytes:
    """The scanner's 36-byte outpoint for ``txid`` (internal order) and output index ``vout``."""
    return txid + _U32.pack(vout)


def sha256d(data: bytes | memoryview) -> bytes:
    """Bitcoin's double SHA-256."""
    return sha256(sha256(data).digest()).digest()


def _read_tx_count(block: bytes) -> tuple[int, int]:
    """The transaction count after the header and the offset of the first transaction."""
    try:
        prefix = block[HEADER_SIZE]
        count, pos = (prefix, HEADER_SIZE + 1) if prefix < 0xFD else _wide_varint(block, 81, prefix)
    except (IndexError, struct.error) as exc:
        raise BlockParseError(f"block truncated at byte {HEADER_SIZE}") from exc
    if not count:
        raise BlockParseError("block has no transactions, not even a coinbase")
    return count, pos


def _wide_varint(block: bytes, pos: int, prefix: int) -> tuple[int, int]:
    """The value of a CompactSize whose first byte ``prefix`` is 0xfd..0xff, read at ``pos``."""
    layout, smallest = _WIDE_VARINT[prefix]
    (value,) = layout.unpack_from(block, pos)
    if value < smallest:
        raise BlockParseError(f"non-canonical CompactSize at byte {pos - 1:,}")
    return value, pos + layout.size


def _walk(
    block: bytes,
    pos: int,
    tx_count: int,
    live: Collection[bytes],
    spans: list[TxSpan] | None,
) -> list[RelevantTx]:
    """Walk every transaction from ``pos``; the hot loop, hence one long function.

    Each loop iteration indexes the block at its current offset, which only grows, so
    garbage ends the walk with an IndexError within ``len(block)`` iterations.
    """
    size = len(block)
    relevant: list[RelevantTx] = []
    spent_in_block: set[bytes] = set()
    watching = bool(live)
    next_magic = _find_or_end(block, MAGIC, pos)
    wide = _wide_varint
    index = 0
    start = pos
    try:
        for index in range(tx_count):
            start = pos
            if block[pos + 4] == 0:  # segwit marker (an input count of zero otherwise)
                if block[pos + 5] != 1:
                    raise BlockParseError(f"unknown transaction flag at byte {pos + 5:,}")
                pos += 6
            else:
                pos += 4
            body_start = pos
            n_inputs = block[pos]
            pos += 1
            if n_inputs >= 0xFD:
                n_inputs, pos = wide(block, pos, n_inputs)
            spends = 0
            if watching and index:
                for _ in range(n_inputs):
                    if block[pos : pos + 36] in live:
                        spends |= _SPENDS_LIVE
                    elif spent_in_block and block[pos : pos + 36] in spent_in_block:
                        spends |= _SPENDS_IN_BLOCK
                    length = block[pos + 36]
                    if length < 0xFD:
                        pos += length + 41  # prevout, length byte, script, sequence
                    else:
                        length, pos = wide(block, pos + 37, length)
                        pos += length + 4
            else:
                for _ in range(n_inputs):
                    length = block[pos + 36]
                    if length < 0xFD:
                        pos += length + 41
                    else:
                        length, pos = wide(block, pos + 37, length)
                        pos += length + 4
            outputs_start = pos
            n_outputs = block[pos]
            pos += 1
            if n_outputs >= 0xFD:
                n_outputs, pos = wide(block, pos, n_outputs)
            for _ in range(n_outputs):
                length = block[pos + 8]
                if length < 0xFD:
                    pos += length + 9  # value, length byte, script
                else:
                    length, pos = wide(block, pos + 9, length)
                    pos += length
            body_end = pos
            if body_start - start == 6:
                for _ in range(n_inputs):
                    n_items = block[pos]
                    pos += 1
                    if n_items >= 0xFD:
                        n_items, pos = wide(block, pos, n_items)
                    for _ in range(n_items):
                        length = block[pos]
                        if length < 0xFD:
                            pos += length + 1
                        else:
                            length, pos = wide(block, pos + 1, length)
                            pos += length
            pos += 4  # lock time
            if spans is not None:
                spans.append(TxSpan(start, body_start, body_end, pos))
            if next_magic >= pos and not spends:
                continue
            span = TxSpan(start, body_start, body_end, pos)
            reasons = Relevance(spends)
            if next_magic < pos:
                next_magic = _find_or_end(block, MAGIC, pos)
                if _has_carrier_head(block, span, outputs_start):
                    reasons |= Relevance.CARRIER_CANDIDATE
            if not reasons or not index or pos > size:
                continue
            txid = txid_of(block, span)
            relevant.append(RelevantTx(index, txid, block[start:pos], reasons))
            spent_in_block.update(txid + _U32.pack(vout) for vout in range(n_outputs))
            watching = True
    except (IndexError, struct.error) as exc:
        raise BlockParseError(
            f"block truncated or malformed in transaction {index:,} starting at byte {start:,}"
        ) from exc
    if pos != size:
        what = "truncated" if pos > size else f"followed by {size - pos:,} extra bytes"
        raise BlockParseError(f"block {what} after {tx_count:,} transactions")
    return relevant


def _find_or_end(block: bytes, needle: bytes, pos: int) -> int:
    found = block.find(needle, pos)
    return found if found >= 0 else len(block)


def _has_carrier_head(block: bytes, span: TxSpan, outputs_start: int) -> bool:
    """The conservative carrier test of the module docstring, on one transaction."""
    if block.find(OP_RETURN_HEAD, outputs_start, span.body_end) >= 0:
        return True
    return span.has_witness and block.find(ENVELOPE_HEAD, span.body_end, span.end - 4) >= 0


if __name__ == "__main__":
    from indexer.scan_cli import main

    raise SystemExit(main())
