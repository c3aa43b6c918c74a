"""A hand-made chain of BlockEffects for the store tests, with MemoryState as the reference.

The machine is not involved: each block spends some UTXO records, creates others (each bound
to one of a few scripts), deploys and updates tokens, and emits debit and credit events;
``writes`` and ``undo`` come from the reference MemoryState, never from the store under test.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cbor2
import lmdb

from indexer.store_config import ChainIdentity, StoreConfig
from protocol.params import GENESIS_STATE_HASH, PROTOCOL_VERSION, Network
from protocol.records import UtxoAssets
from protocol.state import (
    UTXO_PREFIX,
    BlockEffects,
    MemoryState,
    Write,
    ticker_key,
    token_key,
    utxo_key,
)
from protocol.tree import update

FIRST_HEIGHT = 1
IDENTITY = ChainIdentity(
    network=Network.REGTEST,
    activation_height=FIRST_HEIGHT,
    protocol_version=PROTOCOL_VERSION,
    genesis_hash=hashlib.sha256(b"regtest genesis").digest(),
)
#: Four P2WPKH-shaped scripts and a bare OP_RETURN.
SCRIPTS = (*(b"\x00\x14" + bytes([n]) * 20 for n in range(4)), b"\x6a")
#: Token ids the UTXO records hold balances and authorities of.
TOKENS = tuple(bytes.fromhex(f"00000001{n:08x}") for n in (1, 2, 3))
#: spec §10.2 event types.
DEBIT, CREDIT = 1, 2


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def small_config(path: Path, **overrides: object) -> StoreConfig:
    settings: dict[str, object] = {"undo_depth": 8, "initial_map_size": 1 << 22}
    settings.update(overrides)
    return StoreConfig(path, **settings)  # type: ignore[arg-type]


def make_chain(count: int, *, seed: int = 1, event_size: int = 24) -> list[BlockEffects]:
    """``count`` blocks from FIRST_HEIGHT on; the same arguments give the same chain.

    UTXO records and events have the protocol's shapes (the derived indexes decode them);
    each event pads itself with ``event_size`` bytes under an odd key nobody reads.
    """
    rng = random.Random(seed)
    state = MemoryState()
    previous = GENESIS_STATE_HASH
    tokens: list[bytes] = []
    chain: list[BlockEffects] = []
    for height in range(FIRST_HEIGHT, FIRST_HEIGHT + count):
        block_hash = sha(f"block {seed} {height}")
        spender = sha(f"spender {seed} {height}")
        changes: dict[bytes, bytes | None] = {}
        outputs: list[tuple[bytes, bytes]] = []
        events: list[bytes] = []

        def event(kind: int, txid: bytes, outpoint: bytes, token: bytes, amount: int) -> bytes:
            body = {0: kind, 1: txid, 2: outpoint, 3: token, 4: amount, 99: bytes(event_size)}
            return cbor2.dumps(body, canonical=True)

        live = [key for key, _ in state.items() if key[:1] == UTXO_PREFIX]
        for key in rng.sample(live, k=min(len(live), rng.randint(0, 3))):
            changes[key] = None
            for token, amount in UtxoAssets.decode(state.get(key) or b"").balances:
                events.append(event(DEBIT, spender, key[1:], token, amount))
        for n in range(rng.randint(0, 4)):
            key = utxo_key(sha(f"tx {seed} {height} {n}"), rng.randint(0, 3))
            held = rng.sample(TOKENS, k=rng.randint(0, 2))
            balances = {token: rng.randint(1, 2**100) for token in held}
            authorities = [] if held and rng.random() < 0.7 else [rng.choice(TOKENS)]
            changes[key] = UtxoAssets.build(balances, authorities).encode()
            outputs.append((key[1:], rng.choice(SCRIPTS)))
            for token in sorted(balances):
                events.append(event(CREDIT, key[1:33], key[1:], token, balances[token]))
        if rng.random() < 0.3:
            # Bound and spent within the block: named in outputs, absent from the writes.
            gone = utxo_key(sha(f"gone {seed} {height}"), 0)[1:]
            outputs.append((gone, SCRIPTS[0]))
            events.append(event(CREDIT, gone[:32], gone, TOKENS[0], 5))
            events.append(event(DEBIT, spender, gone, TOKENS[0], 5))
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
        events_hash = hashlib.sha256(b"".join(events)).digest()
        tree = update(state, ((write.key, write.value) for write in writes))
        state_hash = hashlib.sha256(previous + block_hash + events_hash + tree.root).digest()
        chain.append(
            BlockEffects(
                height=height,
                block_hash=block_hash,
                events=tuple(events),
                events_hash=events_hash,
                state_hash=state_hash,
                state_root=tree.root,
                writes=writes,
                undo=undo,
                nodes=tree.writes,
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


@dataclass(frozen=True)
class ExpectedIndexes:
    """What the derived indexes must answer after a chain, worked out from the chain alone."""

    balances: dict[bytes, dict[bytes, int]]  # script -> token -> total
    holders: dict[bytes, list[tuple[bytes, int]]]  # token -> [(script, balance)] richest first
    stats: dict[bytes, tuple[int, int]]  # token -> (holders, asset-carrying outpoints)
    script_events: dict[bytes, list[tuple[int, int]]]  # script -> [(height, event index)]
    txs: dict[bytes, list[tuple[int, int, int]]]  # txid -> [(height, first event, count)]


def expected_indexes(chain: Sequence[BlockEffects]) -> ExpectedIndexes:
    state = reference_state(chain)
    paid_to = expected_outputs(chain)
    balances: dict[bytes, dict[bytes, int]] = {}
    utxos: dict[bytes, int] = {}
    for key, value in state.items():
        if key[:1] != UTXO_PREFIX:
            continue
        for token, amount in cbor2.loads(value).get(0, []):
            per_script = balances.setdefault(paid_to[key[1:]], {})
            per_script[token] = per_script.get(token, 0) + amount
            utxos[token] = utxos.get(token, 0) + 1
    holders: dict[bytes, list[tuple[bytes, int]]] = {}
    for script, per_token in balances.items():
        for token, amount in per_token.items():
            holders.setdefault(token, []).append((script, amount))
    for listed in holders.values():
        listed.sort(key=lambda held: (-held[1], hashlib.sha256(held[0]).digest()))
    known = {key[1:] for key, _ in state.items() if key[:1] == b"\x02"}
    scripts: dict[bytes, bytes] = {}
    script_events: dict[bytes, list[tuple[int, int]]] = {}
    txs: dict[bytes, list[tuple[int, int, int]]] = {}
    for effects in chain:
        scripts.update(effects.outputs)
        for write in effects.writes:
            if write.key[:1] == UTXO_PREFIX and write.value is not None:
                known.update(token for token, _ in cbor2.loads(write.value).get(0, []))
        for index, raw in enumerate(effects.events):
            event = cbor2.loads(raw)
            spans = txs.setdefault(event[1], [])
            if spans and spans[-1][0] == effects.height:
                spans[-1] = (effects.height, spans[-1][1], spans[-1][2] + 1)
            else:
                spans.append((effects.height, index, 1))
            script_events.setdefault(scripts[event[2]], []).append((effects.height, index))
    stats = {token: (len(holders.get(token, [])), utxos.get(token, 0)) for token in known}
    return ExpectedIndexes(balances, holders, stats, script_events, txs)
