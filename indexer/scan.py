"""The raw block scanner: find the few transactions of a block the protocol must read.

:func:`scan_block` takes a block's raw bytes together with the set of live protocol
outpoints, and gives back the header fields, the transaction count and, in block order, only
the transactions that may matter: those that may carry a payload, those that spend a live
outpoint, and, conservatively, their in-block descendants. (The follow loop uses the walk,
:func:`layout_block`, and decides on descendants while it applies the block, knowing which
outputs did receive assets: :mod:`indexer.block_select`.) Nothing else becomes a Python
object: the scanner walks the serialization by offsets, skipping scripts and witness items by
their lengths, and hashes a txid only for the transactions it returns.

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
from array import array
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass
from enum import IntFlag
from hashlib import sha256
from heapq import heapify, heappop, heappush
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


_CARRIER_CANDIDATE = int(Relevance.CARRIER_CANDIDATE)
_SPENDS_LIVE = int(Relevance.SPENDS_LIVE)
_SPENDS_IN_BLOCK = int(Relevance.SPENDS_IN_BLOCK)
#: BlockLayout.txs holds, per transaction: start, body_start, body_end, end (a TxSpan), the
#: index of its first input in BlockLayout.prevouts, and its output count.
TX_FIELDS = 6
FIRST_INPUT, N_OUTPUTS = 4, 5
#: The coinbase's first input is input 0, so tx 1's first input is the coinbase's count.
_N_INPUTS = TX_FIELDS + FIRST_INPUT
_LAYOUT_HEAD = struct.Struct("=III")


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


@dataclass(frozen=True, slots=True)
class BlockLayout:
    """Where every transaction and input of a block lies, and which transactions are carrier
    candidates: all the scanner learns without the live set, in flat u32 arrays.

    The follow loop may receive it from the process that fetched the block
    (:mod:`indexer.fetch_process`), which then did the walk, the bulk of a scan, on another
    core. :meth:`to_bytes` is in native byte order: for another process on the same machine.
    """

    tx_count: int
    #: TX_FIELDS values per transaction, coinbase first.
    txs: array[int]
    #: The offset of every input's prevout, transactions in order, coinbase included.
    prevouts: array[int]
    #: Indexes of the transactions that pass the carrier test, coinbase excluded.
    candidates: array[int]

    def to_bytes(self) -> bytes:
        head = _LAYOUT_HEAD.pack(self.tx_count, len(self.txs), len(self.candidates))
        parts = (self.txs, self.candidates, self.prevouts)
        return head + b"".join(part.tobytes() for part in parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockLayout:
        tx_count, n_fields, n_candidates = _LAYOUT_HEAD.unpack_from(data)
        txs, prevouts, candidates = array("I"), array("I"), array("I")
        split = _LAYOUT_HEAD.size + n_fields * txs.itemsize
        txs.frombytes(data[_LAYOUT_HEAD.size : split])
        end = split + n_candidates * candidates.itemsize
        candidates.frombytes(data[split:end])
        prevouts.frombytes(data[end:])
        return cls(tx_count, txs, prevouts, candidates)


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
    header = _checked_header(block)
    return select_relevant(block, layout_block(block), live, header)


def layout_block(block: bytes) -> BlockLayout:
    """The live-set-independent half of :func:`scan_block`: walk every transaction.

    Raises :class:`BlockParseError` when ``block`` is not one serialized block.
    """
    _checked_header(block)
    tx_count, first_tx = _read_tx_count(block)
    return _walk(block, first_tx, tx_count)


def select_relevant(
    block: bytes,
    layout: BlockLayout,
    live: Collection[bytes] = _NO_OUTPOINTS,
    header: BlockHeader | None = None,
) -> ScannedBlock:
    """The other half of :func:`scan_block`: which transactions the protocol must read.

    ``layout`` must be ``layout_block(block)``, possibly computed in another process. The
    inputs are tested in bulk, not transaction by transaction: most blocks spend nothing
    live, and then only the carrier candidates cost Python work.
    """
    header = header or parse_header(block)
    txs, prevouts = layout.txs, layout.prevouts
    if layout.tx_count == 1:
        return ScannedBlock(header, 1, ())  # the coinbase is never returned
    coinbase_inputs = txs[_N_INPUTS]
    inputs = prevouts[coinbase_inputs:]
    hits = (
        [key for offset in inputs if (key := block[offset : offset + 36]) in live] if live else []
    )
    if not hits and not layout.candidates:
        return ScannedBlock(header, layout.tx_count, ())
    keys = [block[offset : offset + 36] for offset in inputs]
    spender = dict(zip(keys, range(coinbase_inputs, len(prevouts)), strict=True))
    first_inputs = txs[FIRST_INPUT::TX_FIELDS]
    reasons: dict[int, int] = dict.fromkeys(layout.candidates, _CARRIER_CANDIDATE)
    for key in hits:
        index = bisect_right(first_inputs, spender[key]) - 1
        reasons[index] = reasons.get(index, 0) | _SPENDS_LIVE
    queue = list(reasons)
    heapify(queue)
    relevant: list[RelevantTx] = []
    while queue:
        index = heappop(queue)
        base = index * TX_FIELDS
        span = TxSpan(*txs[base : base + 4])
        txid = txid_of(block, span)
        relevant.append(
            RelevantTx(index, txid, block[span.start : span.end], Relevance(reasons[index]))
        )
        # Outputs of a returned transaction may receive balances: their spenders matter too.
        for vout in range(txs[base + N_OUTPUTS]):
            output = txid + _U32.pack(vout)
            spent_by = spender.get(output)
            if spent_by is None or output in live:
                continue  # unspent here, or its spender is relevant already as live
            later = bisect_right(first_inputs, spent_by) - 1
            if later <= index:
                continue  # spends an output before it exists: the node would not serve it
            if later not in reasons:
                heappush(queue, later)
            reasons[later] = reasons.get(later, 0) | _SPENDS_IN_BLOCK
    return ScannedBlock(header, layout.tx_count, tuple(relevant))


def tx_spans(block: bytes) -> list[TxSpan]:
    """Where every transaction of ``block`` lies, coinbase first (for verification)."""
    tx_count, first_tx = _read_tx_count(block)
    txs = _walk(block, first_tx, tx_count).txs
    return [TxSpan(*txs[base : base + 4]) for base in range(0, len(txs), TX_FIELDS)]


def _checked_header(block: bytes) -> BlockHeader:
    if not isinstance(block, bytes):
        raise TypeError(f"scan_block needs bytes, got {type(block).__name__}")
    return parse_header(block)


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


def _walk(block: bytes, pos: int, tx_count: int) -> BlockLayout:
    """Walk every transaction from ``pos``; the hot loop, hence one long function.

    Each loop iteration indexes the block at its current offset, which only grows, so
    garbage ends the walk with an IndexError within ``len(block)`` iterations.
    """
    size = len(block)
    txs = array("I")
    prevouts = array("I")
    candidates = array("I")
    first_input = 0
    add_tx = txs.extend
    add_prevout = prevouts.append
    next_magic = _find_or_end(block, MAGIC, pos)
    wide = _wide_varint
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
            for _ in range(n_inputs):
                add_prevout(pos)
                length = block[pos + 36]
                if length < 0xFD:
                    pos += length + 41  # prevout, length byte, script, sequence
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
            candidate = False
            if next_magic < pos:
                next_magic = _find_or_end(block, MAGIC, pos)
                candidate = _has_carrier_head(
                    block, body_start - start == 6, outputs_start, body_end, pos
                )
            if candidate and index:
                candidates.append(index)
            add_tx((start, body_start, body_end, pos, first_input, n_outputs))
            first_input += n_inputs
    except (IndexError, struct.error, OverflowError) as exc:
        index = len(txs) // TX_FIELDS  # the transaction being walked
        raise BlockParseError(
            f"block truncated or malformed in transaction {index:,} starting at byte {start:,}"
        ) from exc
    if pos != size:
        what = "truncated" if pos > size else f"followed by {size - pos:,} extra bytes"
        raise BlockParseError(f"block {what} after {tx_count:,} transactions")
    return BlockLayout(tx_count, txs, prevouts, candidates)


def _find_or_end(block: bytes, needle: bytes, pos: int) -> int:
    found = block.find(needle, pos)
    return found if found >= 0 else len(block)


def _has_carrier_head(
    block: bytes, has_witness: bool, outputs_start: int, body_end: int, end: int
) -> bool:
    """The conservative carrier test of the module docstring, on one transaction."""
    if block.find(OP_RETURN_HEAD, outputs_start, body_end) >= 0:
        return True
    return has_witness and block.find(ENVELOPE_HEAD, body_end, end - 4) >= 0


if __name__ == "__main__":
    from indexer.scan_cli import main

    raise SystemExit(main())
