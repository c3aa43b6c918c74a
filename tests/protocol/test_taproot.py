"""BIP341 output construction checked against Bitcoin Core's bip341_wallet_vectors.json."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.taproot import TapLeaf, TaprootOutput
from regtest.address import MAINNET_HRP, script_to_address
from tests.protocol.bip341 import leaves_in_order, load_bip341, tree_from_json

SCRIPT_PUBKEY_CASES: list[dict[str, Any]] = load_bip341()["scriptPubKey"]


@pytest.mark.parametrize(
    "case", SCRIPT_PUBKEY_CASES, ids=lambda c: c["given"]["internalPubkey"][:8]
)
def test_output_matches_vector(case: dict[str, Any]) -> None:
    given, inter, expected = case["given"], case["intermediary"], case["expected"]
    tree_json = given["scriptTree"]
    tree = None if tree_json is None else tree_from_json(tree_json)
    output = TaprootOutput.create(bytes.fromhex(given["internalPubkey"]), tree)

    assert output.tweak.hex() == inter["tweak"]
    assert output.output_key.hex() == inter["tweakedPubkey"]
    assert output.script_pubkey.hex() == expected["scriptPubKey"]
    assert script_to_address(output.script_pubkey, MAINNET_HRP) == expected["bip350Address"]
    if tree_json is None:
        assert output.merkle_root is None
        return
    assert output.merkle_root is not None
    assert output.merkle_root.hex() == inter["merkleRoot"]
    leaves = leaves_in_order(tree_json)
    assert [leaf.leaf_hash.hex() for leaf in leaves] == inter["leafHashes"]
    blocks = [output.control_block(leaf).hex() for leaf in leaves]
    assert blocks == expected["scriptPathControlBlocks"]


def test_control_block_for_foreign_leaf_is_refused() -> None:
    case = next(c for c in SCRIPT_PUBKEY_CASES if c["given"]["scriptTree"] is not None)
    given = case["given"]
    output = TaprootOutput.create(
        bytes.fromhex(given["internalPubkey"]), tree_from_json(given["scriptTree"])
    )
    with pytest.raises(KeyError):
        output.control_block(TapLeaf(b"\x51"))


def test_odd_leaf_version_is_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        TapLeaf(b"\x51", 0xC1)
