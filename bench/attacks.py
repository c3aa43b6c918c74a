"""The hostile-load attacks of issue 11, each run by its own process while wrk measures
``GET /v1/status`` (see :func:`bench.api.attack_suite`).

Every attack loops until killed and prints what it achieved on SIGTERM, so the suite can
say how hard the server was pushed as well as how /v1/status fared:

- ``sse-replay``: 20 streams resuming from the first block, reconnecting every 2 s;
- ``sse-live``: 100 live streams (the suite runs a writer applying about 8 blocks/s);
- ``big-headers``: 4 connections each sending a 64 MiB header, again when cut off;
- ``idle``: 1,100 connections that never send a byte, reopened when closed;
- ``compose``: 4 clients posting maximum-size compose requests (250 inputs, 64 transfers);
- ``malformed``: bad Content-Length, a 200 KB URL, control characters, text/plain bodies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from bench.api import apply_chain, chain, p2tr, run_wrk, wait_for
from regtest.address import script_to_address

HOST = "127.0.0.1"
Counts = Counter[str]


async def _status(reader: asyncio.StreamReader) -> str:
    line = await reader.readline()
    parts = line.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 else "closed"


async def sse_replay(port: int, counts: Counts, cursor: str, streams: int = 20) -> None:
    async def one() -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(f"GET /v1/stream?cursor={cursor} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                counts[await _status(reader)] += 1
                deadline = asyncio.get_running_loop().time() + 2.0
                while asyncio.get_running_loop().time() < deadline:
                    chunk = await asyncio.wait_for(reader.read(65536), 2.0)
                    if not chunk:
                        break
                    counts["bytes"] += len(chunk)
                writer.close()
            except (OSError, TimeoutError):
                counts["errors"] += 1
                await asyncio.sleep(0.1)

    await asyncio.gather(*(one() for _ in range(streams)))


async def sse_live(port: int, counts: Counts, streams: int = 100) -> None:
    async def one() -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n")
                counts[await _status(reader)] += 1
                while chunk := await reader.read(65536):
                    counts["bytes"] += len(chunk)
                    counts["blocks"] += chunk.count(b"event: block\n")
            except OSError:
                counts["errors"] += 1
            await asyncio.sleep(0.1)

    await asyncio.gather(*(one() for _ in range(streams)))


async def big_headers(port: int, counts: Counts, clients: int = 4) -> None:
    filler = b"a" * 65536

    async def one() -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(b"GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: ")
                for _ in range(1024):  # 64 MiB
                    writer.write(filler)
                    await writer.drain()
                    counts["bytes_sent"] += len(filler)
                counts[await _status(reader)] += 1
            except OSError:
                counts["cut_off"] += 1
            await asyncio.sleep(0.01)

    await asyncio.gather(*(one() for _ in range(clients)))


async def idle(port: int, counts: Counts, connections: int = 1_100) -> None:
    async def one() -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                counts["opened"] += 1
                counts[await _status(reader)] += 1  # the server's 408 (or 503), or a close
                writer.close()
            except OSError:
                counts["errors"] += 1
                await asyncio.sleep(0.1)

    await asyncio.gather(*(one() for _ in range(connections)))


def compose_body(blocks: int) -> bytes:
    """250 token-carrying outpoints of the bench chain paying 64 transfers of token 1:1."""
    holders = [
        (op, p2tr(f"holder {height} {n}"))
        for height, _, created in chain(blocks)
        for n, op in enumerate(created)
    ][:250]
    funding = [
        {"outpoint": op, "value": 330, "address": script_to_address(script), "tokens": ["1:1"]}
        for op, script in holders
    ]
    to = script_to_address(b"\x51\x20" + bytes(range(32)))
    transfers = [{"token": "1:1", "amount": 1, "address": to} for _ in range(64)]
    body = {"funding": funding, "transfers": transfers, "fee_rate": 1, "change_address": to}
    return json.dumps(body).encode()


async def compose(port: int, counts: Counts, body: bytes, clients: int = 4) -> None:
    head = (
        "POST /v1/compose/transfer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()

    async def one() -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                while True:
                    writer.write(head + body)
                    status = await _status(reader)
                    counts[status] += 1
                    length = 0
                    while (line := await reader.readline()) not in (b"\r\n", b""):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                counts["errors"] += 1
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one() for _ in range(clients)))


MALFORMED = [
    b"GET /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/st\x01atus HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /v1/outpoints HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
]


async def malformed(port: int, counts: Counts, clients: int = 4) -> None:
    async def one(n: int) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(MALFORMED[n % len(MALFORMED)])
                counts[await _status(reader)] += 1
                writer.close()
            except OSError:
                counts["errors"] += 1
            n += 1

    await asyncio.gather(*(one(n) for n in range(clients)))


ATTACKS = ("sse-replay", "sse-live", "big-headers", "idle", "compose", "malformed")
#: /v1/status is measured by this many wrk connections while an attack runs.
PROBE_CONNECTIONS = 8
#: Blocks per second the writer applies during sse-live (issue 11 saw about 8).
LIVE_BLOCKS_PER_SECOND = 8


def suite(tmp: Path, args: argparse.Namespace) -> None:
    """Build the store, then per attack: start it, let it ramp up, measure /v1/status with
    wrk, stop it and print both; then /v1/status throughput with 1 and 2 workers."""
    path = tmp / "store"
    started = time.perf_counter()
    apply_chain(path, 1, args.blocks, 0.0)
    print(f"store: {args.blocks:,} blocks built in {time.perf_counter() - started:.1f} s")
    first = hashlib.sha256(b"bench block 1").digest()[::-1].hex()
    base = f"http://127.0.0.1:{args.port}"
    me = [sys.executable, "-m", "bench.api", "--blocks", str(args.blocks), "--port", str(args.port)]
    with _process([*me, "--serve", str(path)]):
        wait_for(f"{base}/healthz")
        _report("no attack", run_wrk(f"{base}/v1/status", None, args.seconds, PROBE_CONNECTIONS))
        for name in ATTACKS:
            writer = None
            if name == "sse-live":
                pause = 1 / LIVE_BLOCKS_PER_SECOND
                writer = [*me, "--write", str(path), "--write-pause", f"{pause:.3f}"]
            with (
                _process(writer) as _,
                _process(
                    [
                        sys.executable,
                        "-m",
                        "bench.attacks",
                        name,
                        str(args.port),
                        str(args.blocks),
                        f"1-{first}",
                    ],
                    capture=True,
                ) as attacker,
            ):
                time.sleep(3.0)  # let the attack ramp up
                figures = run_wrk(f"{base}/v1/status", None, args.seconds, PROBE_CONNECTIONS)
                attacker.terminate()
                out, _ = attacker.communicate(timeout=60)
            _report(name, figures, out.strip().splitlines()[-1] if out.strip() else "{}")
    for workers in (1, 2):
        with _process([*me, "--serve", str(path), "--workers", str(workers)]):
            wait_for(f"{base}/healthz")
            figures = run_wrk(f"{base}/v1/status", None, args.seconds, 64, threads=2)
        print(
            f"GET /v1/status throughput, {workers} worker(s): {figures['rps']:,.0f} requests/s "
            f"(p50 {figures.get('p50', 0):.2f} ms, p99 {figures.get('p99', 0):.2f} ms, "
            f"non-2xx {figures['errors']:,.0f})"
        )


def _report(name: str, figures: dict[str, float], attacker: str = "") -> None:
    verdict = "ok" if figures.get("p99", 1e9) < 50 and not figures["errors"] else "OVER GOAL"
    print(
        f"{name:>12}: /v1/status p50 {figures.get('p50', 0):6.2f} ms, p99 "
        f"{figures.get('p99', 0):6.2f} ms, {figures['rps']:,.0f} requests/s, non-2xx "
        f"{figures['errors']:,.0f} [{verdict}]" + (f"; attacker: {attacker}" if attacker else "")
    )


@contextlib.contextmanager
def _process(argv: list[str] | None, capture: bool = False) -> Iterator[subprocess.Popen[str]]:
    if argv is None:
        yield None  # type: ignore[misc]
        return
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE if capture else subprocess.DEVNULL, text=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=60)


def main(name: str, port: int, blocks: int, first_cursor: str) -> None:
    counts: Counts = Counter()
    attacks: dict[str, Callable[[], Awaitable[None]]] = {
        "sse-replay": lambda: sse_replay(port, counts, first_cursor),
        "sse-live": lambda: sse_live(port, counts),
        "big-headers": lambda: big_headers(port, counts),
        "idle": lambda: idle(port, counts),
        "compose": lambda: compose(port, counts, compose_body(blocks)),
        "malformed": lambda: malformed(port, counts),
    }

    async def run() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(attacks[name]())
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    print(json.dumps(dict(counts)), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    # 1,100 connections need more descriptors than the usual soft limit of 1,024.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
