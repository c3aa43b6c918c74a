"""BIP341 taproot outputs: tagged hashes, leaf and branch hashes, the output key tweak and
control blocks. Pure: the point arithmetic is coincurve's (libsecp256k1), which keeps the
output key's parity that a control block needs.

Built here, beside the envelope decoder, so the indexer's API (compose/publish) and the
regtest harness build the same outputs from one place; BIP341's wallet vectors test it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from coincurve import PublicKeyXOnly

from protocol.tx import compact_size

TAPSCRIPT_LEAF_VERSION = 0xC0
MAX_TREE_DEPTH = 128

#: BIP341's suggested provably unspendable internal key (H = lift_x(sha256(G))),
#: for outputs that must only be spent through a script.
NUMS_INTERNAL_KEY = bytes.fromhex(
    "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"
)


@cache
def _tag_prefix(tag: str) -> bytes:
    tag_hash = hashlib.sha256(tag.encode()).digest()
    return tag_hash + tag_hash


def tagged_hash(tag: str, data: bytes) -> bytes:
    """BIP340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || data)."""
    return hashlib.sha256(_tag_prefix(tag) + data).digest()


def p2tr_script(output_key: bytes) -> bytes:
    """The segwit v1 scriptPubKey paying ``output_key``."""
    if len(output_key) != 32:
        raise ValueError(f"P2TR needs a 32-byte x-only key, got {len(output_key)} bytes")
    return b"\x51\x20" + output_key


@dataclass(frozen=True)
class TapLeaf:
    script: bytes
    version: int = TAPSCRIPT_LEAF_VERSION

    def __post_init__(self) -> None:
        if self.version & 1 or not 0 <= self.version <= 0xFE:
            raise ValueError(f"leaf version {self.version:#x} must be even and below 0xff")

    @cached_property
    def leaf_hash(self) -> bytes:
        return tagged_hash(
            "TapLeaf", bytes((self.version,)) + compact_size(len(self.script)) + self.script
        )


#: A script tree is a leaf or a pair of subtrees, as in BIP341's reference code.
TapTree = TapLeaf | tuple["TapTree", "TapTree"]


def branch_hash(left: bytes, right: bytes) -> bytes:
    if right < left:
        left, right = right, left
    return tagged_hash("TapBranch", left + right)


def _walk(tree: TapTree, depth: int) -> tuple[bytes, list[tuple[TapLeaf, list[bytes]]]]:
    """Return the subtree hash and, per leaf, its merkle path from the leaf upward."""
    if depth > MAX_TREE_DEPTH:
        raise ValueError(f"script tree deeper than {MAX_TREE_DEPTH}")
    if isinstance(tree, TapLeaf):
        return tree.leaf_hash, [(tree, [])]
    left_hash, left_leaves = _walk(tree[0], depth + 1)
    right_hash, right_leaves = _walk(tree[1], depth + 1)
    for _, path in left_leaves:
        path.append(right_hash)
    for _, path in right_leaves:
        path.append(left_hash)
    return branch_hash(left_hash, right_hash), left_leaves + right_leaves


def taproot_tweak(internal_key: bytes, merkle_root: bytes | None) -> bytes:
    return tagged_hash("TapTweak", internal_key + (merkle_root or b""))


@dataclass(frozen=True)
class TaprootOutput:
    """A taproot output: internal key, optional script tree, and what follows from them."""

    internal_key: bytes
    merkle_root: bytes | None
    tweak: bytes
    output_key: bytes
    output_parity: int
    leaf_paths: tuple[tuple[TapLeaf, tuple[bytes, ...]], ...]

    @classmethod
    def create(cls, internal_key: bytes, tree: TapTree | None = None) -> TaprootOutput:
        """Raise ValueError unless ``internal_key`` is a 32-byte x-only point on the curve."""
        if len(internal_key) != 32:
            raise ValueError(f"internal key must be 32-byte x-only, got {len(internal_key)}")
        merkle_root: bytes | None = None
        leaf_paths: tuple[tuple[TapLeaf, tuple[bytes, ...]], ...] = ()
        if tree is not None:
            merkle_root, leaves = _walk(tree, 0)
            leaf_paths = tuple((leaf, tuple(path)) for leaf, path in leaves)
        tweak = taproot_tweak(internal_key, merkle_root)
        point = PublicKeyXOnly(internal_key)
        point.tweak_add(tweak)
        return cls(
            internal_key=internal_key,
            merkle_root=merkle_root,
            tweak=tweak,
            output_key=point.format(),
            output_parity=int(point.parity),
            leaf_paths=leaf_paths,
        )

    @property
    def script_pubkey(self) -> bytes:
        return p2tr_script(self.output_key)

    @property
    def leaves(self) -> Sequence[TapLeaf]:
        return [leaf for leaf, _ in self.leaf_paths]

    def control_block(self, leaf: TapLeaf) -> bytes:
        for candidate, path in self.leaf_paths:
            if candidate == leaf:
                head = bytes((leaf.version | self.output_parity,))
                return head + self.internal_key + b"".join(path)
        raise KeyError(f"leaf {leaf.leaf_hash.hex()} is not in this output's script tree")
