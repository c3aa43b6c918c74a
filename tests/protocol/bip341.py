"""BIP341's wallet test vectors (Bitcoin Core's bip341_wallet_vectors.json) from shared data."""

from __future__ import annotations

import json
from typing import Any

from protocol.taproot import TapLeaf, TapTree
from tests.protocol.builders import SHARED_DATA

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
