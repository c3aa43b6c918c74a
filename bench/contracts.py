"""Contract figures for issues 8 and 9: ``python -m bench.contracts [--swaps 300] [--blocks 4]``.

In one run, on every engine back end (Winch, the default, cranelift and pulley):

- AMM swaps per second through the full v2 machine (``protocol.contracts.v2_machine`` on the
  real wasmtime engine): blocks of ``--swaps`` chained swap transactions against one pool of
  the committed AMM (contracts/wasm/amm.wasm), each block applied with
  ``Machine.apply_block`` (carriers, message, pool, contract call with its host calls and
  storage writes, settlement, events, state hash) and committed before the next, the state
  in memory (MemoryState) and then in the real LMDB store. Each block runs through
  ``WasmtimeEngine.run``, on the engine's thread, as an indexer should apply blocks;
  ``--handoff`` adds the figure without it (one thread hand-off per contract call);
- publish cost (validate + instrument + compile) of a generated ~50 KB module;
- a warm call of that module with its compiled code cached;
- simulating one AMM swap (``POST /v1/contracts/{id}/simulate``'s job) on the LMDB store:
  in-process, then in a fresh heavy-work process (:mod:`api.heavy`) the way the API runs it,
  its first simulate compiling the AMM (module cache off) or loading the machine code the
  indexer wrote (cache on, read-only), then its steady latency; ``--simulate-only`` prints
  only these;
- peak RSS of the process.

Each figure is given as wall time and as CPU time per operation: CPU time is one core's
cost whatever else the machine runs (this one is shared), wall time what a user waits for.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import cbor2
import wasmtime

from api.call_space import PAD_KEY
from api.compose import carrier_script
from api.heavy import HeavyWork, Worker
from api.simulate import CallRequest, parse_call, simulate, simulate_job
from bench.wasm import big_module
from engine.config import BACKENDS, Backend, WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from indexer.contract_engine import contract_engine, contract_machine
from indexer.module_cache import ModuleCacheConfig
from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity, StoreConfig
from protocol.cbor import encode_canonical
from protocol.contracts import v2_machine
from protocol.machine import Machine
from protocol.params import PROTOCOL_VERSION, Network
from protocol.state import BlockEffects, MemoryState
from protocol.tx import Transaction, parse_transaction
from protocol.wasm.engine import HostCaller, HostImport, ValType
from protocol.wasm.instrument import instrument
from protocol.wasm.validate import validate
from regtest.tx import OutPoint, Tx, TxIn, TxOut

AMM = Path(__file__).resolve().parents[1] / "contracts" / "wasm" / "amm.wasm"
#: Message padding per call: an AMM swap uses about 330,000 fuel plus its 513,000 start.
CALL_PAD = 800
#: The first liquidity add writes new storage keys (300,000 fuel each, CONTRACTS.md §17.3).
ADD_PAD = 4_000
ADD, SWAP = 1, 2  # contracts/README.md: the AMM's entry points and their inputs
REJECTED = 7  # spec §10.2 event type
FIRST_HEIGHT = 100


# -- transactions (spec §3.2 carriers, §5-§6 messages, CONTRACTS.md §16.3 calls) ----------


def script(label: str) -> bytes:
    return b"\x51\x20" + hashlib.sha256(label.encode()).digest()


def make_tx(inputs: Sequence[OutPoint], op: dict[int, object], call_pad: int = 0) -> Transaction:
    """Output 0 spendable (the default target), 1 the carrier of ``op``, 2 spendable."""
    # CONTRACTS.md §21.2: the call uses only the fuel the transaction's vsize buys; an
    # ignored odd key (§5.3) pads the message to the ~850 vB a swap needs.
    # A publish takes 4,500 fuel per module byte: each OP_RETURN byte buys 1,000.
    code = op.get(1) if op.get(0) == 5 else None
    pad = 4 * len(code) + 2_000 if isinstance(code, bytes) else call_pad or CALL_PAD
    payload = encode_canonical({0: 1, 1: [op], PAD_KEY: bytes(pad)})
    outputs = (
        TxOut(1_000, script("wallet")),
        TxOut(0, carrier_script(payload)),
        TxOut(1_000, script("issuer")),
    )
    return parse_transaction(Tx(tuple(TxIn(p) for p in inputs), outputs).serialize())


def coinbase(height: int) -> Transaction:
    script_sig = b"\x03" + height.to_bytes(3, "little")
    tx = Tx((TxIn(OutPoint(bytes(32), 0xFFFF_FFFF), script_sig),), (TxOut(5_000, b"\x51"),))
    return parse_transaction(tx.serialize())


def block_hash(height: int) -> bytes:
    return hashlib.sha256(b"block %d" % height).digest()


def block_of(height: int, txs: Sequence[Transaction]) -> list[tuple[int, Transaction]]:
    return [(0, coinbase(height)), *((i + 1, tx) for i, tx in enumerate(txs))]


def asset(ref: tuple[int, int]) -> bytes:
    """An asset id as contract memory holds it (CONTRACTS.md §17.1): id (8), sub 0 (4)."""
    return ref[0].to_bytes(4, "big") + ref[1].to_bytes(4, "big") + bytes(4)


def call(
    contract: tuple[int, int], data: bytes, sent: list[tuple[tuple[int, int], int]]
) -> dict[int, object]:
    return {0: 7, 1: list(contract), 2: data, 3: [[list(ref), n] for ref, n in sent]}


def check(effects: BlockEffects, txs: Sequence[Transaction]) -> None:
    rejected = sum(cbor2.loads(event)[0] == REJECTED for event in effects.events)
    assert rejected == 0, f"{rejected:,} of {len(txs):,} transactions rejected"


class Timer:
    """Wall and CPU seconds (all threads of the process) of a ``with`` block, summed."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    @contextmanager
    def timing(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu

    def rate(self, count: int, what: str) -> str:
        return (
            f"{count / self.wall:9,.0f} {what}/s wall, {count / self.cpu:9,.0f} {what}/s CPU "
            f"({self.cpu / count * 1e6:,.0f} µs CPU per {what.rstrip('s')})"
        )


class AmmPool:
    """Two issuer tokens and an AMM pool for them with liquidity, applied block by block to
    a MemoryState; ``wallet`` is the outpoint holding the rest of both tokens."""

    def __init__(self, engine: WasmtimeEngine) -> None:
        self.machine = v2_machine(engine)
        self.state = MemoryState()
        self.state_hash = bytes(32)
        self.height = FIRST_HEIGHT
        self.applied: list[BlockEffects] = []
        funding = [OutPoint(hashlib.sha256(b"funding %d" % n).digest(), 0) for n in range(3)]
        self.a, self.b = (self.height, 1), (self.height + 1, 1)
        self.wallet = []
        for n, ticker in enumerate(("AAA", "BBB")):  # premine on output 0, authority on 2
            deploy = make_tx([funding[n]], {0: 1, 1: ticker, 3: 10**15, 5: 2, 6: 10**15})
            self.block([deploy])
            self.wallet.append(OutPoint(deploy.txid, 0))
        self.amm = (self.height, 1)
        publish = {0: 5, 1: AMM.read_bytes(), 2: asset(self.a) + asset(self.b) + u(30, 2)}
        self.block([make_tx([funding[2]], publish)])
        add = bytes([ADD]) + u(0, 16) + u(0, 4)
        liquidity = call(self.amm, add, [(self.a, 10**12), (self.b, 10**12)])
        self.block([self.tx(liquidity, ADD_PAD)])

    def tx(self, op: dict[int, object], pad: int = 0) -> Transaction:
        tx = make_tx(self.wallet, op, pad)
        self.wallet = [OutPoint(tx.txid, 0)]
        return tx

    def peek(self, txs: Sequence[Transaction]) -> BlockEffects:
        """Apply the next block without committing it (on the calling thread)."""
        height = self.height
        effects = self.machine.apply_block(
            self.state, self.state_hash, height, block_hash(height), block_of(height, txs)
        )
        check(effects, txs)
        return effects

    def block(self, txs: Sequence[Transaction]) -> BlockEffects:
        """Apply and commit the next block (on the calling thread)."""
        effects = self.peek(txs)
        self.state.apply(effects.writes)
        self.state_hash, self.height = effects.state_hash, self.height + 1
        self.applied.append(effects)
        return effects

    def swaps(self, count: int) -> list[Transaction]:
        """``count`` chained swaps of 1,000 units, alternating direction."""
        data = bytes([SWAP]) + u(0, 16) + u(0, 4)  # min out 0, output 0
        return [
            self.tx(call(self.amm, data, [(self.a if n % 2 == 0 else self.b, 1_000)]))
            for n in range(count)
        ]


def u(value: int, width: int) -> bytes:
    """contracts/README.md codec: integers little-endian."""
    return value.to_bytes(width, "little")


def swaps_in_memory(
    engine: WasmtimeEngine, blocks: int, per_block: int, *, inline: bool = True
) -> Timer:
    """Apply and commit ``blocks`` blocks of swaps, the state in a MemoryState; each block
    on the engine's thread (``engine.run``) unless ``inline`` is false, when every contract
    call is handed to that thread on its own."""
    pool = AmmPool(engine)
    wallet = pool.wallet
    pool.peek(pool.swaps(20))  # warm-up, not committed: every code path runs once
    pool.wallet = wallet
    timer = Timer()
    for _ in range(blocks):
        txs = pool.swaps(per_block)
        with timer.timing():
            engine.run(pool.block, txs) if inline else pool.block(txs)
    return timer


@contextmanager
def amm_store(pool: AmmPool, data_dir: Path) -> Iterator[Store]:
    """A real LMDB store under ``data_dir`` (as ``<data_dir>/regtest``) holding ``pool``'s
    blocks so far: the tokens, the pool and its liquidity."""
    identity = ChainIdentity(Network.REGTEST, FIRST_HEIGHT, PROTOCOL_VERSION, bytes(32))
    with open_store(StoreConfig(data_dir / "regtest"), identity) as store:
        store.apply_blocks(pool.applied)
        yield store


def swaps_on_lmdb(engine: WasmtimeEngine, blocks: int, per_block: int) -> Timer:
    """The same over the real LMDB store: each block read from and committed to it."""
    pool = AmmPool(engine)
    timer = Timer()
    with tempfile.TemporaryDirectory() as tmp, amm_store(pool, Path(tmp)) as store:
        prior, height = pool.state_hash, pool.height
        for _ in range(blocks):
            txs = pool.swaps(per_block)
            with timer.timing():
                effects = engine.run(stored_block, store, pool.machine, prior, height, txs)
            check(effects, txs)
            prior, height = effects.state_hash, height + 1
    return timer


def stored_block(
    store: Store, machine: Machine, prior: bytes, height: int, txs: Sequence[Transaction]
) -> BlockEffects:
    """Apply and commit one block in one LMDB write transaction (on the calling thread)."""
    with store.batch() as batch:
        effects = machine.apply_block(
            batch.view, prior, height, block_hash(height), block_of(height, txs)
        )
        batch.apply(effects, txs)
    return effects


def publish_cost(engine: WasmtimeEngine) -> tuple[int, float, float, float, int]:
    """(module bytes, validate+instrument, compile, warm call) CPU seconds; warm call fuel."""
    raw = big_module(580)
    key = hashlib.sha256(raw).digest()
    prepare = per_op(lambda: instrument(validate(raw)))
    instrumented = instrument(validate(raw))
    compile_ = per_op(lambda: wasmtime.Module(engine.engine, instrumented), 2.0)

    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        caller.charge(1)

    imports = {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}
    result = engine.execute(key, instrumented, "call", imports, 10**7)
    assert result.trap is None
    warm = per_op(lambda: engine.execute(key, instrumented, "call", imports, 10**7))
    return len(raw), prepare, compile_, warm, result.fuel_used


def swap_request(pool: AmmPool) -> CallRequest:
    """A simulate request (POST /v1/contracts/{id}/simulate) of a 1,000-unit swap of A."""
    body = {
        "input": (bytes([SWAP]) + u(0, 16) + u(0, 4)).hex(),
        "assets": [{"asset": f"{pool.a[0]}:{pool.a[1]}", "amount": "1000"}],
    }
    return parse_call(f"{pool.amm[0]}:{pool.amm[1]}", body, Network.REGTEST)


def engine_counts(worker: Worker) -> tuple[int, int]:
    """A heavy-work job: (modules compiled, modules loaded from disk) by the worker so far."""
    return worker.engine.compiles, worker.engine.loads


def first_heavy_simulations(
    store: StoreConfig, engine: WasmtimeConfig, modules: ModuleCacheConfig, request: CallRequest
) -> tuple[list[float], tuple[int, int]]:
    """A fresh heavy-work process (started, store open), then 20 simulations of ``request``
    one after another: the wall seconds of each and the worker's (compiles, loads)."""
    heavy = HeavyWork(store, 1, 0, engine, modules=modules)

    async def scenario() -> tuple[list[float], tuple[int, int]]:
        await heavy.run(engine_counts)  # the worker is up
        seconds = []
        for _ in range(20):
            started = time.perf_counter()
            body = json.loads(await heavy.run(simulate_job, request))
            seconds.append(time.perf_counter() - started)
            assert body["accepted"], body
        return seconds, await heavy.run(engine_counts)

    try:
        return asyncio.run(scenario())
    finally:
        heavy.close()


def simulate_report(backend: Backend) -> None:
    """Simulating an AMM swap: in-process, then in a heavy-work process the way the API runs
    it, whose first simulation compiles the AMM or loads the indexer's compiled module."""
    config = WasmtimeConfig(backend=backend)
    pool = AmmPool(WasmtimeEngine(config))
    request = swap_request(pool)
    with tempfile.TemporaryDirectory() as tmp, amm_store(pool, Path(tmp)) as store:
        # What the indexer leaves in <data_dir>/modules once it has run the AMM.
        modules = ModuleCacheConfig(Path(tmp) / "modules", 64 << 20)
        indexer = contract_machine(contract_engine(config, modules))
        with store.read() as view:
            tip = view.tip()
            assert tip is not None
            in_process = wall_ms(lambda: simulate(view, indexer, tip.height + 1, request))
            cpu = per_op(lambda: simulate(view, indexer, tip.height + 1, request))
        print(
            f"[{backend}] simulate of an AMM swap, in-process on the LMDB store: "
            f"p50 {in_process[len(in_process) // 2]:,.2f} ms, "
            f"p90 {in_process[len(in_process) * 9 // 10]:,.2f} ms wall ({len(in_process):,} "
            f"runs); {cpu * 1e6:,.0f} µs CPU each"
        )
        for name, cache in (("cache off", replace(modules, max_bytes=0)), ("cache on", modules)):
            seconds, (compiles, loads) = first_heavy_simulations(
                store.config, config, cache, request
            )
            rest = sorted(seconds[1:])
            print(
                f"[{backend}] heavy worker, module {name}: first simulate "
                f"{seconds[0] * 1e3:,.1f} ms ({compiles} compiled, {loads} loaded from disk), "
                f"then p50 {rest[len(rest) // 2] * 1e3:,.2f} ms"
            )


def wall_ms(fn: Callable[[], object], seconds: float = 1.0) -> list[float]:
    """Sorted wall milliseconds of each call of ``fn`` over about ``seconds`` (after one)."""
    fn()
    out = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        begun = time.perf_counter()
        fn()
        out.append((time.perf_counter() - begun) * 1e3)
    return sorted(out)


def per_op(fn: Callable[[], object], seconds: float = 1.0) -> float:
    """Mean CPU seconds per call of ``fn`` over about ``seconds`` of wall time."""
    fn()
    count = 0
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
    return (time.process_time() - cpu) / count


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def report(backend: Backend, args: argparse.Namespace) -> None:
    simulate_report(backend)
    if args.simulate_only:
        return
    engine = WasmtimeEngine(WasmtimeConfig(backend=backend))
    total = args.blocks * args.swaps
    memory = swaps_in_memory(engine, args.blocks, args.swaps)
    print(f"[{backend}] swaps, MemoryState, {args.blocks} blocks of {args.swaps:,}:")
    print(f"    {memory.rate(total, 'swaps')}")
    if args.handoff:
        handed = swaps_in_memory(engine, args.blocks, args.swaps, inline=False)
        print(f"[{backend}] the same, one thread hand-off per contract call:")
        print(f"    {handed.rate(total, 'swaps')}")
    if not args.no_lmdb:
        lmdb = swaps_on_lmdb(engine, args.blocks, args.swaps)
        print(f"[{backend}] swaps, LMDB store,  {args.blocks} blocks of {args.swaps:,}:")
        print(f"    {lmdb.rate(total, 'swaps')}")
    size, prepare, compile_, warm, fuel = publish_cost(engine)
    print(
        f"[{backend}] publish of a {size:,}-byte module: validate + instrument "
        f"{prepare * 1e3:,.1f} ms, compile {compile_ * 1e3:,.1f} ms, "
        f"total {(prepare + compile_) * 1e3:,.1f} ms CPU"
    )
    print(
        f"[{backend}] warm call of it, compiled module cached: {warm * 1e6:,.0f} µs CPU "
        f"({fuel:,} fuel)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.contracts", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--swaps", type=int, default=300, help="swaps per block")
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all")
    parser.add_argument("--no-lmdb", action="store_true", help="skip the LMDB store run")
    parser.add_argument(
        "--handoff", action="store_true", help="also apply blocks off the engine's thread"
    )
    parser.add_argument("--simulate-only", action="store_true", help="only the simulate figures")
    args = parser.parse_args()
    backends: list[Backend] = list(BACKENDS) if args.backend == "all" else [args.backend]
    for backend in backends:
        report(backend, args)
    print(f"peak RSS {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
