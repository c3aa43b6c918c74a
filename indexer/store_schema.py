"""Names and byte layouts of the store's named databases (the table is in :mod:`indexer.store`)."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from protocol.contracts.wasm.records import ASSET_ID_LEN, wide_asset
from protocol.state import UTXO_KEY_LEN, UTXO_PREFIX

#: Bumped whenever a layout below changes; a store of another version refuses to open.
SCHEMA_VERSION = 3

DB_META = b"meta"
DB_STATE = b"state"
DB_BLOCKS = b"blocks"
DB_BLOCK_HEIGHTS = b"block_heights"
DB_EVENTS = b"events"
DB_UNDO = b"undo"
DB_OUTPUTS = b"outputs"
DB_SCRIPTS = b"scripts"
# Derived indexes for the API (indexer.store_index); kept in each block's write transaction.
DB_SCRIPT_BALANCES = b"script_balances"
DB_HOLDERS = b"holders"
DB_TOKEN_STATS = b"token_stats"
DB_TOKEN_RANK = b"token_rank"
DB_TXS = b"txs"
DB_SCRIPT_EVENTS = b"script_events"
DB_REORGS = b"reorgs"
DB_NAMES = (
    DB_META,
    DB_STATE,
    DB_BLOCKS,
    DB_BLOCK_HEIGHTS,
    DB_EVENTS,
    DB_UNDO,
    DB_OUTPUTS,
    DB_SCRIPTS,
    DB_SCRIPT_BALANCES,
    DB_HOLDERS,
    DB_TOKEN_STATS,
    DB_TOKEN_RANK,
    DB_TXS,
    DB_SCRIPT_EVENTS,
    DB_REORGS,
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
TOKEN_ID_LEN = 8
U128_MAX = 2**128 - 1

U32 = struct.Struct(">I")
EVENT_KEY = struct.Struct(">II")
TIP = struct.Struct(">I32s32s")
BLOCK = struct.Struct(">32s32s32sI")
U128 = struct.Struct(">QQ")
TOKEN_STATS = struct.Struct(">II")
TOKEN_RANK = struct.Struct(">I8s")
TX_KEY = struct.Struct(">32sI")
TX_HEAD = struct.Struct(">IIB")
SCRIPT_EVENT = struct.Struct(">32sII")
REORG_HEAD = struct.Struct(">II")


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


def encode_u128(value: int) -> bytes:
    return U128.pack(value >> 64, value & 0xFFFF_FFFF_FFFF_FFFF)


def decode_u128(value: bytes) -> int:
    high, low = U128.unpack(value)
    return int(high << 64 | low)


def holder_key(asset: bytes, balance: int, script_hash: bytes) -> bytes:
    """Ordered by asset (its 12-byte form), then balance descending (the complement sorts
    ascending)."""
    return wide_asset(asset) + encode_u128(U128_MAX - balance) + script_hash


def holder_balance(key: bytes) -> int:
    return U128_MAX - decode_u128(key[ASSET_ID_LEN : ASSET_ID_LEN + 16])


@dataclass(frozen=True, slots=True)
class TxEntry:
    """Where a protocol transaction's events are, and its message payload if it had one."""

    txid: bytes
    height: int
    first_event: int
    event_count: int
    payload: bytes | None


def encode_tx(entry: TxEntry) -> bytes:
    head = TX_HEAD.pack(entry.first_event, entry.event_count, entry.payload is not None)
    return head + (entry.payload or b"")


def decode_tx(key: bytes, value: bytes) -> TxEntry:
    txid, height = TX_KEY.unpack(key)
    first, count, has_payload = TX_HEAD.unpack_from(value)
    payload = bytes(value[TX_HEAD.size :]) if has_payload else None
    return TxEntry(txid, height, first, count, payload)


@dataclass(frozen=True, slots=True)
class Reorg:
    """One rollback: the heights it removed and their block hashes, in ascending height."""

    sequence: int
    first_height: int
    last_height: int
    block_hashes: tuple[bytes, ...]

    @property
    def depth(self) -> int:
        return self.last_height - self.first_height + 1


def encode_reorg(reorg: Reorg) -> bytes:
    return REORG_HEAD.pack(reorg.first_height, reorg.last_height) + b"".join(reorg.block_hashes)


def decode_reorg(key: bytes, value: bytes) -> Reorg:
    first, last = REORG_HEAD.unpack_from(value)
    rest = value[REORG_HEAD.size :]
    hashes = tuple(bytes(rest[i : i + HASH_LEN]) for i in range(0, len(rest), HASH_LEN))
    return Reorg(U32.unpack(key)[0], first, last, hashes)
