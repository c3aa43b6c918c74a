"""The raw block scanner against real mainnet blocks and bitcoinlib-built synthetic blocks."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import pytest
from bitcoin.core import CBlock, COutPoint, CTransaction
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.scan import (
    BlockLayout,
    BlockParseError,
    Relevance,
    layout_block,
    outpoint,
    outpoint_from_utxo_key,
    parse_header,
    scan_block,
    select_relevant,
    tx_spans,
    txid_of,
    utxo_key_from_outpoint,
    wtxid_of,
)
from protocol.carrier import find_carriers
from protocol.params import ENVELOPE_HEAD
from protocol.tx import parse_transaction
from tests.indexer.synthetic_blocks import (
    CONTROL_BLOCK,
    SHARED_BLOCKS,
    SIGNATURE,
    block_bytes,
    coinbase,
    envelope_tapscript,
    op_return_script,
    transaction,
    txid,
)


@dataclass(frozen=True)
class MainnetBlock:
    name: str
    hash_hex: str
    tx_count: int


MAINNET_BLOCKS = (
    MainnetBlock(
        "mainnet-413567.raw",
        "0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069",
        1_557,
    ),
    MainnetBlock(
        "mainnet-702861.raw",
        "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae",
        2_500,
    ),
)
BY_NAME = pytest.mark.parametrize("known", MAINNET_BLOCKS, ids=lambda known: known.name)

_cache: dict[str, tuple[bytes, CBlock]] = {}


def load(name: str) -> tuple[bytes, CBlock]:
    """The block's bytes and bitcoinlib's deserialization of them, read once per run."""
    if name not in _cache:
        raw = (SHARED_BLOCKS / name).read_bytes()
        _cache[name] = (raw, CBlock.deserialize(raw))
    return _cache[name]


def random_outpoints(count: int) -> set[bytes]:
    return {os.urandom(36) for _ in range(count)}


# --- real blocks ---------------------------------------------------------------------------


@BY_NAME
def test_header_and_count_match_the_published_block(known: MainnetBlock) -> None:
    raw, reference = load(known.name)
    scanned = scan_block(raw)
    assert scanned.header.hash_hex == known.hash_hex
    assert scanned.tx_count == known.tx_count
    assert scanned.header.prev_hash == bytes(reference.hashPrevBlock)
    assert scanned.header.merkle_root == bytes(reference.hashMerkleRoot)
    header = scanned.header
    assert (header.version, header.time, header.bits, header.nonce) == (
        reference.nVersion,
        reference.nTime,
        reference.nBits,
        reference.nNonce,
    )


@BY_NAME
def test_every_txid_wtxid_and_tx_bytes_match_bitcoinlib(known: MainnetBlock) -> None:
    raw, reference = load(known.name)
    spans = tx_spans(raw)
    assert len(spans) == len(reference.vtx)
    for span, tx in zip(spans, reference.vtx, strict=True):
        assert raw[span.start : span.end] == tx.serialize()
        assert span.has_witness == tx.has_witness()
        assert txid_of(raw, span) == bytes(tx.GetTxid())
        assert wtxid_of(raw, span) == bytes(tx.GetHash())


@BY_NAME
def test_mainnet_blocks_hold_no_candidates(known: MainnetBlock) -> None:
    raw, _ = load(known.name)
    assert scan_block(raw).relevant == ()
    assert scan_block(raw, random_outpoints(1_000)).relevant == ()


def reference_relevance(block: CBlock, live: set[tuple[bytes, int]]) -> dict[int, Relevance]:
    """The spend rule of the issue applied to bitcoinlib's objects, one tx at a time."""
    found: dict[int, Relevance] = {}
    in_block: set[tuple[bytes, int]] = set()
    for index, tx in enumerate(block.vtx[1:], start=1):
        reasons = Relevance(0)
        for txin in tx.vin:
            spent = (bytes(txin.prevout.hash), txin.prevout.n)
            if spent in live:
                reasons |= Relevance.SPENDS_LIVE
            elif spent in in_block:
                reasons |= Relevance.SPENDS_IN_BLOCK
        if reasons:
            found[index] = reasons
            in_block.update((bytes(tx.GetTxid()), n) for n in range(len(tx.vout)))
    return found


def chain_forming_watch(block: CBlock) -> list[COutPoint]:
    """An input of every transaction whose outputs the same block spends, so that chains
    form, and the last input of every 97th transaction."""
    position = {bytes(tx.GetTxid()): index for index, tx in enumerate(block.vtx)}
    parents = {
        position[bytes(txin.prevout.hash)]
        for tx in block.vtx[1:]
        for txin in tx.vin
        if bytes(txin.prevout.hash) in position
    }
    watched = [block.vtx[index].vin[0].prevout for index in sorted(parents) if index]
    return watched + [tx.vin[-1].prevout for tx in block.vtx[1::97]]


