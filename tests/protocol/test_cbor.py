"""The strict CBOR profile (spec §4): every check, and the order they run in."""

from __future__ import annotations

import tracemalloc

import pytest

from protocol.cbor import decode_payload, encode_canonical
from protocol.reasons import Rejection
from tests.protocol.builders import Code

FF8 = b"\xff" * 8


def reason_of(payload: bytes) -> int | None:
    try:
        decode_payload(payload)
    except Rejection as rejection:
        return int(rejection.reason)
    return None


def nested(depth: int, kind: str = "array") -> bytes:
    """``depth`` containers, each holding the next; the innermost is empty."""
    opener, empty = (b"\x81", b"\x80") if kind == "array" else (b"\xa1\x00", b"\xa0")
    return opener * (depth - 1) + empty


# --- accepted payloads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        (b"\x00", 0),
        (b"\x17", 23),
        (b"\x18\x18", 24),
        (b"\x19\x01\x00", 256),
        (b"\x1b" + FF8, 2**64 - 1),
        (b"\xc2\x49\x01" + bytes(8), 2**64),
        (b"\xc2\x50" + b"\xff" * 16, 2**128 - 1),
        (b"\x40", b""),
        (b"\x43abc", b"abc"),
        (b"\x62\xc3\xa9", "\u00e9"),
        (b"\x80", []),
        (b"\xa0", {}),
        (b"\xa2\x00\x01\x01\x82\x41x\x60", {0: 1, 1: [b"x", ""]}),
        (b"\xa2\x0a\x00\x18\x18\x00", {10: 0, 24: 0}),
    ],
)
def test_profile_payloads_decode_to_their_values(payload: bytes, value: object) -> None:
    assert decode_payload(payload) == value


def test_eight_levels_of_nesting_are_allowed() -> None:
    value = decode_payload(nested(8))
    for _ in range(7):
        assert isinstance(value, list)
        assert len(value) == 1
        value = value[0]
    assert value == []
    assert reason_of(nested(8, "map")) is None


# --- §4.1 invalid_cbor ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x18", id="uint-argument-missing"),
        pytest.param(b"\x1b\x00\x00", id="u64-argument-short"),
        pytest.param(b"\x62a", id="text-short"),
        pytest.param(b"\x5a\xff\xff\xff\xff", id="huge-byte-string"),
        pytest.param(b"\x82\x01", id="array-item-missing"),
        pytest.param(b"\xa1\x01", id="map-value-missing"),
        pytest.param(b"\x9b" + FF8, id="huge-array-count"),
        pytest.param(b"\x1c", id="reserved-ai-28"),
        pytest.param(b"\x5d", id="reserved-ai-29-bytes"),
        pytest.param(b"\xfe", id="reserved-ai-30-simple"),
        pytest.param(b"\xff", id="lone-break"),
        pytest.param(b"\x81\xff", id="break-in-definite-array"),
        pytest.param(b"\x1f", id="indefinite-uint"),
        pytest.param(b"\x3f", id="indefinite-negint"),
        pytest.param(b"\xdf\x00", id="indefinite-tag"),
        pytest.param(b"\xc2", id="tag-without-content"),
        pytest.param(b"\x5f\x61a\xff", id="text-chunk-in-byte-string"),
        pytest.param(b"\x7f\x41a\xff", id="byte-chunk-in-text-string"),
        pytest.param(b"\x5f\x5f\xff\xff", id="indefinite-chunk"),
        pytest.param(b"\x5f\x41a", id="indefinite-string-without-break"),
        pytest.param(b"\x9f\x00", id="indefinite-array-without-break"),
        pytest.param(b"\xbf\x01\xff", id="indefinite-map-ends-after-key"),
        pytest.param(b"\xf8\x00", id="two-byte-simple-0"),
        pytest.param(b"\xf8\x1f", id="two-byte-simple-31"),
        pytest.param(b"\x61\xff", id="utf8-invalid-byte"),
        pytest.param(b"\x62\xc3\x28", id="utf8-bad-continuation"),
        pytest.param(b"\x63\xed\xa0\x80", id="utf8-surrogate"),
        pytest.param(b"\x62\xc0\xaf", id="utf8-overlong"),
        pytest.param(b"\x7f\x61\xc3\x61\xa9\xff", id="utf8-split-across-chunks"),
        pytest.param(b"\x00\x00", id="trailing-item"),
        pytest.param(b"\xa0\xff", id="trailing-break"),
    ],
)
def test_not_well_formed_is_invalid_cbor(payload: bytes) -> None:
    assert reason_of(payload) == Code.INVALID_CBOR


def test_tag_followed_by_break_is_invalid_cbor() -> None:
    # [ [_ 2(<break>) ], h'00' ]: the tag's content would be the break
    assert reason_of(b"\x82\x9f\xc2\xff\x41\x00") == Code.INVALID_CBOR


