"""The authenticated state map: a compacted sparse Merkle tree (spec §23-§25).

Every state entry (spec §9, every key prefix) is a leaf at the path SHA-256(key); a subtree
holding one leaf is that leaf, an empty subtree is the 32 zero bytes. A node's hash is the
SHA-256 of its record, and a leaf's hash does not depend on its depth, so lifting a leaf
when its sibling empties never rehashes it.

The nodes live wherever the caller keeps them: :class:`NodeReader` reads one record by
position, and :func:`update` returns the records to write (``None`` deletes) with the new
root. Positions (spec §24.2) are depth u16 + the path prefix of that many bits, zero-padded
to 32 bytes, big-endian: 34 bytes. A record is ``00 || path || value hash`` (a leaf) or
``01 || left hash || right hash`` (an inner node), 65 bytes either way.

A block's cost is proportional to what it changes: :func:`update` reads and writes only the
nodes on the paths of the changed keys.
"""

from __future__ import annotations

import hashlib
import struct
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Protocol

from protocol.tree_proof import Proof, ProofKind

#: spec §23.3: the hash of the empty tree and of every empty subtree.
EMPTY = bytes(32)
#: spec §23.2: the domain-separation tags, the first byte of every hashed record.
LEAF_TAG = 0x00
NODE_TAG = 0x01
LEAF = b"\x00"
NODE = b"\x01"
PATH_BITS = 256
RECORD_LEN = 65
POSITION = struct.Struct(">H32s")
ROOT_POSITION = POSITION.pack(0, EMPTY)

_first = itemgetter(0)

#: A node record to store at a position, or None to delete the one there.
NodeWrite = tuple[bytes, bytes | None]


class TreeError(Exception):
    """The node store does not hold the tree its records describe (a corrupt store)."""


class NodeReader(Protocol):
    """Read access to the tree's node records, by position (spec §24.2)."""

    def node(self, position: bytes) -> bytes | None:
        """The record at ``position``, or None where the subtree is empty or compacted."""
        ...


@dataclass(frozen=True)
class TreeUpdate:
    """The root after a set of changes, and the node records to write (ascending position)."""

    root: bytes
    writes: tuple[NodeWrite, ...]


def key_path(key: bytes) -> bytes:
    """spec §23.1: a state key's place in the tree."""
    return hashlib.sha256(key).digest()


def leaf_record(key: bytes, value: bytes) -> bytes:
    """spec §23.2: ``00 || SHA-256(key) || SHA-256(value)``; its hash is the leaf hash."""
    return LEAF + hashlib.sha256(key).digest() + hashlib.sha256(value).digest()


def record_hash(record: bytes) -> bytes:
    return hashlib.sha256(record).digest()


def position(depth: int, prefix: int) -> bytes:
    """spec §24.2: depth u16 + the prefix bits, left-aligned in 32 bytes."""
    return POSITION.pack(depth, prefix.to_bytes(32, "big"))


def root_of(nodes: NodeReader) -> bytes:
    """The root hash of the tree ``nodes`` holds (EMPTY when it is empty)."""
    record = nodes.node(ROOT_POSITION)
    return EMPTY if record is None else record_hash(record)


def update(nodes: NodeReader, changes: Iterable[tuple[bytes, bytes | None]]) -> TreeUpdate:
    """Apply state changes (key, new value or None to delete) to the tree ``nodes`` holds.

    A key given twice takes its last value. Deleting an absent key changes nothing.
    """
    leaves: dict[int, bytes | None] = {}
    for key, value in changes:
        path = int.from_bytes(key_path(key), "big")
        leaves[path] = None if value is None else leaf_record(key, value)
    if not leaves:
        return TreeUpdate(root_of(nodes), ())
    updater = _Updater(nodes)
    root, _ = updater.descend(0, 0, nodes.node(ROOT_POSITION), sorted(leaves.items()))
    writes = tuple((pos, updater.writes[pos]) for pos in sorted(updater.writes))
    return TreeUpdate(root, writes)


def _bit(depth: int) -> int:
    """The path bit that decides between the children of a node at ``depth``."""
    return 1 << (PATH_BITS - 1 - depth)