@BY_NAME
def test_live_spends_and_in_block_chains_in_a_real_block(known: MainnetBlock) -> None:
    raw, reference = load(known.name)
    watched = chain_forming_watch(reference)
    expected = reference_relevance(reference, {(bytes(p.hash), p.n) for p in watched})
    assert any(reasons & Relevance.SPENDS_IN_BLOCK for reasons in expected.values())

    # bitcoinlib's serialization of an outpoint is the scanner's key form.
    scanned = scan_block(raw, {bytes(prevout.serialize()) for prevout in watched})
    assert {tx.index: tx.relevance for tx in scanned.relevant} == expected
    for tx in scanned.relevant:
        assert tx.txid == bytes(reference.vtx[tx.index].GetTxid())
        assert tx.raw == reference.vtx[tx.index].serialize()


# --- synthetic blocks: carriers ------------------------------------------------------------

FUNDING = b"\xaa" * 32
ENVELOPE_WITNESS = (SIGNATURE, envelope_tapscript(b"payload"), CONTROL_BLOCK)


def relevance_of(*txs: CTransaction, live: set[bytes] | None = None) -> dict[int, Relevance]:
    scanned = scan_block(block_bytes([coinbase(), *txs]), live or set())
    return {tx.index: tx.relevance for tx in scanned.relevant}


CANDIDATES = {
    "op_return magic": transaction([(FUNDING, 0)], [op_return_script(b"rstate", b"\xa1")]),
    "op_return magic, second output": transaction(
        [(FUNDING, 0)], [op_return_script(b"other"), op_return_script(b"rstate", b"x" * 70)]
    ),
    "envelope": transaction([(FUNDING, 0)], witnesses=[ENVELOPE_WITNESS]),
    "envelope, second input, annex": transaction(
        [(FUNDING, 0), (FUNDING, 1)],
        witnesses=[(), (*ENVELOPE_WITNESS, b"\x50annex")],
    ),
    # Conservative by design: which witness elements really carry is protocol.carrier's call.
    "envelope head in an annex": transaction(
        [(FUNDING, 0)], witnesses=[(SIGNATURE, b"\x50" + envelope_tapscript(b"p"))]
    ),
    "envelope head in a key-path spend": transaction(
        [(FUNDING, 0)], witnesses=[(envelope_tapscript(b"p"),)]
    ),
}

NOT_CANDIDATES = {
    "magic in a scriptSig": transaction(
        [(FUNDING, 0)], script_sig=op_return_script(b"rstate", b"x")
    ),
    "other magic": transaction([(FUNDING, 0)], [op_return_script(b"rstatf", b"x")]),
    "magic pushed with PUSHDATA1": transaction([(FUNDING, 0)], [b"\x6a\x4c\x06rstate"]),
    "magic in a plain output": transaction([(FUNDING, 0)], [b"\x51\x06rstate"]),
    "envelope with other magic": transaction(
        [(FUNDING, 0)],
        witnesses=[(SIGNATURE, envelope_tapscript(b"p", magic=b"rstatE"), CONTROL_BLOCK)],
    ),
    "magic without OP_FALSE OP_IF": transaction(
        [(FUNDING, 0)], witnesses=[(SIGNATURE, b"\x51\x63\x06rstate\x01p\x68", CONTROL_BLOCK)]
    ),
}


@pytest.mark.parametrize("name", CANDIDATES)
def test_carrier_candidates_are_found(name: str) -> None:
    tx = CANDIDATES[name]
    assert relevance_of(tx) == {1: Relevance.CARRIER_CANDIDATE}


@pytest.mark.parametrize("name", NOT_CANDIDATES)
def test_magic_elsewhere_is_not_a_candidate(name: str) -> None:
    assert relevance_of(NOT_CANDIDATES[name]) == {}


def test_candidates_among_irrelevant_transactions_keep_block_order() -> None:
    plain = [transaction([(FUNDING, n)]) for n in range(6)]
    txs = [plain[0], CANDIDATES["envelope"], *plain[1:4], CANDIDATES["op_return magic"], *plain[4:]]
    scanned = scan_block(block_bytes([coinbase(), *txs]))
    assert [tx.index for tx in scanned.relevant] == [2, 6]
    assert [tx.txid for tx in scanned.relevant] == [txid(txs[1]), txid(txs[5])]
    assert [tx.raw for tx in scanned.relevant] == [txs[1].serialize(), txs[5].serialize()]


