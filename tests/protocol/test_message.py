"""The message schema (spec §5.1, §5.2, §5.4) and the order its checks run in."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest

from protocol.message import decode_message
from protocol.reasons import Rejection
from tests.protocol.builders import Code

U32, U64 = 2**32 - 1, 2**64 - 1
TRANSFER = {0: 3, 1: [1, 2], 2: 5, 3: 0}


def encode(value: Any) -> bytes:
    return bytes(cbor2.dumps(value, canonical=True))


def reason_of(value: Any) -> int | None:
    try:
        decode_message(encode(value))
    except Rejection as rejection:
        return int(rejection.reason)
    return None


def test_minimal_message_has_no_operations_and_no_pointer() -> None:
    msg = decode_message(b"\xa2\x00\x01\x01\x80")  # {0: 1, 1: []}
    assert (msg.version, msg.operations, msg.pointer) == (1, (), None)


def test_operations_keep_their_code_fields_and_order() -> None:
    msg = decode_message(encode({0: 1, 1: [TRANSFER, {0: 4, 1: [7, 8], 2: 1}], 2: 3}))
    assert [op.opcode for op in msg.operations] == [3, 4]
    assert msg.operations[0].fields == TRANSFER
    assert msg.operations[1].fields == {0: 4, 1: [7, 8], 2: 1}
    assert msg.pointer == 3


def test_cbor_rejections_pass_through() -> None:
    with pytest.raises(Rejection) as caught:
        decode_message(b"\xa2\x00\x01\x01\x9f\xff")  # indefinite operations array
    assert caught.value.reason == Code.FORBIDDEN_CBOR_ITEM


@pytest.mark.parametrize(
    "value",
    [
        pytest.param([1, []], id="array"),
        pytest.param(1, id="uint"),
        pytest.param(b"\xa2\x00\x01\x01\x80", id="map-wrapped-in-bytes"),
        pytest.param("message", id="text"),
    ],
)
def test_a_message_that_is_not_a_map_is_invalid(value: Any) -> None:
    assert reason_of(value) == Code.INVALID_MESSAGE


# --- version (checked before everything else in the map) -----------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param({1: []}, Code.INVALID_MESSAGE, id="missing"),
        pytest.param({0: "1", 1: []}, Code.INVALID_MESSAGE, id="text"),
        pytest.param({0: [1], 1: []}, Code.INVALID_MESSAGE, id="array"),
        pytest.param({0: 0, 1: []}, Code.UNSUPPORTED_VERSION, id="zero"),
        pytest.param({0: 2, 1: []}, Code.UNSUPPORTED_VERSION, id="two"),
        pytest.param({0: U64, 1: []}, Code.UNSUPPORTED_VERSION, id="u64-max"),
        pytest.param({0: 2**64, 1: []}, Code.INTEGER_OUT_OF_RANGE, id="above-u64"),
    ],
)
def test_version_rules(value: Any, code: int) -> None:
    assert reason_of(value) == code


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({0: 2}, id="no-operations"),
        pytest.param({0: 2, 1: "not an array"}, id="operations-wrong-type"),
        pytest.param({0: 2, 1: [], 4: 0}, id="unknown-even-key"),
        pytest.param({0: 2, 1: [{0: 99}] * 65}, id="too-many-operations"),
        pytest.param({0: 2, 1: [], 2: "x"}, id="pointer-wrong-type"),
        pytest.param({0: 2, 1: [], 2: 2**32}, id="pointer-above-u32"),
    ],
)
def test_unsupported_version_is_named_before_any_other_message_rule(value: Any) -> None:
    assert reason_of(value) == Code.UNSUPPORTED_VERSION


# --- unknown keys (§5.4) -------------------------------------------------------------------


@pytest.mark.parametrize("key", [4, 6, 100, 2**64 - 2])
def test_unknown_even_message_key_is_invalid(key: int) -> None:
    assert reason_of({0: 1, 1: [], key: 0}) == Code.INVALID_MESSAGE


def test_unknown_odd_message_keys_are_ignored_whatever_they_hold() -> None:
    msg = decode_message(encode({0: 1, 1: [], 3: "future", 5: [b"x", {1: 2}], U64: 7}))
    assert (msg.operations, msg.pointer) == ((), None)


def test_unknown_keys_are_checked_before_the_operations() -> None:
    assert reason_of({0: 1, 1: [{0: 2**64}], 4: 0}) == Code.INVALID_MESSAGE


# --- operations array ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({0: 1}, id="missing"),
        pytest.param({0: 1, 1: {0: 3}}, id="map"),
        pytest.param({0: 1, 1: 3}, id="uint"),
    ],
)
def test_operations_must_be_an_array(value: Any) -> None:
    assert reason_of(value) == Code.INVALID_MESSAGE


def test_sixty_four_operations_are_allowed() -> None:
    msg = decode_message(encode({0: 1, 1: [TRANSFER] * 64}))
    assert len(msg.operations) == 64


def test_sixty_five_operations_are_invalid() -> None:
    assert reason_of({0: 1, 1: [TRANSFER] * 65}) == Code.INVALID_MESSAGE


def test_operation_count_is_checked_before_the_pointer() -> None:
    assert reason_of({0: 1, 1: [TRANSFER] * 65, 2: 2**64}) == Code.INVALID_MESSAGE


# --- pointer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pointer", "code"), [("0", Code.INVALID_MESSAGE), (2**32, Code.INTEGER_OUT_OF_RANGE)]
)
def test_pointer_type_and_bound(pointer: Any, code: int) -> None:
    assert reason_of({0: 1, 1: [], 2: pointer}) == code


def test_pointer_at_u32_max_is_read() -> None:
    assert decode_message(encode({0: 1, 1: [], 2: U32})).pointer == U32


def test_pointer_is_checked_before_the_operation_maps() -> None:
    assert reason_of({0: 1, 1: [5], 2: 2**32}) == Code.INTEGER_OUT_OF_RANGE


# --- operation maps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        pytest.param(3, Code.INVALID_MESSAGE, id="not-a-map"),
        pytest.param([3], Code.INVALID_MESSAGE, id="array"),
        pytest.param({1: [1, 2]}, Code.INVALID_MESSAGE, id="no-code"),
        pytest.param({0: "transfer"}, Code.INVALID_MESSAGE, id="text-code"),
        pytest.param({0: 2**64}, Code.INTEGER_OUT_OF_RANGE, id="code-above-u64"),
    ],
)
def test_operation_shape(operation: Any, code: int) -> None:
    assert reason_of({0: 1, 1: [TRANSFER, operation]}) == code


def test_operation_code_u64_max_is_left_to_the_machine() -> None:
    assert decode_message(encode({0: 1, 1: [{0: U64}]})).operations[0].opcode == U64


def test_operations_are_checked_in_order() -> None:
    assert reason_of({0: 1, 1: [{}, {0: 2**64}]}) == Code.INVALID_MESSAGE
    assert reason_of({0: 1, 1: [{0: 2**64}, {}]}) == Code.INTEGER_OUT_OF_RANGE
