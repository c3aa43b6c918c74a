"""Script operation reading (spec §3.2.1)."""

from __future__ import annotations

import pytest

from protocol.script import ScriptOp, TruncatedScript, iter_ops


def ops(script: bytes, start: int = 0) -> list[tuple[int, bytes | None, int, int]]:
    return [(op.opcode, op.data, op.start, op.end) for op in iter_ops(script, start)]


def test_empty_script_has_no_operations() -> None:
    assert ops(b"") == []


def test_op_0_pushes_the_empty_string() -> None:
    assert ops(b"\x00") == [(0x00, b"", 0, 1)]


@pytest.mark.parametrize("size", [1, 2, 20, 75])
def test_direct_pushes_take_their_length_from_the_opcode(size: int) -> None:
    data = bytes(range(size))
    assert ops(bytes([size]) + data + b"\x51") == [
        (size, data, 0, 1 + size),
        (0x51, None, 1 + size, 2 + size),
    ]


def test_pushdata1_reads_a_one_byte_length() -> None:
    assert ops(b"\x4c\x03abc") == [(0x4C, b"abc", 0, 5)]


def test_pushdata2_reads_a_two_byte_little_endian_length() -> None:
    data = b"x" * 0x0102
    assert ops(b"\x4d\x02\x01" + data) == [(0x4D, data, 0, 3 + 0x0102)]


def test_pushdata4_reads_a_four_byte_little_endian_length() -> None:
    assert ops(b"\x4e\x02\x00\x00\x00hi") == [(0x4E, b"hi", 0, 7)]


def test_non_minimal_pushes_are_still_pushes() -> None:
    # 3 bytes pushed with PUSHDATA1/2/4 where a direct push would do (§3.2.1: need not be minimal)
    script = b"\x4c\x01a" + b"\x4d\x01\x00b" + b"\x4e\x00\x00\x00\x00"
    assert [op.data for op in iter_ops(script)] == [b"a", b"b", b""]


@pytest.mark.parametrize("opcode", [0x4F, 0x50, 0x51, 0x60, 0x61, 0x63, 0x68, 0x6A, 0xAC, 0xFF])
def test_every_opcode_above_pushdata4_is_a_non_push(opcode: int) -> None:
    assert ops(bytes([opcode])) == [(opcode, None, 0, 1)]


def test_offsets_chain_across_mixed_operations() -> None:
    script = b"\x00\x63\x06rstate\x02hi\x68"
    assert ops(script) == [
        (0x00, b"", 0, 1),
        (0x63, None, 1, 2),
        (0x06, b"rstate", 2, 9),
        (0x02, b"hi", 9, 12),
        (0x68, None, 12, 13),
    ]


def test_start_offset_skips_the_head() -> None:
    assert ops(b"\x6a\x06rstate\x01z", start=8) == [(0x01, b"z", 8, 10)]


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(b"\x05abcd", id="direct-push-data-short"),
        pytest.param(b"\x4b", id="direct-push-no-data"),
        pytest.param(b"\x4c", id="pushdata1-no-length"),
        pytest.param(b"\x4c\x05abcd", id="pushdata1-data-short"),
        pytest.param(b"\x4d\x01", id="pushdata2-length-short"),
        pytest.param(b"\x4d\x05\x00abcd", id="pushdata2-data-short"),
        pytest.param(b"\x4e\x01\x00\x00", id="pushdata4-length-short"),
        pytest.param(b"\x4e\xff\xff\xff\xff" + b"a" * 10, id="pushdata4-huge-length"),
    ],
)
def test_a_truncated_push_raises(script: bytes) -> None:
    with pytest.raises(TruncatedScript):
        list(iter_ops(script))


def test_operations_before_a_truncated_push_are_still_yielded() -> None:
    seen: list[ScriptOp] = []
    with pytest.raises(TruncatedScript):
        for op in iter_ops(b"\x51\x01a\x02b"):
            seen.append(op)
    assert [(op.opcode, op.data) for op in seen] == [(0x51, None), (0x01, b"a")]


def test_a_push_that_ends_exactly_at_the_script_end_is_whole() -> None:
    assert ops(b"\x4d\x03\x00xyz") == [(0x4D, b"xyz", 0, 6)]