# --- §4.2 forbidden_cbor_item --------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"\x20", id="negative-int"),
        pytest.param(b"\x38\x63", id="negative-int-100"),
        pytest.param(b"\xc0\x60", id="tag-0"),
        pytest.param(b"\xc1\x00", id="tag-1"),
        pytest.param(b"\xc3\x41\x01", id="tag-3-negative-bignum"),
        pytest.param(b"\xd8\x18\x41\x00", id="tag-24"),
        pytest.param(b"\xd9\xd9\xf7\x00", id="tag-55799-self-describe"),
        pytest.param(b"\xf9\x00\x00", id="float16"),
        pytest.param(b"\xfa\x00\x00\x00\x00", id="float32"),
        pytest.param(b"\xfb" + bytes(8), id="float64"),
        pytest.param(b"\xf4", id="false"),
        pytest.param(b"\xf5", id="true"),
        pytest.param(b"\xf6", id="null"),
        pytest.param(b"\xf7", id="undefined"),
        pytest.param(b"\xf0", id="simple-16"),
        pytest.param(b"\xf8\x20", id="simple-32"),
        pytest.param(b"\x5f\xff", id="indefinite-empty-bytes"),
        pytest.param(b"\x5f\x41a\x41b\xff", id="indefinite-bytes"),
        pytest.param(b"\x7f\x61a\xff", id="indefinite-text"),
        pytest.param(b"\x9f\xff", id="indefinite-array"),
        pytest.param(b"\xbf\x00\x00\xff", id="indefinite-map"),
        pytest.param(b"\xa1\x61a\x00", id="text-key"),
        pytest.param(b"\xa1\x41a\x00", id="bytes-key"),
        pytest.param(b"\xa1\x20\x00", id="negative-key"),
        pytest.param(b"\xa1\x80\x00", id="array-key"),
        pytest.param(b"\xa1\xc2\x49\x01" + bytes(8) + b"\x00", id="bignum-key"),
        pytest.param(b"\xc2\x00", id="tag-2-around-uint"),
        pytest.param(b"\xc2\x61a", id="tag-2-around-text"),
        pytest.param(b"\xc2\x5f\x41\x01\xff", id="tag-2-around-indefinite-bytes"),
        pytest.param(b"\xc2\xc2\x41\x01", id="tag-2-around-tag-2"),
        pytest.param(b"\xa2\x00\x01\x03\xf9\x3e\x00", id="float-under-ignored-odd-key"),
    ],
)
def test_items_outside_the_profile_are_forbidden(payload: bytes) -> None:
    assert reason_of(payload) == Code.FORBIDDEN_CBOR_ITEM


@pytest.mark.parametrize("kind", ["array", "map"])
def test_nine_levels_of_nesting_are_forbidden(kind: str) -> None:
    assert reason_of(nested(9, kind)) == Code.FORBIDDEN_CBOR_ITEM


def test_depth_counts_arrays_and_maps_together() -> None:
    # map > array > map > array ... 9 containers in all
    payload = b"\xa1\x00\x81" * 4 + b"\x80"
    assert reason_of(payload) == Code.FORBIDDEN_CBOR_ITEM
    assert reason_of(b"\xa1\x00\x81" * 3 + b"\xa1\x00\x80") is None  # 8 containers


def test_byte_strings_do_not_count_towards_depth() -> None:
    assert reason_of(nested(8)[:-1] + b"\x81\x41\x00") is None  # 8 arrays, then a byte string


# --- §4: any depth is legal input, judged without recursion --------------------------------

DEEP = 100_000  # far past Python's recursion limit and cbor2's own depth limit of 400


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(nested(DEEP), Code.FORBIDDEN_CBOR_ITEM, id="arrays"),
        pytest.param(nested(DEEP, "map"), Code.FORBIDDEN_CBOR_ITEM, id="maps"),
        pytest.param(b"\x82" * DEEP + bytes(DEEP + 1), Code.FORBIDDEN_CBOR_ITEM, id="pairs"),
        pytest.param(b"\x9f" * DEEP + b"\xff" * DEEP, Code.FORBIDDEN_CBOR_ITEM, id="indefinite"),
        pytest.param(
            b"\xbf\x00" * DEEP + b"\x00" + b"\xff" * DEEP,
            Code.FORBIDDEN_CBOR_ITEM,
            id="indefinite-maps",
        ),
        pytest.param(b"\x81" * DEEP + b"\x1c", Code.INVALID_CBOR, id="reserved-at-the-bottom"),
        pytest.param(nested(DEEP) + b"\x00", Code.INVALID_CBOR, id="trailing-byte"),
        pytest.param(b"\x82" * DEEP + bytes(DEEP), Code.INVALID_CBOR, id="pairs-one-short"),
        pytest.param(b"\x9f" * DEEP + b"\xff" * (DEEP - 1), Code.INVALID_CBOR, id="break-missing"),
        pytest.param(
            b"\xbf\x00" * DEEP + b"\xff" * DEEP, Code.INVALID_CBOR, id="map-ends-after-key"
        ),
        pytest.param(
            b"\x9f\x81" * DEEP + b"\x61\xff" + b"\xff" * DEEP, Code.INVALID_CBOR, id="bad-utf8"
        ),
    ],
)
def test_deep_payloads_are_judged_like_any_other(payload: bytes, reason: int) -> None:
    assert reason_of(payload) == reason


