"""Processes the store tests start and watch: run with ``python -m tests.indexer.store_child``.

``crash``  applies the chain from the store's tip in batches, printing ``applied H`` inside a
           batch and ``committed H`` after each commit, pausing after every block so that
           the parent's SIGKILL lands inside an open write transaction.
``fill``   applies fat blocks until the file system refuses a write, then prints JSON.
``read``   opens the store read-only and checks, snapshot by snapshot, that the state is
           exactly the reference state at the snapshot's tip; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import signal
import time
from pathlib import Path

from indexer.store import open_store
from indexer.store_errors import StoreWriteError
from indexer.store_reader import open_reader
from tests.indexer.store_chain import (
    FIRST_HEIGHT,
    IDENTITY,
    make_chain,
    reference_state,
    small_config,
    state_digest,
)


def crash(args: argparse.Namespace) -> None:
    chain = make_chain(args.count, seed=args.seed)
    with open_store(small_config(args.path, initial_map_size=64 * 1024), IDENTITY) as store:
        tip = store.tip()
        start = 0 if tip is None else tip.height - FIRST_HEIGHT + 1
        for first in range(start, len(chain), args.batch):
            with store.batch() as batch:
                for effects in chain[first : first + args.batch]:
                    batch.apply(effects)
                    print(f"applied {effects.height}", flush=True)
                    time.sleep(args.pause)
            print(f"committed {chain[min(first + args.batch, len(chain)) - 1].height}", flush=True)
    print("done", flush=True)


def fill(args: argparse.Namespace) -> None:
    if args.fsize_limit:
        # Past the limit, write() fails with EFBIG instead of the process being killed.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize_limit, args.fsize_limit))
    chain = make_chain(args.count, seed=args.seed, event_size=4096)
    config = small_config(args.path, initial_map_size=64 * 1024)
    result: dict[str, object] = {}
    with open_store(config, IDENTITY) as store:
        try:
            for first in range(0, len(chain), args.batch):
                store.apply_blocks(chain[first : first + args.batch])
        except StoreWriteError as exc:
            result["error"] = str(exc)
        tip = store.tip()
        result["tip"] = None if tip is None else tip.height
        retry = 0 if tip is None else tip.height - FIRST_HEIGHT + 1
        try:
            store.apply_blocks(chain[retry : retry + args.batch])
        except StoreWriteError as exc:
            result["again"] = str(exc)
        tip = store.tip()
        result["tip_after_retry"] = None if tip is None else tip.height
    if args.copy_to:
        shutil.copy(args.path / "data.mdb", args.copy_to / "data.mdb")
    print(json.dumps(result), flush=True)


def read(args: argparse.Namespace) -> None:
    chain = make_chain(args.count, seed=args.seed)
    digests = {
        effects.height: state_digest(list(reference_state(chain[: n + 1]).items()))
        for n, effects in enumerate(chain)
    }
    adopted = AdoptionCounter()
    logging.getLogger("indexer.store_reader").addHandler(adopted)
    logging.getLogger("indexer.store_reader").setLevel(logging.INFO)
    seen: set[int] = set()
    mismatches: list[int] = []
    checks = 0
    deadline = time.monotonic() + args.seconds
    with open_reader(small_config(args.path, initial_map_size=64 * 1024), IDENTITY) as reader:
        print("ready", flush=True)
        while time.monotonic() < deadline:
            with reader.read() as view:
                tip = view.tip()
                items = list(view.state_items())
            if tip is None:
                continue
            checks += 1
            seen.add(tip.height)
            if digests[tip.height] != state_digest(items):
                mismatches.append(tip.height)
            if tip.height == chain[-1].height:
                break
    result = {"checks": checks, "tips": sorted(seen), "mismatches": mismatches}
    print(json.dumps({**result, "adopted": adopted.count}))


class AdoptionCounter(logging.Handler):
    """Counts how often the reader adopted a map the writer grew."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.getMessage().startswith("adopted the map")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("crash", "fill", "read"):
        command = sub.add_parser(name)
        command.add_argument("path", type=Path)
        command.add_argument("--seed", type=int, default=1)
        command.add_argument("--count", type=int, default=40)
        command.add_argument("--batch", type=int, default=5)
        command.add_argument("--pause", type=float, default=0.0)
        command.add_argument("--seconds", type=float, default=30.0)
        command.add_argument("--fsize-limit", type=int, default=0)
        command.add_argument("--copy-to", type=Path)
    args = parser.parse_args()
    {"crash": crash, "fill": fill, "read": read}[args.command](args)


if __name__ == "__main__":
    main()
