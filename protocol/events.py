"""Events and the per-block commitment (spec §10, §11).

Every state change is an event; an event is a CBOR map with unsigned-integer keys drawn
from one table (§10.1), encoded canonically. The block's events hash and the chained state
hash commit to them, so two nodes that agree on a state hash agree on every change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import IntEnum

from protocol.cbor import CborValue, encode_canonical
from protocol.reasons import Reason


class EventType(IntEnum):
    DEBIT = 1
    CREDIT = 2
    DEPLOY = 3
    MINT = 4
    BURN = 5
    AUTHORITY = 6
    REJECTED = 7
    # v2 contracts (spec/CONTRACTS.md §20)
    PUBLISH = 8
    INSTANTIATE = 9
    CALL = 10
    DEPOSIT = 11
    SEND = 12
    ISSUE = 13
    LOG = 14
    RETURN = 15

    @property
    def label(self) -> str:
        return self.name.lower()


class Field(IntEnum):
    """spec §10.1: the one table of event keys."""

    TYPE = 0
    TXID = 1
    OUTPOINT = 2
    TOKEN = 3
    AMOUNT = 4
    TICKER = 5
    DECIMALS = 6
    MAX_SUPPLY = 7
    TERMS = 8
    DETAIL = 9
    CAUSE = 10
    REASON = 11
    # v2 contracts (spec/CONTRACTS.md §20.1)
    CONTRACT = 12
    CODE_HASH = 13
    FUEL = 14
    STORAGE_DIGEST = 15
    FROM_CONTRACT = 16
    DATA = 17


class BurnCause(IntEnum):
    """spec §7.5: why a burn happened."""

    OPERATION = 0
    NO_SPENDABLE_OUTPUT = 1
    CONTRACT = 2


Event = dict[int, CborValue]


def balance_event(
    kind: EventType, txid: bytes, outpoint: bytes, token: bytes, amount: int
) -> Event:
    return {
        Field.TYPE: kind,
        Field.TXID: txid,
        Field.OUTPOINT: outpoint,
        Field.TOKEN: token,
        Field.AMOUNT: amount,
    }


def rejected_event(txid: bytes, reason: Reason, detail: int | None = None) -> Event:
    """spec §10.2; ``detail`` (CONTRACTS.md §20.2) only for invalid_module and contract_abort."""
    event: Event = {Field.TYPE: EventType.REJECTED, Field.TXID: txid, Field.REASON: int(reason)}
    if detail is not None:
        event[Field.DETAIL] = detail
    return event


def encode_event(event: Event) -> bytes:
    """Plain ints for keys and values so the encoding never depends on enum classes."""
    plain = {
        int(key): (int(value) if isinstance(value, int) else value) for key, value in event.items()
    }
    return encode_canonical(plain)


def events_hash(encoded_events: Sequence[bytes]) -> bytes:
    """spec §11.1: SHA-256 of the canonical CBOR array of the block's events, in order."""
    header = encode_canonical(len(encoded_events))
    # An array head is the uint head with major type 4: flip the top three bits.
    array_head = bytes([header[0] | 0x80]) + header[1:]
    return hashlib.sha256(array_head + b"".join(encoded_events)).digest()


def state_hash(
    previous: bytes, block_hash: bytes, block_events_hash: bytes, state_root: bytes
) -> bytes:
    """spec §11.2: SHA-256(previous state hash || block hash, internal order || events hash
    || state root after the block, spec §23)."""
    return hashlib.sha256(previous + block_hash + block_events_hash + state_root).digest()
