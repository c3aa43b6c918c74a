"""The follow loop's block selection: the decoder against python-bitcoinlib over real mainnet
blocks, and the in-block spend rule against a one-transaction-at-a-time reference."""

from __future__ import annotations

import random

import pytest
from bitcoin.core import CBlock, CTransaction
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.block_select import BlockSelection, decode_transaction
from indexer.scan import TxSpan, layout_block, outpoint, tx_spans, txid_of
from protocol.machine import outpoint as protocol_outpoint
from protocol.tx import parse_transaction
from tests.indexer.synthetic_blocks import (
    CONTROL_BLOCK,
    SIGNATURE,
    block_bytes,
    coinbase,
    envelope_tapscript,
    op_return_script,
    transaction,
    txid,
)
from tests.indexer.test_scan import BY_NAME, MainnetBlock, chain_forming_watch, load

FUNDING = b"\xaa" * 32
WATCHED = b"\xbb" * 32
CARRIER_SCRIPT = op_return_script(b"rstate", b"\xa1")


def selected(
    raw: bytes, live: set[bytes], credited: set[bytes] | None = None
) -> list[tuple[int, bytes]]:
    """(index, txid) of what the selection yields; ``credited`` holds protocol outpoints
    (txid + vout big-endian) the stand-in machine binds assets to when their tx is applied."""
    selection = BlockSelection(raw, layout_block(raw), live)
    bound: set[bytes] = set()
    out = []
    for index, tx in selection.transactions(bound.__contains__):
        out.append((index, tx.txid))
        for vout in range(len(tx.outputs)):
            point = protocol_outpoint(tx.txid, vout)
            if credited is not None and point in credited:
                bound.add(point)
    return out


# --- the decoder --------------------------------------------------------------------------


@BY_NAME
def test_every_transaction_decodes_as_python_bitcoinlib_parses_it(known: MainnetBlock) -> None:
    raw, reference = load(known.name)
    spans = tx_spans(raw)
    assert len(spans) == known.tx_count
    for span, tx in zip(spans, reference.vtx, strict=True):
        decoded = decode_transaction(raw, span, txid_of(raw, span))
        assert decoded == parse_transaction(tx.serialize())
        assert decoded.txid == bytes(tx.GetTxid())


def test_witness_stacks_and_empty_ones_decode_per_input() -> None:
    tx = transaction(
        [(FUNDING, 0), (FUNDING, 1), (FUNDING, 2)],
        [CARRIER_SCRIPT, b"\x51" * 300],
        witnesses=[(SIGNATURE, envelope_tapscript(b"x" * 600), CONTROL_BLOCK), ()],
    )
    raw = block_bytes([coinbase(), tx])
    span = TxSpan(*layout_block(raw).txs[6:10])
    decoded = decode_transaction(raw, span, txid(tx))
    assert [i.witness for i in decoded.inputs] == [
        (SIGNATURE, envelope_tapscript(b"x" * 600), CONTROL_BLOCK),
        (),
        (),
    ]
    assert [(i.prev_txid, i.prev_vout) for i in decoded.inputs] == [(FUNDING, n) for n in range(3)]
    assert [(o.value, o.script) for o in decoded.outputs] == [
        (1_000, CARRIER_SCRIPT),
        (1_001, b"\x51" * 300),
    ]


# --- the in-block spend rule --------------------------------------------------------------


def test_a_carriers_uncredited_change_does_not_drag_in_its_spenders() -> None:
    carrier = transaction([(FUNDING, 0)], [b"\x51", CARRIER_SCRIPT, b"\x52"])
    spends_change = transaction([(txid(carrier), 2)])
    chained = transaction([(txid(spends_change), 0)])
    spends_credited = transaction([(txid(carrier), 0)])
    raw = block_bytes([coinbase(), carrier, spends_change, chained, spends_credited])
    credited = {protocol_outpoint(txid(carrier), 0)}
    assert selected(raw, set(), credited) == [(1, txid(carrier)), (4, txid(spends_credited))]
    # Nothing credited: the carrier alone.
    assert selected(raw, set()) == [(1, txid(carrier))]


