"""Typed field reads (spec §5.3, §5.4) and the token id forms (spec §2.4, §6.1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from protocol.fields import (
    Fields,
    check_known_keys,
    encode_token_id,
    format_token_id,
    optional_uint,
    parse_token_id,
    text,
    token_id,
    uint,
)
from protocol.reasons import Rejection
from tests.protocol.builders import Code


def reason_of(read: Callable[[], object]) -> int | None:
    try:
        read()
    except Rejection as rejection:
        return int(rejection.reason)
    return None


# --- uint / optional_uint / text -----------------------------------------------------------


def test_uint_returns_the_value_up_to_its_bound() -> None:
    assert uint({1: 255}, 1, "op", 255) == 255


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param({}, Code.INVALID_MESSAGE, id="missing"),
        pytest.param({1: "5"}, Code.INVALID_MESSAGE, id="text"),
        pytest.param({1: b"\x05"}, Code.INVALID_MESSAGE, id="bytes"),
        pytest.param({1: [5]}, Code.INVALID_MESSAGE, id="array"),
        pytest.param({1: 256}, Code.INTEGER_OUT_OF_RANGE, id="above-bound"),
    ],
)
def test_uint_rejections(fields: Fields, code: int) -> None:
    assert reason_of(lambda: uint(fields, 1, "op", 255)) == code


def test_a_bignum_is_an_unsigned_integer_checked_against_the_bound() -> None:
    # spec §5.3: tag 2 and major type 0 are the same type; only the bound tells them apart
    assert uint({1: 2**100}, 1, "op", 2**128 - 1) == 2**100
    assert reason_of(lambda: uint({1: 2**64}, 1, "op", 2**32 - 1)) == Code.INTEGER_OUT_OF_RANGE


def test_optional_uint_is_none_when_absent_and_checked_when_present() -> None:
    assert optional_uint({}, 2, "op", 10) is None
    assert optional_uint({2: 0}, 2, "op", 10) == 0
    assert reason_of(lambda: optional_uint({2: 11}, 2, "op", 10)) == Code.INTEGER_OUT_OF_RANGE
    assert reason_of(lambda: optional_uint({2: "x"}, 2, "op", 10)) == Code.INVALID_MESSAGE


def test_text_reads_text_only() -> None:
    assert text({1: "ABC"}, 1, "op") == "ABC"
    assert reason_of(lambda: text({1: b"ABC"}, 1, "op")) == Code.INVALID_MESSAGE
    assert reason_of(lambda: text({}, 1, "op")) == Code.INVALID_MESSAGE


# --- unknown keys --------------------------------------------------------------------------


def test_unknown_odd_keys_pass_and_unknown_even_keys_reject() -> None:
    check_known_keys({0: 1, 1: 2, 3: 4, 99: 5}, (0, 1), "op")
    assert reason_of(lambda: check_known_keys({0: 1, 2: 0}, (0, 1), "op")) == Code.INVALID_MESSAGE


# --- token ids -----------------------------------------------------------------------------


def test_token_id_reads_height_and_index_as_big_endian_bytes() -> None:
    assert token_id({1: [840_000, 17]}, 1, "op") == b"\x00\x0c\xd1\x40\x00\x00\x00\x11"
    assert token_id({1: [2**32 - 1, 0]}, 1, "op") == b"\xff\xff\xff\xff\x00\x00\x00\x00"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param(None, Code.INVALID_MESSAGE, id="missing"),
        pytest.param(b"\x00" * 8, Code.INVALID_MESSAGE, id="bytes"),
        pytest.param([1], Code.INVALID_MESSAGE, id="one-part"),
        pytest.param([1, 2, 3], Code.INVALID_MESSAGE, id="three-parts"),
        pytest.param([1, "2"], Code.INVALID_MESSAGE, id="text-part"),
        pytest.param([[1], 2], Code.INVALID_MESSAGE, id="nested-part"),
        pytest.param([2**32, 0], Code.INTEGER_OUT_OF_RANGE, id="height-above-u32"),
        pytest.param([0, 2**32], Code.INTEGER_OUT_OF_RANGE, id="index-above-u32"),
        # spec §6.1.1: length, then every type, then every bound, each over the whole array
        pytest.param([2**40, "x"], Code.INVALID_MESSAGE, id="type-after-a-big-height"),
        pytest.param([2**40, 1, 2], Code.INVALID_MESSAGE, id="length-before-bounds"),
        pytest.param([2**64, 1], Code.INTEGER_OUT_OF_RANGE, id="bignum-height"),
    ],
)
def test_token_id_rejections(value: object, code: int) -> None:
    fields: Fields = {} if value is None else {1: value}  # type: ignore[dict-item]
    assert reason_of(lambda: token_id(fields, 1, "op")) == code


def test_token_id_text_form() -> None:
    assert format_token_id(b"\x00\x0c\xd1\x40\x00\x00\x00\x11") == "840000:17"
    assert format_token_id(bytes(8)) == "0:0"
    assert parse_token_id("840000:17") == b"\x00\x0c\xd1\x40\x00\x00\x00\x11"
    assert parse_token_id("4294967295:0") == b"\xff\xff\xff\xff\x00\x00\x00\x00"
    assert encode_token_id(1, 2) == b"\x00\x00\x00\x01\x00\x00\x00\x02"


@pytest.mark.parametrize(
    "text_form",
    [
        "",
        "1",
        "1:",
        ":1",
        "01:2",
        "1:02",
        "-1:2",
        "1:2:3",
        "4294967296:0",
        "0:4294967296",
        "a:b",
        " 1:2",
    ],
)
def test_parse_token_id_refuses_other_text(text_form: str) -> None:
    with pytest.raises(ValueError, match="token id"):
        parse_token_id(text_form)


@pytest.mark.parametrize("text_form", ["\u0661:2", "\uff11:2"])
def test_parse_token_id_refuses_non_ascii_digits(text_form: str) -> None:
    with pytest.raises(ValueError, match="token id"):
        parse_token_id(text_form)
