"""The message: a version, a list of operations, and an optional pointer (spec §5)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol.cbor import CborValue, decode_payload
from protocol.fields import Fields, as_map, check_known_keys, optional_uint, uint
from protocol.params import MAX_OPERATIONS, PROTOCOL_VERSION, U32_MAX, U64_MAX
from protocol.reasons import Reason, Rejection

KEY_VERSION, KEY_OPERATIONS, KEY_POINTER = 0, 1, 2
MESSAGE_KEYS = (KEY_VERSION, KEY_OPERATIONS, KEY_POINTER)
KEY_OPCODE = 0


@dataclass(frozen=True)
class Operation:
    """One operation as decoded, before its contract reads its fields."""

    opcode: int
    fields: Fields


@dataclass(frozen=True)
class Message:
    version: int
    operations: tuple[Operation, ...]
    pointer: int | None


def parse_message(value: CborValue) -> Message:
    """spec §5.2: check the message envelope; operation fields are the contracts' (§6)."""
    top = as_map(value, "message")
    version = uint(top, KEY_VERSION, "message", U64_MAX)
    if version != PROTOCOL_VERSION:
        raise Rejection(Reason.UNSUPPORTED_VERSION, f"version {version:,}")
    check_known_keys(top, MESSAGE_KEYS, "message")
    raw_ops = top.get(KEY_OPERATIONS)
    if not isinstance(raw_ops, list):
        raise Rejection(Reason.INVALID_MESSAGE, "message needs an operations array at key 1")
    if len(raw_ops) > MAX_OPERATIONS:
        raise Rejection(Reason.INVALID_MESSAGE, f"more than {MAX_OPERATIONS} operations")
    pointer = optional_uint(top, KEY_POINTER, "message", U32_MAX)
    operations = []
    for position, raw in enumerate(raw_ops):
        fields = as_map(raw, f"operation {position}")
        opcode = uint(fields, KEY_OPCODE, f"operation {position}", U64_MAX)
        operations.append(Operation(opcode, fields))
    return Message(PROTOCOL_VERSION, tuple(operations), pointer)


def decode_message(payload: bytes) -> Message:
    """Payload bytes to message, or Rejection with the first failing rule's reason."""
    return parse_message(decode_payload(payload))
