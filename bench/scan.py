"""Benchmark of the raw block scanner against python-bitcoinlib's full deserialization.

Run from the repository root::

    .venv/bin/python -m bench.scan [--repeat N] [BLOCK_FILE ...]

Without files it reads both shared mainnet blocks (``../shared/data/blocks``). For each block
it prints the median seconds per pass and MB/s of :func:`indexer.scan.scan_block` with an
empty live set (the hot path during sync, as ``python -m indexer.scan`` times it), the median
seconds per pass of ``CBlock.deserialize`` and the ratio; then the same scan with 100,000
live outpoints, where every input costs a set lookup in a table too large for the CPU cache.
Targets (empty live set): at least 20x faster than ``CBlock.deserialize`` on every block, and
at least 50 MB/s on block 702,861. The machine is shared, so figures are medians and vary by
run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bitcoin.core import CBlock

from indexer.scan import scan_block

SHARED_BLOCKS = Path(__file__).resolve().parents[2] / "shared" / "data" / "blocks"
DEFAULT_BLOCKS = ("mainnet-413567.raw", "mainnet-702861.raw")
LIVE_OUTPOINTS = 100_000
TARGET_RATIO = 20.0


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``run``, after one untimed warm-up call."""
    run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bench_block(path: Path, repeat: int, live: frozenset[bytes]) -> str:
    """One line of figures for the block in ``path``."""
    block = path.read_bytes()
    megabytes = len(block) / 1e6
    scan_empty = median_seconds(lambda: scan_block(block), repeat)
    scan_live = median_seconds(lambda: scan_block(block, live), repeat)
    deserialize = median_seconds(lambda: CBlock.deserialize(block), max(3, repeat // 4))
    ratio = deserialize / scan_empty
    verdict = "ok" if ratio >= TARGET_RATIO else f"BELOW {TARGET_RATIO:.0f}x"
    return (
        f"{path.name}: {len(block):,} bytes | "
        f"scan {scan_empty * 1e3:.2f} ms/pass {megabytes / scan_empty:,.0f} MB/s | "
        f"CBlock.deserialize {deserialize * 1e3:.1f} ms/pass | "
        f"scan {ratio:,.1f}x faster ({verdict}) | "
        f"with {len(live):,} live outpoints: {scan_live * 1e3:.2f} ms/pass "
        f"{megabytes / scan_live:,.0f} MB/s, {deserialize / scan_live:,.1f}x faster"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scan", description=__doc__)
    parser.add_argument("files", type=Path, nargs="*", help="raw block files")
    parser.add_argument("--repeat", type=int, default=40, metavar="N", help="passes per figure")
    args = parser.parse_args(argv)
    files = args.files or [SHARED_BLOCKS / name for name in DEFAULT_BLOCKS]
    # Random outpoints never match; they make every input cost a real set lookup.
    live = frozenset(os.urandom(36) for _ in range(LIVE_OUTPOINTS))
    for path in files:
        print(bench_block(path, max(1, args.repeat), live), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
