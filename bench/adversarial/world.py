"""The machinery an attack block runs through: the `rootstate index` path's pieces (the v2
machine on the indexer's cached engine, the real LMDB store with its indexes and state tree),
and transactions built as bytes and parsed the way the indexer parses them.

A :class:`World` is a fresh store in a temporary directory. Setup blocks (tokens, contracts,
loaded UTXOs) are applied and committed without being measured; :meth:`World.measure` then
applies and commits one block and returns what it cost every indexer: CPU seconds (all
threads), peak RSS growth, new state bytes (state, tree and indexes: the LMDB growth of
every named database) and the block space the attacker bought.
"""

from __future__ import annotations

import hashlib
import itertools
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, fields
from pathlib import Path

import cbor2

from api.compose import carrier_script
from bench.child import peak_rss_mb
from engine.config import WasmtimeConfig
from indexer.block_select import decode_transaction
from indexer.contract_engine import CachedEngine, contract_engine, contract_machine
from indexer.module_cache import ModuleCacheConfig
from indexer.scan import tx_spans, txid_of
from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity, StoreConfig
from protocol.cbor import encode_canonical
from protocol.contracts.wasm import limits as lim
from protocol.envelope import EnvelopeOutput
from protocol.machine import Machine
from protocol.params import PROTOCOL_VERSION, Network
from protocol.state import BlockEffects
from protocol.tx import compact_size
from regtest.tx import OutPoint, Tx, TxIn, TxOut

FIRST_HEIGHT = 100
#: Bitcoin's block weight limit (BIP141): 4,000,000 weight units, 1,000,000 vB.
BLOCK_VBYTES = 1_000_000
#: The fee rate the table prices the attacker's block space at.
SAT_PER_VBYTE = 2
REJECTED = 7  # spec §10.2 event type
#: A point on secp256k1 (the generator's x): a valid x-only key for envelope leaves.
KEY = bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
SIGNATURE = bytes(64)


def script(label: str) -> bytes:
    """A P2TR scriptPubKey (34 bytes) unique to ``label``."""
    return b"\x51\x20" + hashlib.sha256(label.encode()).digest()


_fresh = itertools.count()


def fresh_outpoint() -> OutPoint:
    """A plain-bitcoin outpoint (no protocol state names it): funding for one input."""
    return OutPoint(hashlib.sha256(b"fund %d" % next(_fresh)).digest(), 0)


def message(*ops: dict[int, object]) -> bytes:
    return encode_canonical({0: PROTOCOL_VERSION, 1: list(ops)})


def op_return_tx(
    payload: bytes,
    inputs: Sequence[OutPoint] = (),
    outputs: int = 1,
    pad: int = 0,
) -> Tx:
    """The message in an OP_RETURN after ``outputs`` spendable outputs (a fresh funding
    input unless ``inputs``); an annex of ``pad`` bytes on the first input buys block space
    (and fuel, CONTRACTS.md §21.2)."""
    ins = [TxIn(p) for p in (inputs or [fresh_outpoint()])]
    if pad:  # a taproot annex (BIP341), the cheapest block space a key-path spend can add
        ins[0] = TxIn(ins[0].prevout, witness=(SIGNATURE, b"\x50" + bytes(max(0, pad - 1))))
    outs = [TxOut(546, script(f"out {next(_fresh)}")) for _ in range(outputs)]
    return Tx(tuple(ins), (*outs, TxOut(0, carrier_script(payload))))


def envelope_tx(payload: bytes, inputs: Sequence[OutPoint] = (), outputs: int = 1) -> Tx:
    """The message in a taproot envelope on the first input (spec §3.3): the cheapest block
    space for a large payload (witness bytes weigh 1, not 4). Where fuel costs block space
    an annex buys what a publish of the payload takes (CONTRACTS.md §16.1: 4,500 per module
    byte, 18 annex bytes) and an init call."""
    envelope = EnvelopeOutput.create(KEY, payload, KEY)
    first = inputs[0] if inputs else fresh_outpoint()
    witness: tuple[bytes, ...] = (SIGNATURE, envelope.leaf_script, envelope.control_block)
    if hasattr(lim, "FUEL_PER_VBYTE"):
        witness += (b"\x50" + bytes(18 * len(payload) + 8_000),)
    ins = [TxIn(first, witness=witness), *(TxIn(p) for p in inputs[1:])]
    outs = [TxOut(546, script(f"out {next(_fresh)}")) for _ in range(outputs)]
    return Tx(tuple(ins), tuple(outs))


def coinbase(height: int) -> Tx:
    script_sig = b"\x03" + height.to_bytes(3, "little")
    return Tx((TxIn(OutPoint(bytes(32), 0xFFFF_FFFF), script_sig),), (TxOut(5_000, b"\x51"),))


def block_hash(height: int) -> bytes:
    return hashlib.sha256(b"adversarial block %d" % height).digest()