def test_assets_moving_down_a_chain_select_the_whole_chain() -> None:
    first = transaction([(WATCHED, 1)], [b"\x51", b"\x52"])
    second = transaction([(txid(first), 0)], [b"\x51"])
    third = transaction([(txid(second), 0)], [b"\x51"])
    other = transaction([(FUNDING, 0)])
    raw = block_bytes([coinbase(), first, other, second, third])
    credited = {protocol_outpoint(txid(tx), 0) for tx in (first, second, third)}
    live = {outpoint(WATCHED, 1)}
    assert [i for i, _ in selected(raw, live, credited)] == [1, 3, 4]
    # The chain stops where assets stop: second bound nothing.
    credited.discard(protocol_outpoint(txid(second), 0))
    assert [i for i, _ in selected(raw, live, credited)] == [1, 3]


def test_the_coinbase_is_never_selected_even_when_its_null_outpoint_is_live() -> None:
    raw = block_bytes([coinbase(), transaction([(FUNDING, 0)])])
    assert selected(raw, {outpoint(bytes(32), 0xFFFF_FFFF)}) == []


def test_a_spender_found_only_inside_a_script_is_not_a_spender() -> None:
    carrier = transaction([(FUNDING, 0)], [b"\x51", CARRIER_SCRIPT])
    # The carrier's output 0 as 36 bytes inside another transaction's output script.
    mentions = transaction([(FUNDING, 1)], [b"\x6a\x24" + outpoint(txid(carrier), 0)])
    raw = block_bytes([coinbase(), carrier, mentions])
    assert selected(raw, set(), {protocol_outpoint(txid(carrier), 0)}) == [(1, txid(carrier))]


def reference(
    block: CBlock, live: set[bytes], credit: set[bytes], candidates: set[int]
) -> list[int]:
    """The rule one transaction at a time: a tx is applied when it is a candidate, spends a
    live outpoint, or spends an output that an applied tx of this block was credited with."""
    bound: set[bytes] = set()
    out = []
    for index, tx in enumerate(block.vtx[1:], start=1):
        spends = {bytes(txin.prevout.serialize()) for txin in tx.vin}
        if index in candidates or spends & live or spends & bound:
            out.append(index)
            for vout in range(len(tx.vout)):
                if protocol_outpoint(bytes(tx.GetTxid()), vout) in credit:
                    bound.add(outpoint(bytes(tx.GetTxid()), vout))
    return out


@BY_NAME
@pytest.mark.parametrize("seed", [1, 2])
def test_real_blocks_select_as_the_reference_does(known: MainnetBlock, seed: int) -> None:
    raw, block = load(known.name)
    rng = random.Random(seed)
    # Chains of watched spends; credit a random half of every output of the block.
    watched = {bytes(prevout.serialize()) for prevout in chain_forming_watch(block)}
    credit = {
        protocol_outpoint(bytes(tx.GetTxid()), vout)
        for tx in block.vtx[1:]
        for vout in range(len(tx.vout))
        if rng.random() < 0.5
    }
    expected = reference(block, watched, credit, set())
    got = [index for index, _ in selected(raw, watched, credit)]
    assert got == expected
    assert len(expected) > len(watched) // 2  # chains formed: the rule was exercised


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_spend_graphs_select_as_the_reference_does(data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 12))
    txs: list[CTransaction] = []
    spent: set[tuple[bytes, int]] = set()  # a valid block spends an output once
    for index in range(count):
        unspent = [
            (txid(tx), vout)
            for tx in txs
            for vout in range(len(tx.vout))
            if (txid(tx), vout) not in spent
        ]
        spends = data.draw(st.lists(st.sampled_from(unspent), max_size=3)) if unspent else []
        prevouts = [*dict.fromkeys(spends), (FUNDING, index)]
        spent.update(prevouts)
        carrier = data.draw(st.booleans())
        scripts = [b"\x51", CARRIER_SCRIPT] if carrier else [b"\x51", b"\x52"]
        txs.append(transaction(prevouts, scripts))
    raw = block_bytes([coinbase(), *txs])
    block = CBlock.deserialize(raw)
    live_indexes = data.draw(st.sets(st.integers(0, count - 1)))
    live = {outpoint(FUNDING, n) for n in live_indexes}
    all_outputs = [protocol_outpoint(txid(tx), vout) for tx in txs for vout in range(2)]
    credit = set(data.draw(st.lists(st.sampled_from(all_outputs)))) if all_outputs else set()
    candidates = {n for n, tx in enumerate(txs, start=1) if tx.vout[1].scriptPubKey[:1] == b"\x6a"}
    expected = reference(block, live, credit, candidates)
    assert [index for index, _ in selected(raw, live, credit)] == expected
