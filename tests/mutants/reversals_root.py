"""Rule reversals of the state tree and its proofs (spec/STATE_ROOT.md §23, §25): caught by
the state root every block vector commits to, and by the proof vectors (named "proofs")."""

from __future__ import annotations

from tests.mutants.runner import Reversal

M_TREE = "protocol.tree"
M_PROOF = "protocol.tree_proof"

REVERSALS: tuple[Reversal, ...] = (
    Reversal(
        "leaf-commits-to-value-bytes",
        "23.2",
        "a leaf commits to its value's bytes, not to their hash",
        "opreturn-single-push",
        M_TREE,
        "    return LEAF + hashlib.sha256(key).digest() + hashlib.sha256(value).digest()",
        "    return LEAF + hashlib.sha256(key).digest() + value",
    ),
    Reversal(
        "proof-trailing-bytes-allowed",
        "25.2",
        "bytes after a proof's last sibling are ignored",
        "proofs",
        M_PROOF,
        "    if len(data) > expected:\n",
        "    if False:\n",
    ),
    Reversal(
        "proof-empty-sibling-allowed",
        "25.2",
        "a proof may list an empty sibling its bitmap could have left out",
        "proofs",
        M_PROOF,
        "        if sibling == EMPTY:\n",
        "        if False:\n",
    ),
    Reversal(
        "proof-padding-bits-allowed",
        "25.2",
        "bitmap bits past the depth are ignored",
        "proofs",
        M_PROOF,
        "    if depth % 8 and bitmap[-1] & (0xFF >> (depth % 8)):\n",
        "    if False:\n",
    ),
    Reversal(
        "proof-other-leaf-prefix-unchecked",
        "25.2",
        "a kind-2 proof's other leaf need not share the key's first depth bits",
        "proofs",
        M_PROOF,
        "        if _common_prefix_bits(proof.other_path, path) < depth:\n",
        "        if False:\n",
    ),
    Reversal(
        "proof-other-leaf-may-be-the-key",
        "25.2",
        "a kind-2 proof's other leaf may be the key's own path",
        "proofs",
        M_PROOF,
        "        if proof.other_path == path:\n",
        "        if False:\n",
    ),
    Reversal(
        "proof-claim-kind-unchecked",
        "25.2",
        "an inclusion proof also proves absence (the claim is not matched to the kind)",
        "proofs",
        M_PROOF,
        '        raise ProofError("the proof shows the key is present, but it was claimed '
        'absent", 2)\n',
        "        node = EMPTY\n",
    ),
)
