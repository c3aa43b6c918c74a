"""Proof vectors (spec §25): proofs a verifier must accept, and tampered ones it must reject.

The state is a fixed map with keys of every prefix (UTXO records, tokens, tickers, contract
storage); proofs come from :mod:`tests.vectorgen.state_root`, and every tampering below is
written by hand against the layout of spec §25.1.
"""

from __future__ import annotations

from typing import Any

from tests.vectorgen.state_root import EMPTY, bit, proof, sha, state_root

Case = dict[str, Any]


def proof_state() -> dict[bytes, bytes]:
    """40 entries over prefixes 01, 02, 03 and 06, all derived from labels."""
    state: dict[bytes, bytes] = {}
    for n in range(25):
        state[b"\x01" + sha(f"utxo {n}".encode()) + n.to_bytes(4, "big")] = sha(b"v%d" % n)[:9]
    for n in range(8):
        state[b"\x02" + (900 + n).to_bytes(4, "big") + n.to_bytes(4, "big")] = b"\xa1\x00\x01"
    for n in range(4):
        state[b"\x03" + f"TOK{n}".encode().ljust(12, b"\x00")] = bytes(8)
    for n in range(3):
        state[b"\x06" + bytes(8) + sha(b"slot %d" % n)] = b""  # an empty value is a value
    return state


def _absent_key(state: dict[bytes, bytes], kind: int) -> bytes:
    """The first label-derived UTXO key absent from ``state`` whose proof has ``kind``."""
    for n in range(10_000):
        key = b"\x01" + sha(f"absent {n}".encode()) + bytes(4)
        if key not in state and proof(state, key)[0] == kind:
            return key
    raise RuntimeError(f"no absent key with proof kind {kind}")


def _case(name: str, key: bytes, value: bytes | None, raw: bytes, refused_at: int = 0) -> Case:
    """A case; ``refused_at`` is the step of §25.2 (1-5) that refuses it, 0 for a valid one."""
    case: Case = {
        "name": name,
        "key": key.hex(),
        "value": None if value is None else value.hex(),
        "proof": raw.hex(),
        "valid": not refused_at,
    }
    if refused_at:
        case["refused_at"] = refused_at
    return case


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def build_proof_vectors() -> dict[str, Any]:
    state = proof_state()
    root = state_root(state)
    keys = sorted(state)
    present = keys[5]
    storage = keys[-1]
    gap = _absent_key(state, 1)
    other = _absent_key(state, 2)
    good = proof(state, present)
    depth = int.from_bytes(good[1:3], "big")
    # One entry fewer: a proof that is valid, but against another root.
    older = {k: v for k, v in state.items() if k != keys[0]}
    other_leaf = proof(state, other)
    # Retarget the other leaf: same value hash, a path that shares fewer bits than the depth.
    other_depth = int.from_bytes(other_leaf[1:3], "big")
    path = bytearray(other_leaf[3:35])
    path[0] ^= 0x80
    far = other_leaf[:3] + bytes(path) + other_leaf[35:]
    assert other_depth >= 1 and bit(bytes(path), 0) != bit(sha(other), 0)
    bitmap_end = 3 + (depth + 7) // 8
    # One level deeper keeps the bitmap's length unless depth is a multiple of 8: then the
    # proof no longer parses (step 1); otherwise it parses and leads elsewhere (step 5).
    deeper = 1 if depth % 8 == 0 else 5
    cases = [
        _case("inclusion of a UTXO record", present, state[present], good),
        _case("inclusion of an empty storage value", storage, b"", proof(state, storage)),
        _case("absent: the path ends in an empty subtree", gap, None, proof(state, gap)),
        _case("absent: the path ends at another leaf", other, None, other_leaf),
        _case("inclusion with the wrong value", present, b"\x00" + state[present], good, 5),
        _case("inclusion claimed absent", present, None, good, 2),
        _case("absent key claimed present", gap, b"\x01", proof(state, gap), 2),
        _case("a sibling byte flipped", present, state[present], _flip(good, len(good) - 1), 5),
        _case("truncated by one byte", present, state[present], good[:-1], 1),
        _case("one trailing byte", present, state[present], good + b"\x00", 1),
        _case("header only", present, state[present], good[:2], 1),
        _case("unknown kind 3", present, state[present], b"\x03" + good[1:], 1),
        _case("depth above 256", gap, None, b"\x01\x01\x01" + b"\xff" * 33 + sha(b"x") * 257, 1),
        _case(
            "depth one deeper than the tree",
            present,
            state[present],
            good[:1] + (depth + 1).to_bytes(2, "big") + good[3:],
            deeper,
        ),
        _case(
            "an empty sibling listed explicitly",
            present,
            state[present],
            good[:1]
            + (depth + 1).to_bytes(2, "big")
            + _with_bit(good[3:bitmap_end], depth)
            + good[bitmap_end:]
            + EMPTY,
            1,
        ),
        _case(
            "bitmap padding bit set",
            present,
            state[present],
            good[: bitmap_end - 1] + bytes([good[bitmap_end - 1] | 0x01]) + good[bitmap_end:],
            1,
        ),
        _case(
            "the other leaf is the key itself",
            other,
            None,
            other_leaf[:3] + sha(other) + other_leaf[35:],
            3,
        ),
        _case("the other leaf shares too few bits", other, None, far, 3),
        _case(
            "a valid proof against an older root",
            keys[1],
            state[keys[1]],
            proof(older, keys[1]),
            5,
        ),
        _case(
            "oversized: 9,000 bytes",
            present,
            state[present],
            good + bytes(9_000 - len(good)),
            1,
        ),
    ]
    return {
        "description": "State proofs (spec §25) against one state: a verifier MUST accept "
        "every case with valid true and refuse every other at the step of §25.2 its "
        "refused_at names (1 parse, 2 claim against kind, 3 the other leaf, 5 the root); an "
        "implementation's proofs of the valid cases MUST equal these bytes.",
        "state": {key.hex(): value.hex() for key, value in sorted(state.items())},
        "root": root.hex(),
        "empty_root": state_root({}).hex(),
        "cases": cases,
    }


def _with_bit(bitmap: bytes, index: int) -> bytes:
    """``bitmap`` extended to cover ``index + 1`` siblings, with bit ``index`` set."""
    out = bytearray(bitmap) + bytearray((index + 8) // 8 - len(bitmap))
    out[index // 8] |= 0x80 >> (index % 8)
    return bytes(out)
