"""The state tree (spec §23-§25): hand-computed roots, and the incremental tree against the
from-scratch reference of tests/vectorgen/state_root.py over random change sequences."""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.state import MemoryState, Write
from protocol.tree import EMPTY, ROOT_POSITION, TreeError, position, prove, update
from protocol.tree_proof import ProofError, ProofKind, decode_proof, verify
from tests.vectorgen import state_root as reference

PROFILE = settings.get_profile(
    "thorough" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "ci"
)  # registered in conftest.py


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_empty_tree_root_is_32_zero_bytes() -> None:
    assert MemoryState().root == bytes(32) == EMPTY


def test_one_entry_root_is_its_leaf_hash() -> None:
    state = MemoryState({b"\x02k": b"value"})
    assert state.root == sha(b"\x00" + sha(b"\x02k") + sha(b"value"))
    assert state.node(ROOT_POSITION) == b"\x00" + sha(b"\x02k") + sha(b"value")


def test_two_entries_split_at_their_first_differing_bit() -> None:
    a, b = b"a", b"b"  # paths ca97... and 3e23...: they differ in bit 0
    assert sha(a)[0] >> 7 != sha(b)[0] >> 7
    leaf_a = sha(b"\x00" + sha(a) + sha(b"1"))
    leaf_b = sha(b"\x00" + sha(b) + sha(b"2"))
    left, right = (leaf_b, leaf_a) if sha(a)[0] >> 7 else (leaf_a, leaf_b)
    assert MemoryState({a: b"1", b: b"2"}).root == sha(b"\x01" + left + right)


def test_deleting_back_to_one_entry_lifts_the_leaf_to_the_root() -> None:
    state = MemoryState({b"x": b"1", b"y": b"2", b"z": b"3"})
    state.apply((Write(b"y", None), Write(b"z", None)))
    assert state.root == sha(b"\x00" + sha(b"x") + sha(b"1"))
    assert list(state._nodes) == [ROOT_POSITION]


def test_missing_node_is_a_tree_error() -> None:
    state = MemoryState({b"x": b"1", b"y": b"2"})
    state._nodes.pop(next(k for k in state._nodes if k != ROOT_POSITION))
    with pytest.raises(TreeError, match="missing"):
        update(state, [(b"x", b"3")])


def test_position_layout() -> None:
    assert position(3, 0b101 << 253) == b"\x00\x03" + bytes([0b1010_0000]) + bytes(31)


keys = st.binary(min_size=1, max_size=3)
batches = st.lists(
    st.lists(st.tuples(keys, st.none() | st.binary(max_size=4)), max_size=12),
    min_size=1,
    max_size=8,
)


@settings(PROFILE, max_examples=PROFILE.max_examples)
@given(batches, st.lists(keys, min_size=1, max_size=6))
def test_incremental_tree_matches_reference(
    batches: list[list[tuple[bytes, bytes | None]]], probes: list[bytes]
) -> None:
    state = MemoryState()
    model: dict[bytes, bytes] = {}
    for batch in batches:
        root = state.apply(tuple(Write(k, v) for k, v in dict(batch).items()))
        for key, value in batch:
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
        assert root == reference.state_root(model)
        # The stored nodes are a function of the state alone (spec §24.2).
        assert state._nodes == MemoryState(model)._nodes
        for key in [*probes, *list(model)[:3]]:
            proof = prove(state, key)
            assert proof == reference.proof(model, key)
            verify(root, key, model.get(key), proof)
            with pytest.raises(ProofError):
                verify(root, key, None if key in model else b"", proof)


@settings(PROFILE, max_examples=PROFILE.max_examples)
@given(st.dictionaries(keys, st.binary(max_size=4), min_size=1, max_size=20), st.data())
def test_any_single_byte_change_is_refused(
    state_map: dict[bytes, bytes], data: st.DataObject
) -> None:
    state = MemoryState(state_map)
    key = data.draw(st.sampled_from(sorted(state_map)))
    proof = prove(state, key)
    index = data.draw(st.integers(0, len(proof) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = proof[:index] + bytes([proof[index] ^ flip]) + proof[index + 1 :]
    with pytest.raises(ProofError):
        verify(state.root, key, state_map[key], tampered)


def test_decoded_proof_reencodes_and_names_its_kind() -> None:
    state = MemoryState({bytes([n]): b"v" for n in range(50)})
    raw = prove(state, b"\x07")
    decoded = decode_proof(raw)
    assert decoded.kind is ProofKind.INCLUSION and decoded.encode() == raw
