"""Derived indexes for the API, written in the same transaction as the block they follow.

Each is a function of the protocol state, the ``outputs`` map and the blocks' events, so it
commits (or is lost) with its block, and every change goes into the block's undo record
(the :class:`UndoTarget` values after ``OUTPUTS``): a rollback restores them byte for byte.
The layouts are in the table of :mod:`indexer.store`.

A **holder** of a token is a distinct scriptPubKey whose live outpoints together hold a
non-zero balance of it. Authorities do not make a holder; outputs paying the same script
(one address) count once.

Everything a block could be refused for is checked by :func:`prepare` before the first write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cbor2

from indexer.store_errors import CorruptStoreError, InvalidEffectsError
from indexer.store_schema import (
    HASH_LEN,
    OUTPOINT_LEN,
    SCRIPT_EVENT,
    TOKEN_RANK,
    TOKEN_STATS,
    TX_KEY,
    TxEntry,
    decode_u128,
    encode_tx,
    encode_u128,
    holder_key,
)
from indexer.store_undo import UndoEntry, UndoTarget
from indexer.store_view import Database, Databases, Txn
from protocol.carrier import find_carriers
from protocol.contracts.wasm.records import NO_SUB, TOKEN_ID_LEN, wide_asset
from protocol.records import UtxoAssets
from protocol.state import ASSET_PREFIX, TOKEN_PREFIX, UTXO_PREFIX, BlockEffects
from protocol.tx import Transaction

#: A token record (spec §9.2) or a contract-asset record (CONTRACTS.md §14.3): an asset
#: that gets holder statistics from the block creating it.
_ASSET_RECORDS = (TOKEN_PREFIX, ASSET_PREFIX)
# spec §10.1: the event keys the indexes read.
_EVENT_TXID, _EVENT_OUTPOINT = 1, 2

#: An outpoint's scriptPubKey as the store held it before the block, or None.
_Lookup = Callable[[bytes], "bytes | None"]


@dataclass(frozen=True, slots=True)
class UtxoChange:
    outpoint: bytes
    old: tuple[tuple[bytes, int], ...] | None
    new: tuple[tuple[bytes, int], ...] | None


@dataclass(frozen=True, slots=True)
class BlockIndexInput:
    """What the indexes need from one block, decoded and checked before anything is written."""

    height: int
    utxo_changes: tuple[UtxoChange, ...]
    new_tokens: tuple[bytes, ...]
    #: (txid, outpoint or None) per event, in block order.
    events: tuple[tuple[bytes, bytes | None], ...]
    #: Transactions with a carrier: txid -> payload of its one well-formed carrier, else None.
    messages: dict[bytes, bytes | None]
    #: Scripts of the block's outputs that the block names: bound outpoints and tx outputs.
    scripts: dict[bytes, bytes]


def _balances(raw: bytes, where: str) -> tuple[tuple[bytes, int], ...]:
    try:
        return UtxoAssets.decode(raw).balances
    except (cbor2.CBORError, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise InvalidEffectsError(f"{where}: a UTXO record is not valid CBOR: {exc}") from None


def _event_refs(raw: bytes, where: str) -> tuple[bytes, bytes | None]:
    try:
        event = cbor2.loads(raw)
    except (cbor2.CBORError, ValueError, TypeError) as exc:
        raise InvalidEffectsError(f"{where}: an event is not CBOR: {exc}") from None
    txid = event.get(_EVENT_TXID) if isinstance(event, dict) else None
    if not isinstance(txid, bytes) or len(txid) != HASH_LEN:
        raise InvalidEffectsError(f"{where}: an event has no 32-byte txid at key 1")
    outpoint = event.get(_EVENT_OUTPOINT)
    if outpoint is not None and (not isinstance(outpoint, bytes) or len(outpoint) != OUTPOINT_LEN):
        raise InvalidEffectsError(f"{where}: an event's outpoint is not 36 bytes")
    return txid, outpoint


def prepare(
    effects: BlockEffects,
    priors: Sequence[bytes | None],
    transactions: Sequence[Transaction],
) -> BlockIndexInput:
    """Decode what the indexes read; InvalidEffectsError if any of it is malformed."""
    where = f"block at height {effects.height:,}"
    scripts = dict(effects.outputs)
    messages: dict[bytes, bytes | None] = {}
    for tx in transactions:
        for vout, output in enumerate(tx.outputs):
            scripts.setdefault(tx.txid + vout.to_bytes(4, "big"), output.script)
        if tx.is_coinbase:
            continue
        scan = find_carriers(tx)
        if scan.has_message:
            messages[tx.txid] = scan.carriers[0].payload if scan.rejection is None else None
    changes: list[UtxoChange] = []
    new_tokens: list[bytes] = []
    for write, prior in zip(effects.writes, priors, strict=True):
        prefix = write.key[:1]
        if prefix == UTXO_PREFIX:
            outpoint = write.key[1:]
            if write.value is not None and outpoint not in scripts:
                raise InvalidEffectsError(
                    f"{where}: outpoint {outpoint.hex()} gets a UTXO record but no output script"
                )
            old = None if prior is None else _balances(prior, where)
            new = None if write.value is None else _balances(write.value, where)
            changes.append(UtxoChange(outpoint, old, new))
        elif prefix in _ASSET_RECORDS and prior is None and write.value is not None:
            new_tokens.append(wide_asset(write.key[1:]))
    events = tuple(_event_refs(raw, where) for raw in effects.events)
    return BlockIndexInput(
        effects.height, tuple(changes), tuple(new_tokens), events, messages, scripts
    )


def script_hash(script: bytes) -> bytes:
    return hashlib.sha256(script).digest()


class IndexWriter:
    """Puts and deletes in the derived databases, each recorded as an undo entry."""

    def __init__(self, txn: Txn, dbs: Databases, entries: list[UndoEntry]) -> None:
        self._txn = txn
        self._entries = entries
        self._dbs = {target: index_db(dbs, target) for target in INDEX_TARGETS}

    def get(self, target: UndoTarget, key: bytes) -> bytes | None:
        return self._txn.get(key, db=self._dbs[target])

    def add(self, target: UndoTarget, key: bytes, value: bytes) -> None:
        """Put a key that cannot exist yet: it names the height being applied."""
        self._entries.append(UndoEntry(target, key, None))
        self._txn.put(key, value, db=self._dbs[target])

    def set(self, target: UndoTarget, key: bytes, value: bytes | None) -> None:
        db = self._dbs[target]
        prior = self._txn.get(key, db=db)
        if prior == value:
            return
        self._entries.append(UndoEntry(target, key, prior))
        if value is None:
            self._txn.delete(key, db=db)
        else:
            self._txn.put(key, value, db=db)


INDEX_TARGETS = (
    UndoTarget.SCRIPT_BALANCES,
    UndoTarget.HOLDERS,
    UndoTarget.TOKEN_STATS,
    UndoTarget.TOKEN_RANK,
    UndoTarget.TXS,
    UndoTarget.SCRIPT_EVENTS,
)


def index_db(dbs: Databases, target: UndoTarget) -> Database:
    return {
        UndoTarget.SCRIPT_BALANCES: dbs.script_balances,
        UndoTarget.HOLDERS: dbs.holders,
        UndoTarget.TOKEN_STATS: dbs.token_stats,
        UndoTarget.TOKEN_RANK: dbs.token_rank,
        UndoTarget.TXS: dbs.txs,
        UndoTarget.SCRIPT_EVENTS: dbs.script_events,
    }[target]


def index_block(txn: Txn, dbs: Databases, block: BlockIndexInput, entries: list[UndoEntry]) -> None:
    """Update every derived index for ``block``; call while ``outputs`` is still pre-block."""
    writer = IndexWriter(txn, dbs, entries)

    def script_before(outpoint: bytes) -> bytes | None:
        script: bytes | None = txn.get(outpoint, db=dbs.outputs)
        return script

    for token in block.new_tokens:
        _set_stats(writer, token, 0, 0)
    _index_balances(writer, block, script_before)
    _index_events(writer, block, script_before)


def _index_balances(writer: IndexWriter, block: BlockIndexInput, script_before: _Lookup) -> None:
    deltas: dict[tuple[bytes, bytes], int] = {}
    utxo_deltas: dict[bytes, int] = {}
    for change in block.utxo_changes:
        for balances, sign in ((change.old, -1), (change.new, 1)):
            if not balances:
                continue
            script = block.scripts[change.outpoint] if sign > 0 else script_before(change.outpoint)
            if script is None:
                raise CorruptStoreError(
                    f"outpoint {change.outpoint.hex()} holds a UTXO record but no output script"
                )
            for asset, amount in balances:
                token = wide_asset(asset)
                deltas[script, token] = deltas.get((script, token), 0) + sign * amount
                utxo_deltas[token] = utxo_deltas.get(token, 0) + sign
    holder_deltas: dict[bytes, int] = {}
    for script, token in sorted(deltas):
        delta = deltas[script, token]
        if not delta:
            continue
        hashed = script_hash(script)
        balance_key = hashed + token
        raw = writer.get(UndoTarget.SCRIPT_BALANCES, balance_key)
        old = 0 if raw is None else decode_u128(raw)
        new = old + delta
        if new < 0:
            raise CorruptStoreError(
                f"script {hashed.hex()} would hold {new:,} of token {token.hex()}"
            )
        writer.set(UndoTarget.SCRIPT_BALANCES, balance_key, encode_u128(new) if new else None)
        if old:
            writer.set(UndoTarget.HOLDERS, holder_key(token, old, hashed), None)
        if new:
            writer.set(UndoTarget.HOLDERS, holder_key(token, new, hashed), script)
        holder_deltas[token] = holder_deltas.get(token, 0) + (new > 0) - (old > 0)
    for token in sorted(set(holder_deltas) | set(utxo_deltas)):
        holders, utxos = token_stats(writer, token)
        _set_stats(
            writer,
            token,
            holders + holder_deltas.get(token, 0),
            utxos + utxo_deltas.get(token, 0),
            previous_holders=holders,
        )


def token_stats(writer: IndexWriter, token: bytes) -> tuple[int, int]:
    raw = writer.get(UndoTarget.TOKEN_STATS, token)
    if raw is None:
        return 0, 0
    holders, utxos = TOKEN_STATS.unpack(raw)
    return holders, utxos


def _set_stats(
    writer: IndexWriter,
    token: bytes,
    holders: int,
    utxos: int,
    previous_holders: int | None = None,
) -> None:
    if holders < 0 or utxos < 0:
        raise CorruptStoreError(f"token {token.hex()} would have a negative holder count")
    writer.set(UndoTarget.TOKEN_STATS, token, TOKEN_STATS.pack(holders, utxos))
    if token[TOKEN_ID_LEN:] != NO_SUB:
        return  # the token listing ranks v1 tokens; contract assets have no token record
    token = token[:TOKEN_ID_LEN]
    if previous_holders is not None and previous_holders != holders:
        writer.set(UndoTarget.TOKEN_RANK, TOKEN_RANK.pack(previous_holders, token), None)
    writer.set(UndoTarget.TOKEN_RANK, TOKEN_RANK.pack(holders, token), b"")


def _index_events(writer: IndexWriter, block: BlockIndexInput, script_before: _Lookup) -> None:
    spans: dict[bytes, list[int]] = {}
    hashes: dict[bytes, bytes] = {}
    for index, (txid, outpoint) in enumerate(block.events):
        span = spans.setdefault(txid, [index, 0])
        span[1] += 1
        if outpoint is None:
            continue
        script = block.scripts.get(outpoint) or script_before(outpoint)
        if script is not None:
            hashed = hashes.get(script) or hashes.setdefault(script, script_hash(script))
            key = SCRIPT_EVENT.pack(hashed, block.height, index)
            writer.add(UndoTarget.SCRIPT_EVENTS, key, b"")
    for txid in block.messages:
        spans.setdefault(txid, [0, 0])
    for txid, (first, count) in spans.items():
        entry = TxEntry(txid, block.height, first, count, block.messages.get(txid))
        writer.add(UndoTarget.TXS, TX_KEY.pack(txid, block.height), encode_tx(entry))