def test_coinbase_is_never_relevant() -> None:
    magic_coinbase = coinbase(
        scripts=[op_return_script(b"rstate", b"x")], script_sig=envelope_tapscript(b"p")
    )
    raw = block_bytes([magic_coinbase, transaction([(FUNDING, 0)])])
    null_outpoint = bytes(32) + b"\xff\xff\xff\xff"
    assert scan_block(raw, {null_outpoint}).relevant == ()


WITNESS_ITEMS = st.one_of(
    st.binary(max_size=40),
    st.just(CONTROL_BLOCK),
    st.just(SIGNATURE),
    st.binary(max_size=30).map(envelope_tapscript),
    st.binary(max_size=30).map(lambda data: b"\x50" + envelope_tapscript(data)),
    st.binary(max_size=10).map(lambda data: data + ENVELOPE_HEAD),
)
OUTPUT_SCRIPTS = st.one_of(
    st.binary(max_size=40),
    st.binary(max_size=40).map(lambda data: op_return_script(b"rstate", data)),
    st.binary(max_size=10).map(lambda data: b"\x6a\x06rstate" + data),  # a short push
    st.binary(max_size=10).map(lambda data: op_return_script(data, b"rstate")),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(OUTPUT_SCRIPTS, min_size=1, max_size=3),
    st.lists(st.lists(WITNESS_ITEMS, max_size=4), min_size=1, max_size=2),
)
def test_every_carrier_protocol_finds_is_a_candidate(
    scripts: list[bytes], stacks: list[list[bytes]]
) -> None:
    prevouts = [(FUNDING, n) for n in range(len(stacks))]
    tx = transaction(prevouts, scripts, witnesses=stacks)
    carriers = find_carriers(parse_transaction(tx.serialize())).carriers
    if carriers:
        assert relevance_of(tx) == {1: Relevance.CARRIER_CANDIDATE}


# --- synthetic blocks: spends --------------------------------------------------------------

WATCHED = b"\xbb" * 32


def test_spends_of_live_outpoints_and_their_in_block_descendants() -> None:
    first = transaction([(FUNDING, 0), (WATCHED, 1)], [b"\x51", b"\x52"])
    unrelated = transaction([(FUNDING, 1)])
    child = transaction([(txid(first), 1)])
    grandchild = transaction([(txid(unrelated), 0), (txid(child), 0)])
    cousin = transaction([(txid(unrelated), 0)])
    out_of_range = transaction([(txid(first), 2)])
    live = {outpoint(WATCHED, 1)}
    txs = [first, unrelated, child, grandchild, cousin, out_of_range]
    assert relevance_of(*txs, live=live) == {
        1: Relevance.SPENDS_LIVE,
        3: Relevance.SPENDS_IN_BLOCK,
        4: Relevance.SPENDS_IN_BLOCK,
    }


def test_outputs_of_a_candidate_are_watched_within_the_block() -> None:
    carrier = CANDIDATES["op_return magic, second output"]
    child = transaction([(txid(carrier), 0)])
    assert relevance_of(carrier, child) == {
        1: Relevance.CARRIER_CANDIDATE,
        2: Relevance.SPENDS_IN_BLOCK,
    }


def test_reasons_combine() -> None:
    tx = transaction([(WATCHED, 0)], [op_return_script(b"rstate", b"x")])
    assert relevance_of(tx, live={outpoint(WATCHED, 0)}) == {
        1: Relevance.CARRIER_CANDIDATE | Relevance.SPENDS_LIVE
    }


def test_vout_is_compared_in_serialized_little_endian_order() -> None:
    # vout 1 little-endian is 01000000; 1 << 24 is what a big-endian mix-up would read.
    swapped = transaction([(WATCHED, 1 << 24)])
    other_vout = transaction([(WATCHED, 2)])
    spends = transaction([(WATCHED, 1)])
    live = {outpoint_from_utxo_key(b"\x01" + WATCHED + (1).to_bytes(4, "big"))}
    assert relevance_of(swapped, other_vout, spends, live=live) == {3: Relevance.SPENDS_LIVE}


def test_outpoint_forms_convert_both_ways() -> None:
    txid_bytes = bytes(range(32))
    utxo_key = b"\x01" + txid_bytes + bytes.fromhex("00000102")
    scanner_form = txid_bytes + bytes.fromhex("02010000")
    assert outpoint_from_utxo_key(utxo_key) == scanner_form
    assert utxo_key_from_outpoint(scanner_form) == utxo_key
    assert outpoint(txid_bytes, 0x0102) == scanner_form