class _Updater:
    """One update's recursion; ``writes`` collects the final record of every position."""

    def __init__(self, nodes: NodeReader) -> None:
        self._nodes = nodes
        self.writes: dict[bytes, bytes | None] = {}

    def read(self, depth: int, prefix: int) -> bytes:
        record = self._nodes.node(position(depth, prefix))
        if record is None or len(record) != RECORD_LEN:
            raise TreeError(f"tree node at depth {depth} prefix {prefix:064x} is missing")
        return record

    def descend(
        self, depth: int, prefix: int, record: bytes | None, items: list[tuple[int, bytes | None]]
    ) -> tuple[bytes, bytes | None]:
        """Apply ``items`` to the subtree at (depth, prefix) whose record is ``record``.

        Returns the subtree's new hash and, when it is a single leaf, that leaf's record
        (so the parent can lift it).
        """
        if record is None or record[0] == LEAF_TAG:
            if record is not None:
                path = int.from_bytes(record[1:33], "big")
                at = bisect_left(items, path, key=_first)
                if at == len(items) or items[at][0] != path:
                    items = [*items[:at], (path, record), *items[at:]]
            live: list[tuple[int, bytes | None]] = [item for item in items if item[1] is not None]
            return self._build(depth, prefix, live, record is not None)
        split = bisect_left(items, prefix | _bit(depth), key=_first)
        sides: list[tuple[bytes, bytes | None, bool, int]] = []
        for bit, child_hash, part in (
            (0, record[1:33], items[:split]),
            (_bit(depth), record[33:65], items[split:]),
        ):
            if not part:
                sides.append((child_hash, None, False, prefix | bit))
                continue
            child = None if child_hash == EMPTY else self.read(depth + 1, prefix | bit)
            new_hash, leaf = self.descend(depth + 1, prefix | bit, child, part)
            sides.append((new_hash, leaf, True, prefix | bit))
        return self._join(depth, prefix, sides[0], sides[1])

    def _join(
        self,
        depth: int,
        prefix: int,
        left: tuple[bytes, bytes | None, bool, int],
        right: tuple[bytes, bytes | None, bool, int],
    ) -> tuple[bytes, bytes | None]:
        here = position(depth, prefix)
        if left[0] == EMPTY and right[0] == EMPTY:
            self.writes[here] = None
            return EMPTY, None
        if left[0] == EMPTY or right[0] == EMPTY:
            child_hash, leaf, touched, child_prefix = right if left[0] == EMPTY else left
            if not touched:
                stored = self.read(depth + 1, child_prefix)
                leaf = stored if stored[0] == LEAF_TAG else None
            if leaf is not None:  # spec §23.3: a lone leaf moves up to its subtree's root
                self.writes[position(depth + 1, child_prefix)] = None
                self.writes[here] = leaf
                return child_hash, leaf
        record = NODE + left[0] + right[0]
        self.writes[here] = record
        return record_hash(record), None

    def _build(
        self, depth: int, prefix: int, live: list[tuple[int, bytes | None]], had_record: bool
    ) -> tuple[bytes, bytes | None]:
        """A fresh subtree from ``live`` leaves at (depth, prefix); nothing is stored below."""
        here = position(depth, prefix)
        if not live:
            if had_record:
                self.writes[here] = None
            return EMPTY, None
        if len(live) == 1:
            leaf = live[0][1]
            assert leaf is not None
            self.writes[here] = leaf
            return record_hash(leaf), leaf
        if depth >= PATH_BITS:
            raise TreeError("two leaves share a 256-bit path")
        split = bisect_left(live, prefix | _bit(depth), key=_first)
        left, _ = self._build(depth + 1, prefix, live[:split], False)
        right, _ = self._build(depth + 1, prefix | _bit(depth), live[split:], False)
        record = NODE + left + right
        self.writes[here] = record
        return record_hash(record), None


def prove(nodes: NodeReader, key: bytes) -> bytes:
    """spec §25.1: the proof of ``key``'s value, or of its absence, in the tree ``nodes`` holds.

    Reads one record per level of the key's path.
    """
    path = key_path(key)
    bits = int.from_bytes(path, "big")
    siblings: list[bytes] = []
    depth = prefix = 0
    record = nodes.node(ROOT_POSITION)
    while record is not None and record[0] == NODE_TAG:
        bit = bits & _bit(depth)
        child, sibling = (record[33:65], record[1:33]) if bit else (record[1:33], record[33:65])
        siblings.append(sibling)
        prefix |= bit
        depth += 1
        record = None if child == EMPTY else _Updater(nodes).read(depth, prefix)
    if record is None:
        return Proof(ProofKind.ABSENT_EMPTY, tuple(siblings)).encode()
    if record[1:33] == path:
        return Proof(ProofKind.INCLUSION, tuple(siblings)).encode()
    return Proof(ProofKind.ABSENT_OTHER_LEAF, tuple(siblings), record[1:33], record[33:65]).encode()