def test_definite_nesting_costs_no_memory_per_level() -> None:
    payload = nested(DEEP)
    tracemalloc.start()
    try:
        assert reason_of(payload) == Code.FORBIDDEN_CBOR_ITEM
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024, f"{peak:,} bytes for {DEEP:,} levels"


# --- §4.3 non_canonical_cbor ---------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"\x18\x05", id="uint-5-in-one-byte-argument"),
        pytest.param(b"\x19\x00\xff", id="uint-255-in-two-bytes"),
        pytest.param(b"\x1a\x00\x00\xff\xff", id="uint-in-four-bytes"),
        pytest.param(b"\x1b\x00\x00\x00\x00\xff\xff\xff\xff", id="uint-in-eight-bytes"),
        pytest.param(b"\x58\x01a", id="bytes-length-long-head"),
        pytest.param(b"\x78\x01a", id="text-length-long-head"),
        pytest.param(b"\x98\x01\x00", id="array-count-long-head"),
        pytest.param(b"\xb8\x01\x00\x00", id="map-count-long-head"),
        pytest.param(b"\xa2\x01\x00\x00\x00", id="keys-descending"),
        pytest.param(b"\xa2\x18\x18\x00\x0a\x00", id="key-24-before-10"),
        pytest.param(b"\xa2\x00\x00\x00\x01", id="duplicate-keys"),
        pytest.param(b"\xa2\x00\x01\x00\x01", id="duplicate-keys-same-value"),
        pytest.param(b"\xc2\x40", id="bignum-zero"),
        pytest.param(b"\xc2\x41\x01", id="bignum-one"),
        pytest.param(b"\xc2\x48" + FF8, id="bignum-u64-max"),
        pytest.param(b"\xc2\x4a\x00\x01" + bytes(8), id="bignum-leading-zero"),
    ],
)
def test_non_deterministic_encodings_are_non_canonical(payload: bytes) -> None:
    assert reason_of(payload) == Code.NON_CANONICAL_CBOR


# --- §4.5 integer_out_of_range -------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"\xc2\x51\x01" + bytes(16), id="2**128"),
        pytest.param(b"\xc2\x58\x20" + b"\xff" * 32, id="2**256-1"),
        pytest.param(b"\x82\x00\xc2\x51\x01" + bytes(16), id="inside-array"),
        pytest.param(b"\xa2\x00\x01\x03\xc2\x51\x01" + bytes(16), id="under-ignored-odd-key"),
    ],
)
def test_integers_above_u128_are_out_of_range(payload: bytes) -> None:
    assert reason_of(payload) == Code.INTEGER_OUT_OF_RANGE


# --- §4.6 order of the checks --------------------------------------------------------------


def test_invalid_beats_an_earlier_forbidden_item() -> None:
    assert reason_of(b"\x82\x20\x18") == Code.INVALID_CBOR  # [-1, <truncated>]


def test_invalid_beats_an_earlier_non_canonical_item() -> None:
    assert reason_of(b"\x82\x18\x01\x61\xff") == Code.INVALID_CBOR  # [1 (long), bad UTF-8]


def test_forbidden_beats_an_earlier_non_canonical_item() -> None:
    assert reason_of(b"\x82\x18\x01\x20") == Code.FORBIDDEN_CBOR_ITEM  # [1 (long), -1]


def test_non_canonical_beats_an_earlier_out_of_range_integer() -> None:
    payload = b"\x82\xc2\x51\x01" + bytes(16) + b"\x18\x01"  # [2**128, 1 (long)]
    assert reason_of(payload) == Code.NON_CANONICAL_CBOR


def test_trailing_bytes_beat_a_forbidden_item() -> None:
    assert reason_of(b"\x20\x00") == Code.INVALID_CBOR


# --- encoding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ({1: 2, 0: 1}, b"\xa2\x00\x01\x01\x02"),
        ({24: 0, 10: 0}, b"\xa2\x0a\x00\x18\x18\x00"),
        (2**64, b"\xc2\x49\x01" + bytes(8)),
        (2**64 - 1, b"\x1b" + FF8),
        ([b"ab", "c"], b"\x82\x42ab\x61c"),
    ],
)
def test_encode_canonical_gives_deterministic_bytes(value: object, encoded: bytes) -> None:
    assert encode_canonical(value) == encoded
