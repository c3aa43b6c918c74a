"""Transaction serialization and ids against real mainnet transactions."""

from __future__ import annotations

import pytest
from bitcoin.core import CTransaction

from protocol.tx import compact_size, read_compact_size
from regtest.tx import OutPoint, Tx, TxIn, TxOut, TxParseError
from tests.regtest.vectors import read_block


@pytest.mark.parametrize("name", ["mainnet-413567", "mainnet-702861"])
def test_parse_then_serialize_reproduces_every_mainnet_transaction(name: str) -> None:
    _, raws = read_block(name)
    for raw in raws:
        assert Tx.parse(raw).serialize() == raw


def test_ids_and_weight_agree_with_python_bitcoinlib() -> None:
    _, raws = read_block("mainnet-702861")
    witness_txs = [raw for raw in raws[1:] if Tx.parse(raw).has_witness][:50]
    assert witness_txs
    for raw in witness_txs:
        ours = Tx.parse(raw)
        theirs = CTransaction.deserialize(raw)
        assert ours.txid == theirs.GetTxid()
        assert ours.wtxid == theirs.GetHash()
        assert ours.serialize(include_witness=False) == theirs.serialize({"include_witness": False})
        assert ours.weight == len(ours.serialize(include_witness=False)) * 3 + len(raw)


def test_built_transaction_round_trips_through_python_bitcoinlib() -> None:
    tx = Tx(
        inputs=(TxIn(OutPoint(bytes(range(32)), 7), b"", 0xFFFFFFFD, (b"\x01" * 64, b"")),),
        outputs=(TxOut(5_000, b"\x51\x20" + bytes(32)), TxOut(0, b"\x6a\x06rstate")),
        version=2,
        locktime=123,
    )
    theirs = CTransaction.deserialize(tx.serialize())
    assert theirs.nLockTime == 123
    assert [o.nValue for o in theirs.vout] == [5_000, 0]
    assert list(theirs.wit.vtxinwit[0].scriptWitness.stack) == [b"\x01" * 64, b""]
    assert tx.txid_hex == theirs.GetTxid()[::-1].hex()


def test_truncated_and_padded_bytes_are_refused() -> None:
    _, raws = read_block("mainnet-702861")
    raw = raws[1]
    with pytest.raises(TxParseError, match="truncated"):
        Tx.parse(raw[:-3])
    with pytest.raises(TxParseError, match="trailing"):
        Tx.parse(raw + b"\x00")


@pytest.mark.parametrize("n", [0, 0xFC, 0xFD, 0xFFFF, 0x10000, 0xFFFFFFFF, 0x100000000])
def test_compact_size_round_trip(n: int) -> None:
    encoded = compact_size(n)
    assert read_compact_size(encoded, 0) == (n, len(encoded))


def test_compact_size_uses_the_shortest_form() -> None:
    assert compact_size(0xFC) == b"\xfc"
    assert compact_size(0xFD) == b"\xfd\xfd\x00"
    assert compact_size(0x10000) == b"\xfe\x00\x00\x01\x00"
