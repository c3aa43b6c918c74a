"""``python -m bench.adversarial --quick`` runs and prints its table (issue 17 item 1).

The smoke test of CI: a few classes on small parts of blocks, through the real store and
engine. It checks the table's shape and the targets that do not depend on the machine's
speed (new state per block, peak RSS growth); CPU targets belong to the benchmark run on
the reference machine, never to a timed test.
"""

from __future__ import annotations

import subprocess
import sys

from bench.adversarial.__main__ import MAX_RSS_MB, MAX_STATE_BYTES

GROUPS = ("reference", "new state", "zero-fuel/trap")


def test_quick_run_prints_a_row_per_class_within_the_state_and_memory_targets() -> None:
    command = [sys.executable, "-m", "bench.adversarial", "--quick"]
    for group in GROUPS:
        command += ["--group", group]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
    lines = done.stdout.strip().splitlines()
    header, rows = lines[-len(GROUPS) - 1], lines[-len(GROUPS) :]
    assert header.split()[:2] == ["class", "worst"]
    assert [row[:14].strip() for row in rows] == list(GROUPS)
    for row in rows:
        figures, verdict = row.rsplit("  ", 1)
        # ... CPU s, state B, LMDB B, +RSS MB, vB, fee sat, part; then the verdict
        fields = figures.split()
        assert verdict == "ok" or verdict.startswith("OVER "), row
        state = int(fields[-6].replace(",", ""))
        rss = float(fields[-4])
        vbytes = int(fields[-3].replace(",", ""))
        assert 0 <= state <= MAX_STATE_BYTES, row
        assert rss <= MAX_RSS_MB, row
        assert vbytes == 1_000_000 or vbytes > 900_000, row  # scaled to a full block
