"""The state root and state proofs of spec §23-§25, computed from scratch, without protocol/.

A direct reading of the spec's recursive definition over the whole sorted key/value map: no
stored nodes, no incremental update, so it cross-checks the incremental tree of protocol/.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

EMPTY = b"\x00" * 32
Entry = tuple[bytes, bytes]  # (path = SHA-256(key), SHA-256(value))


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def bit(path: bytes, depth: int) -> int:
    return (path[depth // 8] >> (7 - depth % 8)) & 1


def entries(state: Mapping[bytes, bytes]) -> list[Entry]:
    return sorted((sha(key), sha(value)) for key, value in state.items())


def subtree_hash(items: list[Entry], depth: int) -> bytes:
    """spec §23.3: empty -> EMPTY; one leaf -> its leaf hash; else hash the two halves."""
    if not items:
        return EMPTY
    if len(items) == 1:
        path, value_hash = items[0]
        return sha(b"\x00" + path + value_hash)
    left = [item for item in items if not bit(item[0], depth)]
    right = [item for item in items if bit(item[0], depth)]
    return sha(b"\x01" + subtree_hash(left, depth + 1) + subtree_hash(right, depth + 1))


def state_root(state: Mapping[bytes, bytes]) -> bytes:
    return subtree_hash(entries(state), 0)


def proof(state: Mapping[bytes, bytes], key: bytes) -> bytes:
    """spec §25.1: the proof for ``key`` (present or absent) in ``state``."""
    path = sha(key)
    items = entries(state)
    siblings: list[bytes] = []
    depth = 0
    while len(items) > 1:
        mine = [item for item in items if bit(item[0], depth) == bit(path, depth)]
        other = [item for item in items if bit(item[0], depth) != bit(path, depth)]
        siblings.append(subtree_hash(other, depth + 1))
        items = mine
        depth += 1
    leaf = b""
    if not items:
        kind = 1
    elif items[0][0] == path:
        kind = 0
    else:
        kind, leaf = 2, items[0][0] + items[0][1]
    bitmap = bytearray((len(siblings) + 7) // 8)
    for index, sibling in enumerate(siblings):
        if sibling != EMPTY:
            bitmap[index // 8] |= 0x80 >> (index % 8)
    listed = b"".join(sibling for sibling in siblings if sibling != EMPTY)
    return bytes([kind]) + len(siblings).to_bytes(2, "big") + leaf + bytes(bitmap) + listed
