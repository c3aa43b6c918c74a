"""Undo records: the prior value of every entry a block changed, in the order it changed them.

Applying the entries in reverse order restores every database the block touched. The
``state`` and ``outputs`` databases and the derived indexes of :mod:`indexer.store_index`
need entries: the address index follows ``outputs``, and a block only ever adds its own
``blocks``, ``block_heights`` and ``events`` entries, which a rollback deletes by the
block's height and hash.

Encoding (integers big-endian)::

    record := format (u8, = 1) | entry count (u32) | entry*
    entry  := target (u8, UndoTarget) | key length (u16) | prior length (u32) | key | prior

A prior length of 0xFFFFFFFF means the entry was absent (and carries no prior bytes), so an
absent entry and an empty value stay distinct. Decoding rejects anything else, including
trailing bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import IntEnum
from typing import NamedTuple

from indexer.store_errors import CorruptStoreError

UNDO_FORMAT = 1
ABSENT = 0xFFFF_FFFF

_HEAD = struct.Struct(">BI")
_ENTRY = struct.Struct(">BHI")


class UndoTarget(IntEnum):
    """The database an entry restores; the numbers are part of the record format."""

    STATE = 1
    OUTPUTS = 2
    SCRIPT_BALANCES = 3
    HOLDERS = 4
    TOKEN_STATS = 5
    TOKEN_RANK = 6
    TXS = 7
    SCRIPT_EVENTS = 8


class UndoEntry(NamedTuple):
    target: UndoTarget
    key: bytes
    prior: bytes | None


def encode_undo(entries: Sequence[UndoEntry]) -> bytes:
    parts = [_HEAD.pack(UNDO_FORMAT, len(entries))]
    for target, key, prior in entries:
        if prior is None:
            parts.append(_ENTRY.pack(target, len(key), ABSENT))
            parts.append(key)
        else:
            parts.append(_ENTRY.pack(target, len(key), len(prior)))
            parts.append(key)
            parts.append(prior)
    return b"".join(parts)


def decode_undo(data: bytes) -> list[UndoEntry]:
    """The entries of an undo record; CorruptStoreError if ``data`` is not one."""
    view = memoryview(data)
    if len(view) < _HEAD.size:
        raise CorruptStoreError(f"undo record of {len(view)} bytes is shorter than its header")
    fmt, count = _HEAD.unpack_from(view)
    if fmt != UNDO_FORMAT:
        raise CorruptStoreError(f"undo record has format {fmt}, this store reads {UNDO_FORMAT}")
    entries: list[UndoEntry] = []
    pos = _HEAD.size
    for _ in range(count):
        if pos + _ENTRY.size > len(view):
            raise CorruptStoreError("undo record ends inside an entry header")
        target, key_len, prior_len = _ENTRY.unpack_from(view, pos)
        pos += _ENTRY.size
        try:
            kind = UndoTarget(target)
        except ValueError:
            raise CorruptStoreError(f"undo record names unknown database {target}") from None
        value_len = 0 if prior_len == ABSENT else prior_len
        if pos + key_len + value_len > len(view):
            raise CorruptStoreError("undo record ends inside an entry")
        key = bytes(view[pos : pos + key_len])
        pos += key_len
        prior = None if prior_len == ABSENT else bytes(view[pos : pos + prior_len])
        pos += value_len
        entries.append(UndoEntry(kind, key, prior))
    if pos != len(view):
        raise CorruptStoreError(f"undo record has {len(view) - pos:,} trailing bytes")
    return entries
