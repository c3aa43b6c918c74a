"""Typed reads of message and operation fields (spec §5.3).

Every field rule that is the same for all operations lives here, so each contract states
only which keys it has: a missing required field or a field of the wrong CBOR type is
``invalid_message``; an integer above the field's bound is ``integer_out_of_range``; an
even key the operation does not define is ``invalid_message``, an odd one is ignored.
"""

from __future__ import annotations

from collections.abc import Collection

from protocol.cbor import CborValue
from protocol.params import U32_MAX
from protocol.reasons import Reason, Rejection

Fields = dict[int, CborValue]
TOKEN_ID_LEN = 8


def as_map(value: CborValue, what: str) -> Fields:
    if not isinstance(value, dict):
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} is not a map")
    return value


def check_known_keys(fields: Fields, known: Collection[int], what: str) -> None:
    """spec §5.4: unknown even keys reject, unknown odd keys are ignored."""
    for key in sorted(fields):
        if key not in known and key % 2 == 0:
            raise Rejection(Reason.INVALID_MESSAGE, f"{what} has unknown even key {key}")


def uint(fields: Fields, key: int, what: str, maximum: int) -> int:
    """spec §5.3: major type 0 and tag-2 bignums are both unsigned integers (cbor2 gives an
    int for either), so a bignum above ``maximum`` is out of range, never a type error."""
    value = fields.get(key)
    if not isinstance(value, int):
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} needs an unsigned integer at key {key}")
    if value > maximum:
        raise Rejection(Reason.INTEGER_OUT_OF_RANGE, f"{what} key {key} exceeds {maximum:,}")
    return value


def optional_uint(fields: Fields, key: int, what: str, maximum: int) -> int | None:
    if key not in fields:
        return None
    return uint(fields, key, what, maximum)


def text(fields: Fields, key: int, what: str) -> str:
    value = fields.get(key)
    if not isinstance(value, str):
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} needs a text string at key {key}")
    return value


def token_id(fields: Fields, key: int, what: str) -> bytes:
    """spec §6.1.1: a token reference [height, index], checked in three passes over the
    whole array: its length, then every element's type, then every element's bound."""
    value = fields.get(key)
    if not isinstance(value, list) or len(value) != 2:
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} needs a token id [height, index]")
    height, index = value
    if not isinstance(height, int) or not isinstance(index, int):
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} token id parts must be integers")
    if height > U32_MAX or index > U32_MAX:
        raise Rejection(Reason.INTEGER_OUT_OF_RANGE, f"{what} token id part exceeds {U32_MAX:,}")
    return encode_token_id(height, index)


def asset_ref(fields: Fields, key: int, what: str) -> bytes:
    """CONTRACTS.md §14.2: ``[height, index]`` names a token (8-byte id), ``[height, index,
    sub]`` a contract asset (12-byte id, sub >= 1). Shape and types are checked before bounds
    (``invalid_message``, then ``integer_out_of_range``), and sub 0 is ``invalid_message``."""
    value = fields.get(key)
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} needs an asset [height, index(, sub)]")
    if not all(isinstance(part, int) for part in value):
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} asset id parts must be integers")
    parts: list[int] = [part for part in value if isinstance(part, int)]
    if max(parts) > U32_MAX:
        raise Rejection(Reason.INTEGER_OUT_OF_RANGE, f"{what} asset id part exceeds {U32_MAX:,}")
    if len(parts) == 3 and parts[2] == 0:
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} contract asset sub id is 0")
    return b"".join(part.to_bytes(4, "big") for part in parts)


def encode_token_id(height: int, index: int) -> bytes:
    return height.to_bytes(4, "big") + index.to_bytes(4, "big")


def format_token_id(token: bytes) -> str:
    """spec §6.1: the text form ``HEIGHT:INDEX`` in decimal (``HEIGHT:INDEX:SUB`` for a
    12-byte contract asset id, CONTRACTS.md §14.2)."""
    parts = [int.from_bytes(token[i : i + 4], "big") for i in range(0, len(token), 4)]
    return ":".join(str(part) for part in parts)


def parse_token_id(text_form: str) -> bytes:
    """The inverse of format_token_id; raises ValueError on anything else."""
    height_text, sep, index_text = text_form.partition(":")
    ascii_digits = all(part.isascii() and part.isdigit() for part in (height_text, index_text))
    if not sep or not ascii_digits:
        raise ValueError(f"token id {text_form!r} is not HEIGHT:INDEX")
    if (len(height_text) > 1 and height_text[0] == "0") or (
        len(index_text) > 1 and index_text[0] == "0"
    ):
        raise ValueError(f"token id {text_form!r} has leading zeros")
    height, index = int(height_text), int(index_text)
    if height > U32_MAX or index > U32_MAX:
        raise ValueError(f"token id {text_form!r} is out of range")
    return encode_token_id(height, index)
