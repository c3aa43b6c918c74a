"""python -m tests.mutants [NAME ...]: apply each listed rule reversal to the reference
machine and report the first vector that fails under it, or that it survives.

Exit status 1 when any reversal survives, or a listed vector does not catch its reversal
(the list's ``caught_by`` is then out of date: the report says which vector did)."""

from __future__ import annotations

import argparse
import sys
import time

from tests.mutants.reversals import ALL
from tests.mutants.runner import StaleReversalError, run


def main() -> None:
    parser = argparse.ArgumentParser(description="Rule reversals against the vector suite.")
    parser.add_argument("names", nargs="*", help="only these reversals (default: all)")
    parser.add_argument(
        "--markdown", action="store_true", help="print the list as a table, without running it"
    )
    args = parser.parse_args()
    if args.markdown:
        print("| section | reversal | the reading it stands for | caught by |\n|---|---|---|---|")
        for r in ALL:
            print(f"| §{r.section} | `{r.name}` | {r.reading} | `{r.caught_by}` |")
        return
    chosen = [r for r in ALL if not args.names or r.name in args.names]
    started = time.monotonic()
    failures = 0
    for reversal in chosen:
        try:
            outcome = run(reversal)
        except StaleReversalError as stale:  # the code moved: the reversal must be rewritten
            failures += 1
            print(f"§{reversal.section:<7} {reversal.name:<40} DOES NOT APPLY  {stale}")
            continue
        if outcome.killed_by is None:
            failures += 1
            verdict = "SURVIVES"
        elif outcome.killed_by != reversal.caught_by:
            failures += 1
            verdict = f"caught by {outcome.killed_by} (listed: {reversal.caught_by})"
        else:
            verdict = f"caught by {outcome.killed_by}"
        print(f"§{reversal.section:<7} {reversal.name:<40} {verdict}  {outcome.difference}")
    elapsed = time.monotonic() - started
    print(f"{len(chosen)} reversals, {failures} not caught as listed, {elapsed:.1f} s")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
