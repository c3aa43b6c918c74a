"""The proof vectors of spec/vectors/proofs.json (spec §25) against protocol.tree.

Valid cases must verify and be exactly what :func:`protocol.tree.prove` produces for the
vector's state; every tampered case must be refused with a ProofError at the step of
§25.2 its ``refused_at`` names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from protocol.state import MemoryState
from protocol.tree import EMPTY, prove
from protocol.tree_proof import ProofError, verify

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "spec" / "vectors" / "proofs.json").read_text("utf-8")
)
STATE = {bytes.fromhex(k): bytes.fromhex(v) for k, v in VECTORS["state"].items()}
ROOT = bytes.fromhex(VECTORS["root"])


@pytest.fixture(scope="module")
def tree() -> MemoryState:
    return MemoryState(STATE)


def _parts(case: dict[str, Any]) -> tuple[bytes, bytes | None, bytes]:
    value = None if case["value"] is None else bytes.fromhex(case["value"])
    return bytes.fromhex(case["key"]), value, bytes.fromhex(case["proof"])


def test_root_of_the_vector_state(tree: MemoryState) -> None:
    assert tree.root == ROOT
    assert bytes.fromhex(VECTORS["empty_root"]) == EMPTY == MemoryState().root


def test_both_outcomes_and_every_proof_kind_are_covered() -> None:
    cases = VECTORS["cases"]
    assert {case["valid"] for case in cases} == {True, False}
    assert {bytes.fromhex(case["proof"])[0] for case in cases if case["valid"]} == {0, 1, 2}


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_proof_vector(case: dict[str, Any], tree: MemoryState) -> None:
    key, value, proof = _parts(case)
    if case["valid"]:
        verify(ROOT, key, value, proof)
        assert prove(tree, key) == proof
    else:
        with pytest.raises(ProofError) as refused:
            verify(ROOT, key, value, proof)
        assert refused.value.step == case["refused_at"], refused.value


def test_tampered_cases_name_every_refusing_step() -> None:
    """Each verification step of §25.2 that can refuse a claim refuses one case (step 4
    computes, it cannot fail)."""
    steps = {case["refused_at"] for case in VECTORS["cases"] if not case["valid"]}
    assert steps == {1, 2, 3, 5}
