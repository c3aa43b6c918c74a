"""Where a long catch-up's time goes as the chain grows: figures per tenth of the range.

The loop pass of ``bench.sync`` records, at each tenth of its heights, the wall clock, the
transactions the follow loop applied, the CPU of its process and of its fetch process
(``/proc``), their resident sizes, the garbage collector's time and the store's size on disk.
A cost that grows with the chain shows as a tenth slower than the first; the other columns
say which resource grew with it, and whether the work per block grew (the benchmark's tokens
spread through its ordinary traffic, so ever more of each block's transactions move them).
"""

from __future__ import annotations

import gc
import os
import resource
import time
from pathlib import Path
from typing import Any

from indexer.follow import FollowStats
from indexer.progress import Progress

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children() -> list[int]:
    found: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            found += map(int, (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _cpu_and_rss(pid: int) -> tuple[float, float]:
    """(user + system CPU seconds, resident MB) of ``pid``; zeros once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    # After the command: state is field 3, utime 14, stime 15, rss 24 (1-based, man proc).
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    return cpu, int(fields[21]) * _PAGE_KB / 1024


class GcClock:
    """Seconds the cyclic garbage collector has run since this was made (all generations)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections += 1


class TenthsProgress(Progress):
    """A Progress that also samples the figures above at each tenth of ``first..last``."""

    def __init__(self, first: int, last: int, store_path: Path, stats: FollowStats) -> None:
        super().__init__(interval=30)
        self._stats = stats
        self._store_file = store_path / "data.mdb"
        span = last - first + 1
        self._marks = {first - 1 + span * n // 10 for n in range(1, 11)}
        self._gc = GcClock()
        self.tenths: list[dict[str, float]] = []
        self._previous = self._sample(first - 1)

    def _sample(self, height: int) -> dict[str, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        fetcher_cpu = fetcher_rss = 0.0
        for pid in _children():
            cpu, rss = _cpu_and_rss(pid)
            fetcher_cpu += cpu
            fetcher_rss += rss
        try:
            store_mb = self._store_file.stat().st_size / 1e6
        except OSError:
            store_mb = 0.0
        return {
            "height": height,
            "time": time.perf_counter(),
            "cpu": own.ru_utime + own.ru_stime,
            "fetcher_cpu": fetcher_cpu,
            "rss_mb": _cpu_and_rss(os.getpid())[1],
            "fetcher_rss_mb": fetcher_rss,
            "gc": self._gc.seconds,
            "transactions": self._stats.transactions,
            "store_mb": store_mb,
        }

    def block(self, height: int, size: int) -> None:
        super().block(height, size)
        if height in self._marks:
            now = self._sample(height)
            before = self._previous
            blocks = now["height"] - before["height"]
            wall = now["time"] - before["time"]
            self.tenths.append(
                {
                    "last_height": height,
                    "blocks_per_s": blocks / wall,
                    "ms_per_block": wall / blocks * 1000,
                    "txs_per_block": (now["transactions"] - before["transactions"]) / blocks,
                    "cpu_ms_per_block": (now["cpu"] - before["cpu"]) / blocks * 1000,
                    "fetcher_cpu_ms_per_block": (now["fetcher_cpu"] - before["fetcher_cpu"])
                    / blocks
                    * 1000,
                    "gc_ms_per_block": (now["gc"] - before["gc"]) / blocks * 1000,
                    "rss_mb": now["rss_mb"],
                    "fetcher_rss_mb": now["fetcher_rss_mb"],
                    "store_mb": now["store_mb"],
                }
            )
            self._previous = now


def tenths_table(tenths: list[dict[str, float]]) -> str:
    """The per-tenth figures as an aligned text table."""
    head = (
        f"{'to height':>10} {'blocks/s':>9} {'ms/block':>9} {'applied tx':>10} {'CPU ms':>7} "
        f"{'fetch CPU':>9} "
        f"{'GC ms':>6} {'RSS MB':>7} {'fetch RSS':>9} {'store MB':>9}"
    )
    rows = [
        f"{t['last_height']:>10,.0f} {t['blocks_per_s']:>9.1f} {t['ms_per_block']:>9.2f} "
        f"{t['txs_per_block']:>10.1f} {t['cpu_ms_per_block']:>7.2f} "
        f"{t['fetcher_cpu_ms_per_block']:>9.2f} "
        f"{t['gc_ms_per_block']:>6.2f} {t['rss_mb']:>7.0f} {t['fetcher_rss_mb']:>9.0f} "
        f"{t['store_mb']:>9.1f}"
        for t in tenths
    ]
    return "\n".join([head, *rows])