def test_a_block_of_only_a_coinbase_has_nothing_relevant() -> None:
    raw = block_bytes([coinbase(scripts=[op_return_script(b"rstate", b"x")])])
    assert scan_block(raw, {outpoint(FUNDING, 0)}).relevant == ()
    assert select_relevant(raw, layout_block(raw), {outpoint(FUNDING, 0)}).relevant == ()


def test_a_layout_sent_as_bytes_selects_what_scan_block_finds() -> None:
    """The fetch process walks a block and sends its layout; the follow loop selects."""
    first = transaction([(FUNDING, 0), (WATCHED, 1)], [b"\x51", b"\x52"])
    child = transaction([(txid(first), 1)])
    txs = [first, CANDIDATES["envelope"], child, transaction([(FUNDING, 1)])]
    raw = block_bytes([coinbase(), *txs])
    live = {outpoint(WATCHED, 1)}
    received = BlockLayout.from_bytes(layout_block(raw).to_bytes())
    assert received == layout_block(raw)
    selected = select_relevant(raw, received, live)
    assert selected == scan_block(raw, live)
    assert [(tx.index, tx.relevance) for tx in selected.relevant] == [
        (1, Relevance.SPENDS_LIVE),
        (2, Relevance.CARRIER_CANDIDATE),
        (3, Relevance.SPENDS_IN_BLOCK),
    ]


# --- malformed input -----------------------------------------------------------------------

SMALL_BLOCK = block_bytes(
    [coinbase(), CANDIDATES["envelope, second input, annex"], transaction([(FUNDING, 3)])]
)


def test_every_truncation_of_a_block_is_a_parse_error() -> None:
    for cut in range(len(SMALL_BLOCK)):
        with pytest.raises(BlockParseError):
            scan_block(SMALL_BLOCK[:cut], {outpoint(FUNDING, 0)})
        with pytest.raises(BlockParseError):
            tx_spans(SMALL_BLOCK[:cut])


def test_truncated_mainnet_block_is_a_parse_error() -> None:
    raw, _ = load("mainnet-702861.raw")
    for cut in range(81, len(raw), len(raw) // 97):
        with pytest.raises(BlockParseError, match="truncated"):
            scan_block(raw[:cut])


def test_trailing_bytes_are_a_parse_error() -> None:
    with pytest.raises(BlockParseError, match="1 extra bytes"):
        scan_block(SMALL_BLOCK + b"\x00")


def test_unknown_segwit_flag_is_a_parse_error() -> None:
    raw = bytearray(SMALL_BLOCK)
    spans = tx_spans(SMALL_BLOCK)
    assert spans[1].has_witness
    raw[spans[1].start + 5] = 0x02
    with pytest.raises(BlockParseError, match="flag"):
        scan_block(bytes(raw))


def test_non_canonical_count_is_a_parse_error() -> None:
    # Two transactions, counted as fd 02 00 instead of 02.
    raw = block_bytes([coinbase(), transaction([(FUNDING, 0)])])
    assert raw[80] == 2
    with pytest.raises(BlockParseError, match="non-canonical"):
        scan_block(raw[:80] + b"\xfd\x02\x00" + raw[81:])


def test_short_header_is_a_parse_error() -> None:
    with pytest.raises(BlockParseError, match="80-byte header"):
        parse_header(SMALL_BLOCK[:79])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.booleans())
def test_arbitrary_bytes_parse_or_raise_block_parse_error(tail: bytes, watch: bool) -> None:
    live = {outpoint(FUNDING, 0)} if watch else set()
    for data in (tail, SMALL_BLOCK[:80] + tail, SMALL_BLOCK[:81] + tail):
        with contextlib.suppress(BlockParseError):
            scan_block(data, live)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=80, max_value=len(SMALL_BLOCK) - 1), st.integers(0, 255))
def test_corrupted_bytes_parse_or_raise_block_parse_error(position: int, value: int) -> None:
    data = bytearray(SMALL_BLOCK)
    data[position] = value
    with contextlib.suppress(BlockParseError):
        scan_block(bytes(data), {outpoint(FUNDING, 0)})


def test_outpoint_conversions_reject_other_keys() -> None:
    with pytest.raises(ValueError, match="not a UTXO key"):
        outpoint_from_utxo_key(b"\x02" + bytes(36))
    with pytest.raises(ValueError, match="36-byte"):
        utxo_key_from_outpoint(bytes(37))


def test_block_must_be_bytes() -> None:
    with pytest.raises(TypeError, match="needs bytes"):
        scan_block(bytearray(SMALL_BLOCK))  # type: ignore[arg-type]
