"""``python -m indexer.scan FILE [--repeat N]``: scan one raw block file and print one JSON object.

Fields: ``hash`` (display hex), ``tx_count``, ``merkle_ok``, ``witness_commitment_ok`` (null
when the coinbase holds no witness commitment), ``payloads`` (each carrier found by
``protocol.carrier`` in the scanner's candidates: ``txid``, ``carriage``, ``length`` and
``malformed``, the rejection label or null) and ``seconds_per_pass``: the median over N passes
of the hot path alone, :func:`indexer.scan.scan_block` with an empty live set, as the indexer
runs it per block during sync. The checks and the carrier parse run once, outside the timing.

A file that is missing, unreadable or not one serialized block gives a one-line message on
stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from indexer.block_check import check_block
from indexer.scan import BlockParseError, Relevance, ScannedBlock, scan_block
from protocol.carrier import find_carriers
from protocol.tx import TransactionParseError, parse_transaction


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m indexer.scan",
        description="Scan one raw block (binary, as bitcoind's getblock verbosity 0 decoded).",
    )
    parser.add_argument("file", type=Path, help="raw block file")
    parser.add_argument(
        "--repeat", type=_positive, default=1, metavar="N", help="timed passes (default 1)"
    )
    return parser.parse_args(argv)


def time_scan(block: bytes, repeat: int) -> float:
    """Median seconds of ``repeat`` hot-path scans of ``block`` with an empty live set."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        scan_block(block)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def payloads(scanned: ScannedBlock) -> list[dict[str, Any]]:
    """Every carrier of the candidate transactions, in block order."""
    found: list[dict[str, Any]] = []
    for tx in scanned.relevant:
        if not tx.relevance & Relevance.CARRIER_CANDIDATE:
            continue
        for carrier in find_carriers(parse_transaction(tx.raw)).carriers:
            found.append(
                {
                    "txid": tx.txid_hex,
                    "carriage": carrier.kind.value,
                    "length": len(carrier.payload),
                    "malformed": carrier.malformed.label if carrier.malformed else None,
                }
            )
    return found


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        block = args.file.read_bytes()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        check = check_block(block)
        scanned = scan_block(block)
        found = payloads(scanned)
    except (BlockParseError, TransactionParseError) as exc:
        print(f"{args.file}: not a raw block: {exc}", file=sys.stderr)
        return 1
    report = {
        "hash": scanned.header.hash_hex,
        "tx_count": scanned.tx_count,
        "merkle_ok": check.merkle_ok,
        "witness_commitment_ok": check.witness_commitment_ok,
        "payloads": found,
        "seconds_per_pass": time_scan(block, args.repeat),
    }
    print(json.dumps(report))
    return 0
