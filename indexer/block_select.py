"""Which transactions of a block the follow loop applies, decided while it applies them.

:func:`indexer.scan.select_relevant` returns a superset fixed before the block is applied:
with a transaction it returns every later transaction of the block that spends any of its
outputs, transitively, because any output *might* receive assets. On a block where one
carrier's change starts a chain of a few thousand ordinary spends (common around exchanges
and batchers, and in the benchmark's blocks), that is thousands of transactions parsed and
applied for nothing: measured 3,382 selected, 1 with an effect, 300 ms instead of 5.

:class:`BlockSelection` starts from what is known before the block (carrier candidates and
spenders of live outpoints) and adds a spender of an output of this block only once the
machine has bound assets to that output (:meth:`protocol.machine.BlockApplication.credited`),
which is exactly when its spender can matter (spec §7.3: only protocol outpoints carry
anything into a transaction). Transactions still come in block order, as spec §7.1 requires:
a spender always comes after the output it spends.

Transactions are decoded straight from the block by the offsets the walk found, with the
txid the selection already hashed: python-bitcoinlib's parse, which also re-serializes to
hash, cost 0.2 ms per transaction and was the follow loop's largest single cost.
``tests/indexer/test_block_select.py`` holds the decoder to python-bitcoinlib's result over
every transaction of the real mainnet blocks in ``../shared/data``.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterator
from functools import cached_property
from heapq import heapify, heappop, heappush

from indexer.scan import (
    FIRST_INPUT,
    N_OUTPUTS,
    TX_FIELDS,
    BlockLayout,
    TxSpan,
    outpoint,
    parse_header,
    txid_of,
)
from protocol.machine import outpoint as protocol_outpoint
from protocol.tx import (
    Transaction,
    TxInput,
    TxOutput,
    read_compact_size,
    read_witness_stack,
    weight,
)

_PREVOUT = struct.Struct("<32sI")
_OUTPUT_VALUE = struct.Struct("<q")


def decode_transaction(block: bytes, span: TxSpan, txid: bytes) -> Transaction:
    """The transaction at ``span`` of a block :func:`indexer.scan.layout_block` walked, which
    proved its structure; ``txid`` is its txid (internal order)."""
    pos = span.body_start
    n_inputs, pos = read_compact_size(block, pos)
    prevouts: list[tuple[bytes, int]] = []
    for _ in range(n_inputs):
        prevouts.append(_PREVOUT.unpack_from(block, pos))
        length, pos = read_compact_size(block, pos + 36)
        pos += length + 4
    n_outputs, pos = read_compact_size(block, pos)
    outputs: list[TxOutput] = []
    for _ in range(n_outputs):
        (value,) = _OUTPUT_VALUE.unpack_from(block, pos)
        length, pos = read_compact_size(block, pos + 8)
        outputs.append(TxOutput(value, block[pos : pos + length]))
        pos += length
    inputs: list[TxInput] = []
    has_witness = span.has_witness
    for prev_txid, prev_vout in prevouts:
        stack: tuple[bytes, ...] = ()
        if has_witness:
            stack, pos = read_witness_stack(block, pos)
        inputs.append(TxInput(prev_txid, prev_vout, stack))
    total = span.end - span.start
    # Without the witness: the version (4), inputs and outputs, the lock time (4).
    base = 4 + span.body_end - span.body_start + 4 if has_witness else total
    return Transaction(
        txid=txid, inputs=tuple(inputs), outputs=tuple(outputs), weight=weight(base, total)
    )


class BlockSelection:
    """The transactions of one walked block that the follow loop must apply; see the module
    docstring. ``live`` holds the scanner's 36-byte outpoints (txid + vout little-endian)
    that carry assets before the block."""

    def __init__(
        self,
        block: bytes,
        layout: BlockLayout,
        live: Collection[bytes],
    ) -> None:
        self.block = block
        self.layout = layout
        self.header = parse_header(block)
        self._first_inputs = layout.txs[FIRST_INPUT::TX_FIELDS]
        self._first_input = layout.txs[TX_FIELDS + FIRST_INPUT] if layout.tx_count > 1 else 0
        self.initial = self._initial(live)

    @cached_property
    def _keys(self) -> list[bytes]:
        """Every input's prevout but the coinbase's, as the scanner's outpoints: slicing them
        all is the one per-input cost of a block (the set and dict work is C), paid only when
        there is a live set to test or an output credited here to follow."""
        return [self.block[o : o + 36] for o in self.layout.prevouts[self._first_input :]]

    @cached_property
    def _spender(self) -> dict[bytes, int]:
        """Input number (after the coinbase's) by the outpoint it spends."""
        return dict(zip(self._keys, range(len(self._keys)), strict=True))

    def _initial(self, live: Collection[bytes]) -> list[int]:
        """Carrier candidates and spenders of ``live``, in block order, coinbase excluded."""
        chosen = set(self.layout.candidates)
        if live and self._keys:
            if isinstance(live, set | frozenset):
                hits: Collection[bytes] = live.intersection(self._keys)
            else:
                hits = [key for key in self._keys if key in live]
            for key in hits:
                chosen.add(self._tx_spending(key))
        return sorted(chosen)

    def _tx_spending(self, serialized: bytes) -> int:
        """The index of the transaction spending ``serialized``; -1 when none in this block."""
        number = self._spender.get(serialized)
        if number is None:
            return -1
        return bisect_right(self._first_inputs, number + self._first_input) - 1

    def transactions(self, credited: Callable[[bytes], bool]) -> Iterator[tuple[int, Transaction]]:
        """``(index in block, transaction)`` in block order, to be applied one by one: when
        the iterator resumes, ``credited`` must answer for everything applied so far
        (:meth:`protocol.machine.BlockApplication.credited`)."""
        queue = list(self.initial)
        heapify(queue)
        queued = set(queue)
        txs = self.layout.txs
        while queue:
            index = heappop(queue)
            base = index * TX_FIELDS
            span = TxSpan(*txs[base : base + 4])
            tx = decode_transaction(self.block, span, txid_of(self.block, span))
            yield index, tx
            txid = tx.txid
            for vout in range(txs[base + N_OUTPUTS]):
                if not credited(protocol_outpoint(txid, vout)):
                    continue
                later = self._tx_spending(outpoint(txid, vout))
                if later > index and later not in queued:
                    queued.add(later)
                    heappush(queue, later)
