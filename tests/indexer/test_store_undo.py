"""The undo record encoding, against bytes written out by hand."""

from __future__ import annotations

import pytest

from indexer.store_errors import CorruptStoreError
from indexer.store_undo import UndoEntry, UndoTarget, decode_undo, encode_undo

TOKEN_KEY = bytes.fromhex("02" + "0000000a" + "00000001")
OUTPOINT = bytes(range(32)) + bytes.fromhex("00000002")

ENTRIES = [
    UndoEntry(UndoTarget.STATE, TOKEN_KEY, None),
    UndoEntry(UndoTarget.OUTPUTS, OUTPOINT, b""),
    UndoEntry(UndoTarget.STATE, b"\x03AB", b"\xa1\x01\x02"),
]
ENCODED = bytes.fromhex(
    "01"
    "00000003"
    "01"
    "0009"
    "ffffffff"
    "020000000a00000001"
    "02"
    "0024"
    "00000000" + bytes(range(32)).hex() + "00000002"
    "01"
    "0003"
    "00000003"
    "034142"
    "a10102"
)


def test_encoding_matches_the_documented_layout() -> None:
    assert encode_undo(ENTRIES) == ENCODED


def test_decoding_gives_back_the_entries_absent_and_empty_apart() -> None:
    decoded = decode_undo(ENCODED)
    assert decoded == ENTRIES
    assert decoded[0].prior is None
    assert decoded[1].prior == b""


def test_an_empty_record_round_trips() -> None:
    assert encode_undo([]) == bytes.fromhex("0100000000")
    assert decode_undo(bytes.fromhex("0100000000")) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x00", "shorter than its header"),
        (b"\x02" + ENCODED[1:], "format 2"),
        (ENCODED[:8], "ends inside an entry header"),
        (ENCODED[:20], "ends inside an entry"),
        (ENCODED[:5] + b"\x2a" + ENCODED[6:], "unknown database 42"),
        (ENCODED + b"\x00", "1 trailing bytes"),
    ],
)
def test_malformed_records_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(CorruptStoreError, match=message):
        decode_undo(data)