@dataclass(frozen=True)
class Cost:
    """What one block cost the indexer, and what it cost the attacker."""

    cpu_s: float  # beyond an empty block's (``base_cpu_s``): what scales with the block
    wall_s: float
    rss_mb: float  # peak RSS growth during the block
    state_bytes: int  # new state: state entries, tree nodes and index entries (key + value)
    lmdb_bytes: int  # growth of every named database, pages in use
    vbytes: int
    txs: int
    rejected: int
    base_cpu_s: float = 0.0  # an empty block's CPU (commit, tree root): paid once per block

    @property
    def fee_sat(self) -> int:
        return self.vbytes * SAT_PER_VBYTE


#: Bytes of one entry (key + value) of the databases a block's state grows, besides
#: ``state`` itself, which is counted exactly from the block's writes (indexer/store.py).
ENTRY_BYTES = {
    "tree": 34 + 65,
    "outputs": 36 + 34,
    "scripts": 68,
    "script_balances": 44 + 16,
    "holders": 60 + 34,
    "token_stats": 12 + 40,
    "token_rank": 60,
}


class World:
    """A real store and machine in a temporary directory; see the module docstring."""

    def __init__(self, engine_config: WasmtimeConfig | None = None) -> None:
        self._stack = ExitStack()
        tmp = Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
        cache = ModuleCacheConfig(tmp / "modules", 1 << 30)
        self.engine: CachedEngine = contract_engine(engine_config or WasmtimeConfig(), cache)
        self.machine: Machine = contract_machine(self.engine)
        identity = ChainIdentity(Network.REGTEST, FIRST_HEIGHT, PROTOCOL_VERSION, bytes(32))
        self.store: Store = self._stack.enter_context(
            open_store(StoreConfig(tmp / "regtest"), identity)
        )
        self.height = FIRST_HEIGHT
        self.state_hash = bytes(32)
        self._empty_cpu: float | None = None

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def apply(self, txs: Sequence[Tx]) -> BlockEffects:
        """Apply and commit the next block (coinbase first) in one write transaction: the
        block's bytes are walked and its transactions decoded as the follow loop does."""
        raw = [coinbase(self.height).serialize(), *(tx.serialize() for tx in txs)]
        block = bytes(80) + compact_size(len(raw)) + b"".join(raw)
        effects = self.engine.run(self._apply, block)
        self.state_hash, self.height = effects.state_hash, self.height + 1
        return effects

    def _apply(self, block: bytes) -> BlockEffects:
        # As the follow loop decodes them: straight from the block bytes (indexer.block_select).
        spans = tx_spans(block)
        parsed = [decode_transaction(block, span, txid_of(block, span)) for span in spans]
        with self.store.batch() as batch:
            effects = self.machine.apply_block(
                batch.view,
                self.state_hash,
                self.height,
                block_hash(self.height),
                list(enumerate(parsed)),
            )
            batch.apply(effects, parsed)
        return effects

    def measure(self, txs: Sequence[Tx]) -> tuple[Cost, BlockEffects]:
        """Apply and commit one block, measured (see :class:`Cost`)."""
        before, entries = self.database_bytes(), self.entries()
        rss = peak_rss_mb()
        wall, cpu = time.perf_counter(), time.process_time()
        effects = self.apply(txs)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        base = self.empty_block_cpu()
        after, grown = self.database_bytes(), self.entries()
        growth = {name: after[name] - before.get(name, 0) for name in after}
        state = sum(_size(w.key, w.value) for w in effects.writes)
        state -= sum(_size(w.key, w.value) for w in effects.undo)
        state += sum((grown[n] - entries[n]) * b for n, b in ENTRY_BYTES.items())
        cost = Cost(
            cpu_s=max(0.0, cpu - base),
            wall_s=wall,
            rss_mb=max(0.0, peak_rss_mb() - rss),
            state_bytes=state,
            lmdb_bytes=sum(growth.values()),
            vbytes=sum(tx.vsize for tx in txs),
            txs=len(txs),
            rejected=sum(cbor2.loads(e)[0] == REJECTED for e in effects.events),
            base_cpu_s=base,
        )
        return cost, effects

    def empty_block_cpu(self) -> float:
        """CPU seconds of applying and committing a block with only its coinbase (median of
        three): the part of a measured block that does not grow with its transactions."""
        if self._empty_cpu is None:
            runs = []
            for _ in range(3):
                cpu = time.process_time()
                self.apply([])
                runs.append(time.process_time() - cpu)
            self._empty_cpu = sorted(runs)[1]
        return self._empty_cpu

    def entries(self) -> dict[str, int]:
        """Entries per named database."""
        dbs = self.store._dbs
        with self.store._env.begin() as txn:
            return {f.name: txn.stat(getattr(dbs, f.name))["entries"] for f in fields(dbs)}

    def database_bytes(self) -> dict[str, int]:
        """Bytes of pages in use per named database (leaf, branch and overflow pages)."""
        env = self.store._env
        dbs = self.store._dbs
        sizes: dict[str, int] = {}
        with env.begin() as txn:
            for name in (f.name for f in fields(dbs)):
                stat = txn.stat(getattr(dbs, name))
                pages = stat["branch_pages"] + stat["leaf_pages"] + stat["overflow_pages"]
                sizes[name] = pages * stat["psize"]
        return sizes


def _size(key: bytes, value: bytes | None) -> int:
    return 0 if value is None else len(key) + len(value)
