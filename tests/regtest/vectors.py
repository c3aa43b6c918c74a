"""Load BIP341's wallet test vectors from the shared data directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bitcoin.core import CBlock

from regtest.taproot import TapLeaf, TapTree

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
VECTORS_PATH = SHARED_DATA / "vectors" / "bip341_wallet_vectors.json"


def load_bip341() -> dict[str, Any]:
    with VECTORS_PATH.open() as f:
        data: dict[str, Any] = json.load(f)
    return data


def tree_from_json(node: Any) -> TapTree:
    """BIP341 vectors write a leaf as {script, leafVersion} and a branch as a 2-list."""
    if isinstance(node, dict):
        return TapLeaf(bytes.fromhex(node["script"]), node["leafVersion"])
    left, right = node
    return (tree_from_json(left), tree_from_json(right))


def leaves_in_order(node: Any) -> list[TapLeaf]:
    """Leaves in the depth-first order the vectors number them (by `id`)."""
    if isinstance(node, dict):
        return [TapLeaf(bytes.fromhex(node["script"]), node["leafVersion"])]
    return [leaf for child in node for leaf in leaves_in_order(child)]


def read_block(name: str) -> tuple[bytes, list[bytes]]:
    """A mainnet block from shared data as (80-byte header, raw transactions).

    Transactions are split with python-bitcoinlib so the code under test does not
    decide where each one ends.
    """
    raw = (SHARED_DATA / "blocks" / f"{name}.raw").read_bytes()
    block = CBlock.deserialize(raw)
    return raw[:80], [tx.serialize() for tx in block.vtx]
