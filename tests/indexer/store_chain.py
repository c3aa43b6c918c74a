"""A hand-made chain of BlockEffects for the store tests, with MemoryState as the reference.

The machine is not involved: each block spends some UTXO records, creates others (each bound
to one of a few scripts), deploys and updates tokens, and emits events; ``writes`` and
``undo`` come from the reference MemoryState, never from the store under test.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from pathlib import Path

import cbor2
import lmdb

from indexer.store_config import ChainIdentity, StoreConfig
from protocol.params import GENESIS_STATE_HASH, PROTOCOL_VERSION, Network
from protocol.state import (
    UTXO_PREFIX,
    BlockEffects,
    MemoryState,
    Write,
    ticker_key,
    token_key,
    utxo_key,
)

FIRST_HEIGHT = 1
IDENTITY = ChainIdentity(
    network=Network.REGTEST,
    activation_height=FIRST_HEIGHT,
    protocol_version=PROTOCOL_VERSION,
    genesis_hash=hashlib.sha256(b"regtest genesis").digest(),
)
#: Four P2WPKH-shaped scripts and a bare OP_RETURN.
SCRIPTS = (*(b"\x00\x14" + bytes([n]) * 20 for n in range(4)), b"\x6a")


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def small_config(path: Path, **overrides: object) -> StoreConfig:
    settings: dict[str, object] = {"undo_depth": 8, "initial_map_size": 1 << 22}
    settings.update(overrides)
    return StoreConfig(path, **settings)  # type: ignore[arg-type]


def make_chain(count: int, *, seed: int = 1, event_size: int = 24) -> list[BlockEffects]:
    """``count`` blocks from FIRST_HEIGHT on; the same arguments give the same chain."""
    rng = random.Random(seed)
    state = MemoryState()
    previous = GENESIS_STATE_HASH
    tokens: list[bytes] = []
    chain: list[BlockEffects] = []
    for height in range(FIRST_HEIGHT, FIRST_HEIGHT + count):
        block_hash = sha(f"block {seed} {height}")
        changes: dict[bytes, bytes | None] = {}
        outputs: list[tuple[bytes, bytes]] = []
        live = [key for key, _ in state.items() if key[:1] == UTXO_PREFIX]
        for key in rng.sample(live, k=min(len(live), rng.randint(0, 3))):
            changes[key] = None
        for n in range(rng.randint(0, 4)):
            key = utxo_key(sha(f"tx {seed} {height} {n}"), rng.randint(0, 3))
            changes[key] = cbor2.dumps([height, n, rng.randint(1, 2**100)], canonical=True)
            outputs.append((key[1:], rng.choice(SCRIPTS)))
        if rng.random() < 0.3:
            # Bound and spent within the block: named in outputs, absent from the writes.
            outputs.append((utxo_key(sha(f"gone {seed} {height}"), 0)[1:], SCRIPTS[0]))
        if rng.random() < 0.3:
            token_id = height.to_bytes(4, "big") + rng.randint(1, 9).to_bytes(4, "big")
            changes[token_key(token_id)] = cbor2.dumps({"supply": 0}, canonical=True)
            changes[ticker_key(f"T{height}")] = token_id
            tokens.append(token_id)
        elif tokens and rng.random() < 0.5:
            changes[token_key(rng.choice(tokens))] = cbor2.dumps(
                {"supply": rng.randint(1, 10**9)}, canonical=True
            )
        keys = sorted(changes)
        writes = tuple(Write(key, changes[key]) for key in keys)
        undo = tuple(Write(key, state.get(key)) for key in keys)
        events = tuple(
            cbor2.dumps({"h": height, "n": n, "pad": bytes(event_size)}, canonical=True)
            for n in range(rng.randint(0, 3))
        )
        events_hash = hashlib.sha256(b"".join(events)).digest()
        state_hash = hashlib.sha256(previous + block_hash + events_hash).digest()
        chain.append(
            BlockEffects(
                height=height,
                block_hash=block_hash,
                events=events,
                events_hash=events_hash,
                state_hash=state_hash,
                writes=writes,
                undo=undo,
                outputs=tuple(sorted(outputs)),
            )
        )
        state.apply(writes)
        previous = state_hash
    return chain


def reference_state(chain: Sequence[BlockEffects]) -> MemoryState:
    state = MemoryState()
    for effects in chain:
        state.apply(effects.writes)
    return state


def expected_outputs(chain: Sequence[BlockEffects]) -> dict[bytes, bytes]:
    """Outpoint -> script for every UTXO record alive after ``chain``."""
    scripts: dict[bytes, bytes] = {}
    for effects in chain:
        scripts.update(effects.outputs)
    state = reference_state(chain)
    return {key[1:]: scripts[key[1:]] for key, _ in state.items() if key[:1] == UTXO_PREFIX}


def state_digest(items: Sequence[tuple[bytes, bytes]]) -> str:
    digest = hashlib.sha256()
    for key, value in items:
        digest.update(len(key).to_bytes(2, "big") + key + len(value).to_bytes(4, "big") + value)
    return digest.hexdigest()


def dump_env(path: Path) -> dict[bytes, dict[bytes, bytes]]:
    """Every named database of a closed store, read with plain LMDB."""
    env = lmdb.open(str(path), readonly=True, lock=False, max_dbs=32)
    try:
        with env.begin() as txn:
            names = [key for key, _ in txn.cursor()]
        dump: dict[bytes, dict[bytes, bytes]] = {}
        for name in names:
            db = env.open_db(name, create=False)
            with env.begin() as txn:
                dump[name] = dict(txn.cursor(db))
        return dump
    finally:
        env.close()
