"""Benchmark: outpoint-balance lookups over HTTP while the indexer applies blocks.

Run from the repository root (needs ``wrk``: ``apt-get install wrk``)::

    .venv/bin/python -m bench.api [--blocks N] [--seconds S] [--connections C]

It builds a store of real protocol transactions (an issuer token whose bank output pays 62
new holders per block), then runs three processes on loopback: the API (``rootstate
serve``'s app, one uvicorn worker, reading the store read-only), a writer that keeps applying
such blocks through the protocol machine, and wrk. It prints requests/s and latency
percentiles for single lookups (``GET /v1/outpoints/{outpoint}``, random outpoints) and for
batches (``POST /v1/outpoints`` of 100 and of 1,000), and how many blocks were applied
meanwhile. The machine is shared by all three processes: figures are for this box.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn

from api.app import create_app
from api.compose import carrier_script
from api.context import ApiContext, ApiSettings
from api.server import uvicorn_config
from indexer.store import open_store
from indexer.store_config import ChainIdentity, StoreConfig
from indexer.store_reader import open_reader
from protocol.cbor import CborValue, encode_canonical
from protocol.contracts import v1_machine
from protocol.params import PROTOCOL_VERSION, Network
from protocol.tx import Transaction, parse_transaction
from regtest.tx import OutPoint, Tx, TxIn, TxOut

IDENTITY = ChainIdentity(
    Network.REGTEST, 1, PROTOCOL_VERSION, hashlib.sha256(b"bench genesis").digest()
)
RECIPIENTS = 62
BANK = b"\x51\x20" + hashlib.sha256(b"bench bank").digest()
TOKEN = [1, 1]


def _p2tr(label: str) -> bytes:
    return b"\x51\x20" + hashlib.sha256(label.encode()).digest()


def _tx(inputs: list[OutPoint], outputs: list[tuple[int, bytes]]) -> Transaction:
    tx = Tx(tuple(TxIn(op) for op in inputs), tuple(TxOut(v, s) for v, s in outputs))
    return parse_transaction(tx.serialize())


def _coinbase(height: int) -> Transaction:
    script_sig = b"\x03" + height.to_bytes(3, "little")
    tx = Tx((TxIn(OutPoint(bytes(32), 0xFFFF_FFFF), script_sig),), (TxOut(5_000, BANK),))
    return parse_transaction(tx.serialize())


def chain(count: int) -> Iterator[tuple[int, list[Transaction], list[str]]]:
    """(height, transactions, outpoints created that carry tokens) for heights 1..count."""
    deploy: dict[int, CborValue] = {0: 1, 1: "BENCH", 3: 2**64, 5: 2, 6: 10**15}
    payload = encode_canonical({0: 1, 1: [deploy]})
    first = _tx(
        [OutPoint(hashlib.sha256(b"funding").digest(), 0)],
        [(0, carrier_script(payload)), (1_000, BANK), (1_000, BANK)],
    )
    yield 1, [_coinbase(1), first], []
    bank = OutPoint(first.txid, 1)
    for height in range(2, count + 1):
        ops: list[CborValue] = [
            {0: 3, 1: list[CborValue](TOKEN), 2: 1 + n, 3: n + 2} for n in range(RECIPIENTS)
        ]
        outputs = [(0, carrier_script(encode_canonical({0: 1, 1: ops, 2: 1}))), (1_000, BANK)]
        outputs += [(330, _p2tr(f"holder {height} {n}")) for n in range(RECIPIENTS)]
        tx = _tx([bank], outputs)
        bank = OutPoint(tx.txid, 1)
        created = [f"{tx.txid[::-1].hex()}:{n + 2}" for n in range(RECIPIENTS)]
        yield height, [_coinbase(height), tx], created


def apply_chain(path: Path, first: int, last: int, pause: float) -> int:
    """Apply heights ``first..last`` of :func:`chain` to the store; returns blocks applied."""
    machine = v1_machine()
    applied = 0
    with open_store(StoreConfig(path), IDENTITY) as store:
        for height, txs, _ in chain(last):
            if height < first:
                continue
            tip = store.tip()
            previous = bytes(32) if tip is None else tip.state_hash
            block_hash = hashlib.sha256(b"bench block %d" % height).digest()
            with store.read() as view:
                effects = machine.apply_block(
                    view, previous, height, block_hash, list(enumerate(txs))
                )
            store.apply_block(effects, txs)
            applied += 1
            if pause:
                time.sleep(pause)
    return applied


def serve(path: Path, port: int) -> None:
    reader = open_reader(StoreConfig(path))
    app = create_app(ApiContext(reader, ApiSettings(network=Network.REGTEST)))
    uvicorn.Server(uvicorn_config(app, "127.0.0.1", port)).run()


_LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    figures = {f"p{p}": float(v) * _UNIT[u] for p, v, u in _LATENCY.findall(out)}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    figures["rps"] = float(rate.group(1)) if rate else 0.0
    figures["errors"] = float(errors.group(1)) if errors else 0.0
    return figures


def _lua_single(paths: list[str]) -> str:
    listed = ",".join(json.dumps(p) for p in paths)
    pick = "request = function()\n  return wrk.format('GET', p[math.random(#p)])\nend\n"
    return f"local p = {{{listed}}}\n{pick}"


def _lua_batch(body: str) -> str:
    return (
        "wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n"
        f"wrk.body = {json.dumps(body)}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--blocks", type=int, default=100, help="blocks in the store at start")
    parser.add_argument(
        "--extra-blocks", type=int, default=5_000, help="most blocks written during the run"
    )
    parser.add_argument(
        "--write-pause", type=float, default=0.05, help="writer's pause per block (s)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=18_432)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.port)
        return
    if args.write is not None:
        print(
            apply_chain(
                args.write, args.blocks + 1, args.blocks + args.extra_blocks, args.write_pause
            )
        )
        return
    if shutil.which("wrk") is None:
        sys.exit("bench.api needs wrk as the load generator: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="rootstate-bench-") as tmp:
        _bench(Path(tmp), args)


def _bench(tmp: Path, args: argparse.Namespace) -> None:
    path = tmp / "store"
    started = time.perf_counter()
    apply_chain(path, 1, args.blocks, 0.0)
    outpoints = [op for height, _, created in chain(args.blocks) for op in created]
    print(
        f"store: {args.blocks:,} blocks, {len(outpoints):,} token-carrying outpoints, "
        f"built in {time.perf_counter() - started:.1f} s"
    )
    me = [sys.executable, "-m", "bench.api", "--blocks", str(args.blocks), "--port", str(args.port)]
    api = subprocess.Popen([*me, "--serve", str(path)])
    writer = None
    try:
        _wait_for(f"http://127.0.0.1:{args.port}/healthz")
        writer = subprocess.Popen(
            [
                *me,
                "--write",
                str(path),
                "--extra-blocks",
                str(args.extra_blocks),
                "--write-pause",
                str(args.write_pause),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        rng = random.Random(7)
        single = tmp / "single.lua"
        single.write_text(
            _lua_single([f"/v1/outpoints/{op}" for op in rng.sample(outpoints, 2_000)])
        )
        runs = [("single GET /v1/outpoints/{outpoint}", "/", single, 1)]
        for size in (100, 1_000):
            script = tmp / f"batch{size}.lua"
            script.write_text(_lua_batch(json.dumps({"outpoints": rng.sample(outpoints, size)})))
            runs.append((f"batch POST /v1/outpoints x{size:,}", "/v1/outpoints", script, size))
        base = f"http://127.0.0.1:{args.port}"
        for name, route, script, size in runs:
            figures = run_wrk(base + route, script, args.seconds, args.connections)
            print(
                f"{name}: {figures['rps']:,.0f} requests/s ({figures['rps'] * size:,.0f} "
                f"outpoints/s), latency p50 {figures.get('p50', 0):.2f} ms, p90 "
                f"{figures.get('p90', 0):.2f} ms, p99 {figures.get('p99', 0):.2f} ms, "
                f"non-2xx {figures['errors']:,.0f}"
            )
    finally:
        if writer is not None:
            writer.terminate()
            writer.communicate(timeout=30)
        api.terminate()
        api.wait(timeout=30)
    with open_store(StoreConfig(path), IDENTITY) as store:
        tip = store.tip()
    grown = (0 if tip is None else tip.height) - args.blocks
    print(f"writer applied {grown:,} blocks ({grown * RECIPIENTS:,} new outpoints) meanwhile")


def _wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the API did not answer {url}")


if __name__ == "__main__":
    main()
