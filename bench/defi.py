"""DeFi contract figures for issue 19: ``python -m bench.defi [--ops 100] [--blocks 3]``.

Operations per second through the full v2 machine (``protocol.contracts.v2_machine`` on the
real wasmtime engine, Winch) over the real LMDB store, for each example contract's main
entry points (contracts/README.md): the AMM's swap (with its price accumulator), a
two-hop route, an oracle round of 3 BIP340 signatures, the lending market's supply,
borrow and repay (priced by the AMM's TWAP through ``call_view``), and the stablecoin's
mint and repay (priced by the oracle). Each block holds ``--ops`` chained transactions of
one kind, is applied with ``Machine.apply_block`` and committed to LMDB in one write
transaction on the engine's thread, as the indexer does; the rate is per CPU second (one
core's cost, whatever else this shared machine runs), with the wall rate beside it, and
the fuel per operation is the top-level ``call`` event's fuel used (CONTRACTS.md §16.5,
§20: nested calls and views with their starts included, the call's own start of 500,000 +
2 per module byte excluded).
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import cbor2
from embit.ec import PrivateKey  # type: ignore[import-untyped]

from api.call_space import PAD_KEY
from api.compose import carrier_script
from bench.contracts import Timer, block_hash, block_of, check, stored_block, u
from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from indexer.store import open_store
from indexer.store_config import ChainIdentity, StoreConfig
from protocol.cbor import encode_canonical
from protocol.contracts import v2_machine
from protocol.params import PROTOCOL_VERSION, Network
from protocol.state import BlockEffects, MemoryState
from protocol.tx import Transaction, parse_transaction
from regtest.tx import OutPoint, Tx, TxIn, TxOut

WASM = Path(__file__).resolve().parents[1] / "contracts" / "wasm"
FIRST_HEIGHT = 100
#: Wallet outputs per transaction: a UTXO record holds at most 4 entries (PROTOCOL.md
#: §7.5.1) and the wallet holds 3 tokens, LP shares, receipts and position assets.
OUTPUTS = 4
#: Message padding (an ignored odd key): each OP_RETURN byte buys 1,000 fuel (§21.2); a
#: route's two nested calls and an oracle round's three verifications need ~2 M.
PAD = 4_000
Q64 = 1 << 64
KEYS = [PrivateKey(hashlib.sha256(b"bench signer %d" % i).digest()) for i in range(3)]
CALL, FUEL, FROM_CONTRACT = 10, 14, 16  # CONTRACTS.md §20: event type and keys


def script(label: str) -> bytes:
    return b"\x51\x20" + hashlib.sha256(label.encode()).digest()


def asset(ref: tuple[int, int], sub: int = 0) -> bytes:
    """An asset id as contract memory holds it: id (8), sub (u32 big-endian)."""
    return ref[0].to_bytes(4, "big") + ref[1].to_bytes(4, "big") + sub.to_bytes(4, "big")


def cid(ref: tuple[int, int]) -> bytes:
    return ref[0].to_bytes(4, "big") + ref[1].to_bytes(4, "big")


Sent = list[tuple[list[int], int]]


def call_op(contract: tuple[int, int], data: bytes, sent: Sent | None = None) -> dict[int, object]:
    op: dict[int, object] = {0: 7, 1: list(contract), 2: data}
    if sent:
        op[3] = [[ref, n] for ref, n in sent]
    return op


class World:
    """The contracts, deployed and funded block by block on a MemoryState."""

    def __init__(self, engine: WasmtimeEngine) -> None:
        self.machine = v2_machine(engine)
        self.state = MemoryState()
        self.state_hash = bytes(32)
        self.height = FIRST_HEIGHT
        self.applied: list[BlockEffects] = []
        self.wallet: list[OutPoint] = []
        self.tokens: list[tuple[int, int]] = []
        coins: list[OutPoint] = []
        for n, ticker in enumerate(("AAA", "BBB", "CCC")):  # premine on output 0
            funding = OutPoint(hashlib.sha256(b"defi funding %d" % n).digest(), 0)
            deploy = self.tx({0: 1, 1: ticker, 3: 10**15, 5: 2, 6: 10**15}, [funding])
            self.tokens.append((self.height, 1))
            self.block([deploy])
            coins.extend(self.wallet)
        self.wallet = coins
        a, b, c = self.tokens
        self.ab = self.publish("amm", asset(a) + asset(b) + u(30, 2))
        self.bc = self.publish("amm", asset(b) + asset(c) + u(30, 2))
        self.router = self.publish("router", None)
        keys = b"".join(k.get_public_key().xonly() for k in KEYS)
        oracle_init = asset(a) + asset(b) + bytes([2, 3]) + u(1_000, 8) + u(1_000, 2) + keys
        self.oracle = self.publish("oracle", oracle_init)
        lending_init = (
            (asset(a) + asset(b) + bytes([1]) + cid(self.ab) + u(3, 8) + u(7_500, 2))
            + u(500, 2)
            + u(10**12, 8)
        )
        self.lending = self.publish("lending", lending_init)
        stable_init = asset(a) + cid(self.oracle) + u(1_000, 8) + u(15_000, 2) + u(1_000, 2)
        self.stable = self.publish("stable", stable_init + u(10**12, 8) + u(10**30, 16))
        add = bytes([1]) + u(0, 16) + u(0, 4)
        self.call(self.ab, add, [(list(a), 10**12), (list(b), 4 * 10**12)])
        self.call(self.bc, add, [(list(b), 4 * 10**12), (list(c), 2 * 10**12)])
        self.seq = 0
        self.block([self.oracle_round()])
        self.call(self.lending, bytes([11]))  # the TWAP checkpoint
        for _ in range(3):
            self.block([])
        self.call(self.lending, bytes([1]) + u(0, 4), [(list(b), 10**13)])
        self.call(self.lending, bytes([3]) + u(10**9, 16) + u(0, 4), [(list(a), 10**12)])
        self.call(self.stable, bytes([1]) + u(10**9, 16) + u(0, 4), [(list(a), 10**12)])

    def tx(self, op: dict[int, object], inputs: Sequence[OutPoint] | None = None) -> Transaction:
        """Spends the wallet (or ``inputs``); wallet outputs 0-3, the carrier last."""
        payload = encode_canonical({0: 1, 1: [op], PAD_KEY: bytes(self.pad(op))})
        outputs = [TxOut(1_000, script(f"wallet {n}")) for n in range(OUTPUTS)]
        outputs.append(TxOut(0, carrier_script(payload)))
        ins = list(inputs if inputs is not None else self.wallet)
        tx = parse_transaction(Tx(tuple(TxIn(p) for p in ins), tuple(outputs)).serialize())
        self.wallet = [OutPoint(tx.txid, n) for n in range(OUTPUTS)]
        return tx

    @staticmethod
    def pad(op: dict[int, object]) -> int:
        code = op.get(1) if op.get(0) == 5 else None
        return 4 * len(code) + 2_000 if isinstance(code, bytes) else PAD

    def block(self, txs: Sequence[Transaction]) -> BlockEffects:
        height = self.height
        effects = self.machine.apply_block(
            self.state, self.state_hash, height, block_hash(height), block_of(height, txs)
        )
        check(effects, txs)
        self.state.apply(effects.writes)
        self.state_hash, self.height = effects.state_hash, height + 1
        self.applied.append(effects)
        return effects

    def publish(self, name: str, init: bytes | None) -> tuple[int, int]:
        op: dict[int, object] = {0: 5, 1: (WASM / f"{name}.wasm").read_bytes()}
        if init is not None:
            op[2] = init
        ref = (self.height, 1)
        funding = OutPoint(hashlib.sha256(b"defi publish %d" % self.height).digest(), 0)
        wallet = self.wallet
        self.block([self.tx(op, [funding])])
        self.wallet = wallet
        return ref

    def call(self, contract: tuple[int, int], data: bytes, sent: Sent | None = None) -> None:
        self.block([self.tx(call_op(contract, data, sent))])

    def oracle_round(self, height: int | None = None) -> Transaction:
        """3 attestations of a price of 4 B per A at ``height`` (default: the next block)."""
        self.seq += 1
        at = self.height if height is None else height
        parts = [bytes([3])]
        for i, key in enumerate(KEYS):
            price = 4 * Q64
            record = cid(self.oracle) + asset(self.tokens[0]) + asset(self.tokens[1])
            record += u(price, 16) + u(at, 8) + u(self.seq, 8)
            sig = key.schnorr_sign(hashlib.sha256(record).digest()).serialize()
            parts.append(bytes([i]) + u(price, 16) + u(at, 8) + u(self.seq, 8) + sig)
        return self.tx(call_op(self.oracle, bytes([1]) + b"".join(parts)))


def operations(w: World) -> dict[str, Callable[[int], Transaction]]:
    """Each benchmarked operation: a function of (block height) making one chained tx."""
    a, b = list(w.tokens[0]), list(w.tokens[1])
    pos = [*w.lending, 2]  # position 1's asset
    vault = [*w.stable, 2]  # vault 1's asset
    stable = [*w.stable, 1]
    swap = bytes([2]) + u(0, 16) + u(0, 4)
    route = bytes([1]) + u(0, 16) + u(0, 4) + bytes([2]) + cid(w.ab) + cid(w.bc)
    return {
        "amm swap": lambda h: w.tx(call_op(w.ab, swap, [(a, 1_000)])),
        "router 2 hops": lambda h: w.tx(call_op(w.router, route, [(a, 1_000)])),
        "oracle round (3 sigs)": w.oracle_round,
        "lending supply": lambda h: w.tx(call_op(w.lending, bytes([1]) + u(0, 4), [(b, 1_000)])),
        "lending borrow": lambda h: w.tx(
            call_op(w.lending, bytes([6]) + u(1, 4) + u(1_000, 16) + u(0, 4), [(pos, 1)])
        ),
        "lending repay": lambda h: w.tx(
            call_op(w.lending, bytes([7]) + u(1, 4) + u(0, 4), [(b, 1_000)])
        ),
        "stable mint": lambda h: w.tx(
            call_op(w.stable, bytes([4]) + u(1, 4) + u(1_000, 16) + u(0, 4), [(vault, 1)])
        ),
        "stable repay": lambda h: w.tx(
            call_op(w.stable, bytes([5]) + u(1, 4) + u(0, 4), [(stable, 1_000)])
        ),
    }


def fuel_of(effects: BlockEffects) -> list[int]:
    """The fuel of every top-level call in the block."""
    out = []
    for raw in effects.events:
        event = cbor2.loads(raw)
        if event[0] == CALL and FROM_CONTRACT not in event:
            out.append(int(event[FUEL]))
    return out


def run(ops_per_block: int, blocks: int) -> list[tuple[str, Timer, int, float]]:
    engine = WasmtimeEngine(WasmtimeConfig())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        world = World(engine)
        identity = ChainIdentity(Network.REGTEST, FIRST_HEIGHT, PROTOCOL_VERSION, bytes(32))
        with open_store(StoreConfig(Path(tmp) / "regtest"), identity) as store:
            store.apply_blocks(world.applied)
            prior, height = world.state_hash, world.height
            for name, make in operations(world).items():
                timer = Timer()
                fuels: list[int] = []
                for n in range(blocks + 1):  # the first block warms up, untimed
                    txs = [make(height) for _ in range(ops_per_block)]
                    if n == 0:
                        effects = engine.run(stored_block, store, world.machine, prior, height, txs)
                    else:
                        with timer.timing():
                            effects = engine.run(
                                stored_block, store, world.machine, prior, height, txs
                            )
                        fuels.extend(fuel_of(effects))
                    check(effects, txs)
                    prior, height = effects.state_hash, height + 1
                results.append((name, timer, blocks * ops_per_block, sum(fuels) / len(fuels)))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--ops", type=int, default=100, help="operations per block")
    parser.add_argument("--blocks", type=int, default=3, help="timed blocks per operation")
    args = parser.parse_args(argv)
    head = ("operation", "ops/s CPU", "ops/s wall", "µs CPU/op", "fuel/op")
    print(f"{head[0]:<24} {head[1]:>10} {head[2]:>11} {head[3]:>10} {head[4]:>10}")
    worst = None
    for name, timer, count, fuel in run(args.ops, args.blocks):
        cpu_rate = count / timer.cpu
        print(
            f"{name:<24} {cpu_rate:10,.0f} {count / timer.wall:11,.0f} "
            f"{timer.cpu / count * 1e6:10,.0f} {fuel:10,.0f}"
        )
        worst = cpu_rate if worst is None else min(worst, cpu_rate)
    print(f"slowest: {worst:,.0f} ops/s CPU (target: none below 500)")
    print("fuel/op: the call event's fuel used, without the call's own start (500,000 + 2/byte)")


if __name__ == "__main__":
    main()
