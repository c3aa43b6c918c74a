"""Names and byte layouts of the store's named databases (the table is in :mod:`indexer.store`)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from protocol.state import UTXO_KEY_LEN, UTXO_PREFIX

#: Bumped whenever a layout below changes; a store of another version refuses to open.
SCHEMA_VERSION = 1

DB_META = b"meta"
DB_STATE = b"state"
DB_BLOCKS = b"blocks"
DB_BLOCK_HEIGHTS = b"block_heights"
DB_EVENTS = b"events"
DB_UNDO = b"undo"
DB_OUTPUTS = b"outputs"
DB_SCRIPTS = b"scripts"
DB_NAMES = (
    DB_META,
    DB_STATE,
    DB_BLOCKS,
    DB_BLOCK_HEIGHTS,
    DB_EVENTS,
    DB_UNDO,
    DB_OUTPUTS,
    DB_SCRIPTS,
)

META_SCHEMA = b"schema_version"
META_NETWORK = b"network"
META_ACTIVATION = b"activation_height"
META_PROTOCOL = b"protocol_version"
META_GENESIS = b"genesis_hash"
META_TIP = b"tip"

HASH_LEN = 32
OUTPOINT_LEN = UTXO_KEY_LEN - len(UTXO_PREFIX)
SCRIPT_HASH_LEN = 32

U32 = struct.Struct(">I")
EVENT_KEY = struct.Struct(">II")
TIP = struct.Struct(">I32s32s")
BLOCK = struct.Struct(">32s32s32sI")


@dataclass(frozen=True, slots=True)
class Tip:
    """The last block applied: its height, hash and the state hash after it."""

    height: int
    block_hash: bytes
    state_hash: bytes


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """What the store keeps of every applied block, forever (undo is pruned, this is not)."""

    height: int
    block_hash: bytes
    state_hash: bytes
    events_hash: bytes
    event_count: int


def height_key(height: int) -> bytes:
    return U32.pack(height)


def event_key(height: int, index: int) -> bytes:
    return EVENT_KEY.pack(height, index)


def script_key(script: bytes, outpoint: bytes) -> bytes:
    """The address index key: hashing makes scripts of any length fixed-width."""
    return hashlib.sha256(script).digest() + outpoint


def script_prefix(script: bytes) -> bytes:
    return hashlib.sha256(script).digest()


def encode_tip(tip: Tip) -> bytes:
    return TIP.pack(tip.height, tip.block_hash, tip.state_hash)


def decode_tip(value: bytes) -> Tip:
    return Tip(*TIP.unpack(value))


def encode_block(record: BlockRecord) -> bytes:
    return BLOCK.pack(record.block_hash, record.state_hash, record.events_hash, record.event_count)


def decode_block(height: int, value: bytes) -> BlockRecord:
    block_hash, state_hash, events_hash, event_count = BLOCK.unpack(value)
    return BlockRecord(height, block_hash, state_hash, events_hash, event_count)
