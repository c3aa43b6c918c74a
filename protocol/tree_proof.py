"""State proofs: their byte layout and their verification against a root (spec §25).

Pure and self-contained (hashlib and struct only), so a wallet can check what an indexer
answers without trusting it: given a root it trusts (spec §26: one that independent
indexers agree on, committed in the state hash), a key, the value it was told (or None
for "absent") and the proof, :func:`verify` either returns or raises :class:`ProofError`
naming what failed. It never reports a wrong "verified": every byte of the proof is
checked, and a proof has exactly one encoding.

Layout (spec §25.1)::

    proof := kind (u8) | depth (u16 BE, 0..256) | [leaf path (32) | leaf value hash (32)]
             | bitmap (ceil(depth / 8) bytes) | sibling (32)*

``kind`` 0: inclusion; 1: absent, the path ends in an empty subtree; 2: absent, the path
ends in a subtree holding one other leaf (whose path and value hash follow the depth).
Bitmap bit i (most significant bit first) says whether the sibling at depth i + 1 is
non-empty; only non-empty siblings are listed, from the root's children downwards.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from enum import IntEnum

EMPTY = bytes(32)
PATH_BITS = 256
HEAD = struct.Struct(">BH")
MAX_PROOF_LEN = HEAD.size + 64 + PATH_BITS // 8 + PATH_BITS * 32


class ProofKind(IntEnum):
    """spec §25.1: what a proof shows about its key."""

    INCLUSION = 0
    ABSENT_EMPTY = 1
    ABSENT_OTHER_LEAF = 2


class ProofError(ValueError):
    """A proof that does not show what it is claimed to show; the message says why and
    ``step`` is the verification step of spec §25.2 (1-5) that refused it."""

    def __init__(self, detail: str, step: int) -> None:
        super().__init__(f"step {step}: {detail}")
        self.step = step


@dataclass(frozen=True)
class Proof:
    """A decoded proof: siblings from depth 1 down to ``len(siblings)``, EMPTY included."""

    kind: ProofKind
    siblings: tuple[bytes, ...]
    other_path: bytes = b""
    other_value_hash: bytes = b""

    def encode(self) -> bytes:
        depth = len(self.siblings)
        bitmap = bytearray((depth + 7) // 8)
        listed = []
        for index, sibling in enumerate(self.siblings):
            if sibling != EMPTY:
                bitmap[index // 8] |= 0x80 >> (index % 8)
                listed.append(sibling)
        leaf = self.other_path + self.other_value_hash
        return HEAD.pack(self.kind, depth) + leaf + bytes(bitmap) + b"".join(listed)


def decode_proof(data: bytes) -> Proof:
    """spec §25.1: the proof ``data`` encodes; ProofError if it is not exactly one."""
    if len(data) > MAX_PROOF_LEN:
        raise ProofError(f"proof of {len(data):,} bytes is longer than any proof can be", 1)
    if len(data) < HEAD.size:
        raise ProofError(f"proof of {len(data):,} bytes is truncated: no header", 1)
    kind_byte, depth = HEAD.unpack_from(data)
    try:
        kind = ProofKind(kind_byte)
    except ValueError:
        raise ProofError(f"proof kind {kind_byte} is unknown", 1) from None
    if depth > PATH_BITS:
        raise ProofError(f"proof depth {depth:,} is above {PATH_BITS}", 1)
    pos = HEAD.size
    other_path = other_value_hash = b""
    if kind is ProofKind.ABSENT_OTHER_LEAF:
        if len(data) < pos + 64:
            raise ProofError("proof is truncated inside its leaf", 1)
        other_path, other_value_hash = data[pos : pos + 32], data[pos + 32 : pos + 64]
        pos += 64
    bitmap_len = (depth + 7) // 8
    if len(data) < pos + bitmap_len:
        raise ProofError("proof is truncated inside its bitmap", 1)
    bitmap = data[pos : pos + bitmap_len]
    pos += bitmap_len
    present = [bool(bitmap[i // 8] & (0x80 >> (i % 8))) for i in range(depth)]
    if depth % 8 and bitmap[-1] & (0xFF >> (depth % 8)):
        raise ProofError("proof bitmap has bits set past its depth", 1)
    expected = pos + 32 * sum(present)
    if len(data) < expected:
        raise ProofError(
            f"proof is truncated: {len(data):,} bytes, its bitmap needs {expected:,}", 1
        )
    if len(data) > expected:
        raise ProofError(f"proof has {len(data) - expected:,} bytes after its last sibling", 1)
    siblings = []
    for here in present:
        if not here:
            siblings.append(EMPTY)
            continue
        sibling = bytes(data[pos : pos + 32])
        if sibling == EMPTY:
            raise ProofError("proof lists an empty sibling its bitmap should have left out", 1)
        siblings.append(sibling)
        pos += 32
    return Proof(kind, tuple(siblings), bytes(other_path), bytes(other_value_hash))


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _path_bit(path: bytes, index: int) -> int:
    return (path[index // 8] >> (7 - index % 8)) & 1


def _common_prefix_bits(a: bytes, b: bytes) -> int:
    shared = 0
    for x, y in zip(a, b, strict=True):
        if x != y:
            return shared + 8 - (x ^ y).bit_length()
        shared += 8
    return shared


def proof_root(key: bytes, value: bytes | None, proof: Proof) -> bytes:
    """spec §25.2 steps 2-5: the root the proof leads to for ``key`` holding ``value``."""
    path = _sha(key)
    depth = len(proof.siblings)
    if value is not None:
        if proof.kind is not ProofKind.INCLUSION:
            raise ProofError("the proof shows the key is absent, but a value was claimed", 2)
        node = _sha(b"\x00" + path + _sha(value))
    elif proof.kind is ProofKind.INCLUSION:
        raise ProofError("the proof shows the key is present, but it was claimed absent", 2)
    elif proof.kind is ProofKind.ABSENT_EMPTY:
        node = EMPTY
    else:
        if proof.other_path == path:
            raise ProofError("the proof's other leaf is the key itself: the key is present", 3)
        if _common_prefix_bits(proof.other_path, path) < depth:
            detail = f"the proof's other leaf does not share the key's first {depth} bits"
            raise ProofError(detail, 3)
        node = _sha(b"\x00" + proof.other_path + proof.other_value_hash)
    for index in range(depth - 1, -1, -1):
        sibling = proof.siblings[index]
        if _path_bit(path, index):
            node = _sha(b"\x01" + sibling + node)
        else:
            node = _sha(b"\x01" + node + sibling)
    return node


def verify(root: bytes, key: bytes, value: bytes | None, proof: bytes) -> None:
    """spec §25.2: return if ``proof`` shows ``key`` holds ``value`` (None: is absent)
    in the state whose root is ``root``; raise ProofError naming what failed otherwise."""
    if len(root) != 32:
        raise ProofError(f"a root is 32 bytes, not {len(root):,}", 5)
    reached = proof_root(key, value, decode_proof(proof))
    if reached != root:
        raise ProofError(f"the proof leads to root {reached.hex()}, not to {root.hex()}", 5)
