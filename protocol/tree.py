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
    paths = sorted(leaves)
    updater = _Updater(nodes, paths, [leaves[path] for path in paths])
    root, _ = updater.descend(0, 0, nodes.node(ROOT_POSITION), 0, len(paths))
    writes = tuple((pos, updater.writes[pos]) for pos in sorted(updater.writes))
    return TreeUpdate(root, writes)


def _bit(depth: int) -> int:
    """The path bit that decides between the children of a node at ``depth``."""
    return 1 << (PATH_BITS - 1 - depth)


class _Updater:
    """One update's recursion over the sorted changed paths; ``writes`` collects the final
    record of every position it touched.

    The changes stay in two parallel lists and each call works on an index range of them,
    so descending copies nothing. Leaf records sort as their paths do (they start with
    ``00 || path``), so fresh subtrees are built from sorted lists of records.
    """

    __slots__ = ("_leaves", "_nodes", "_paths", "writes")

    def __init__(self, nodes: NodeReader, paths: list[int], leaves: list[bytes | None]) -> None:
        self._nodes = nodes
        self._paths = paths
        self._leaves = leaves
        self.writes: dict[bytes, bytes | None] = {}

    def read(self, depth: int, prefix: int) -> bytes:
        record = self._nodes.node(POSITION.pack(depth, prefix.to_bytes(32, "big")))
        if record is None or len(record) != RECORD_LEN:
            raise TreeError(f"tree node at depth {depth} prefix {prefix:064x} is missing")
        return record

    def descend(
        self, depth: int, prefix: int, record: bytes | None, lo: int, hi: int
    ) -> tuple[bytes, bytes | None]:
        """Apply changes ``lo:hi`` to the subtree at (depth, prefix) whose record is ``record``.

        Returns the subtree's new hash and, when it is a single leaf, that leaf's record
        (so the parent can lift it).
        """
        if record is None or record[0] == LEAF_TAG:
            live = [leaf for leaf in self._leaves[lo:hi] if leaf is not None]
            if record is not None:
                path = int.from_bytes(record[1:33], "big")
                at = bisect_left(self._paths, path, lo, hi)
                if at == hi or self._paths[at] != path:
                    live.append(record)
                    live.sort()
            return self._build(depth, prefix, live, record is not None)
        bit = _bit(depth)
        mid = bisect_left(self._paths, prefix | bit, lo, hi)
        below = depth + 1
        left, right = record[1:33], record[33:65]
        left_leaf = right_leaf = None
        if lo < mid:
            child = None if left == EMPTY else self.read(below, prefix)
            left, left_leaf = self.descend(below, prefix, child, lo, mid)
        if mid < hi:
            child = None if right == EMPTY else self.read(below, prefix | bit)
            right, right_leaf = self.descend(below, prefix | bit, child, mid, hi)
        here = POSITION.pack(depth, prefix.to_bytes(32, "big"))
        if EMPTY in (left, right):
            if left == right:
                self.writes[here] = None
                return EMPTY, None
            # spec §23.3: a lone leaf moves up to the root of its subtree.
            if left == EMPTY:
                child_hash, leaf, touched, child_prefix = right, right_leaf, mid < hi, prefix | bit
            else:
                child_hash, leaf, touched, child_prefix = left, left_leaf, lo < mid, prefix
            if not touched:
                stored = self.read(below, child_prefix)
                leaf = stored if stored[0] == LEAF_TAG else None
            if leaf is not None:
                self.writes[POSITION.pack(below, child_prefix.to_bytes(32, "big"))] = None
                self.writes[here] = leaf
                return child_hash, leaf
        node = NODE + left + right
        self.writes[here] = node
        return hashlib.sha256(node).digest(), None

    def _build(
        self, depth: int, prefix: int, live: list[bytes], had_record: bool
    ) -> tuple[bytes, bytes | None]:
        """A fresh subtree of the sorted leaf records ``live`` at (depth, prefix), where
        nothing is stored below."""
        here = POSITION.pack(depth, prefix.to_bytes(32, "big"))
        if not live:
            if had_record:
                self.writes[here] = None
            return EMPTY, None
        if len(live) == 1:
            leaf = live[0]
            self.writes[here] = leaf
            return hashlib.sha256(leaf).digest(), leaf
        if depth >= PATH_BITS:
            raise TreeError("two leaves share a 256-bit path")
        bit = _bit(depth)
        split = bisect_left(live, LEAF + (prefix | bit).to_bytes(32, "big"))
        left, _ = self._build(depth + 1, prefix, live[:split], False)
        right, _ = self._build(depth + 1, prefix | bit, live[split:], False)
        node = NODE + left + right
        self.writes[here] = node
        return hashlib.sha256(node).digest(), None


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
        record = None if child == EMPTY else _Updater(nodes, [], []).read(depth, prefix)
    if record is None:
        return Proof(ProofKind.ABSENT_EMPTY, tuple(siblings)).encode()
    if record[1:33] == path:
        return Proof(ProofKind.INCLUSION, tuple(siblings)).encode()
    return Proof(ProofKind.ABSENT_OTHER_LEAF, tuple(siblings), record[1:33], record[33:65]).encode()
