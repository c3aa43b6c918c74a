"""The worst block per resource class: ``python -m bench.adversarial [--quick] [--group G]``.

Each class of resource runs in its own child process (so its peak RSS is its own): a fresh
LMDB store and v2 machine (:mod:`bench.adversarial.world`), the class's shapes set up, each
probed on a small part of a block, and the worst applied and committed on ``--fraction`` of
a block (1 = a full block; figures of a part are scaled to a full block, RSS is not). One
table row per class: CPU seconds, new state bytes (state, tree, indexes), LMDB growth,
peak RSS growth, block space and the fee at 2 sat/vB the attacker paid. The reference row is
an ordinary full block (:mod:`bench.adversarial.reference`). ``--quick`` runs small parts
of blocks (a CI smoke test). Figures are CPU time of this machine, whatever else it runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict
from typing import Any

from bench.adversarial.search import Result, search
from bench.adversarial.shapes import ALL_GROUPS
from bench.adversarial.world import World

#: issue 17 item 2.
MAX_CPU_S = 1.0
MAX_STATE_BYTES = 1_000_000
MAX_RSS_MB = 256.0


def child(group: str, probe: float, fraction: float) -> dict[str, Any]:
    if group == "reference":
        from bench.adversarial.reference import reference  # noqa: PLC0415

        with World() as world:
            result = reference(world, fraction)
        return {"result": _row(result), "probes": []}
    with World() as world:
        worst, probes = search(world, ALL_GROUPS[group](), probe, fraction)
    return {"result": _row(worst), "probes": [_row(p) for p in probes]}


def _row(result: Result) -> dict[str, Any]:
    scaled = result.scaled()
    return {
        "group": result.group,
        "shape": result.shape,
        "fraction": result.fraction,
        **asdict(scaled),
        "fee_sat": scaled.fee_sat,
    }


def run_group(group: str, probe: float, fraction: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.adversarial", "--child", group]
    command += ["--probe", str(probe), "--fraction", str(fraction)]
    done = subprocess.run(command, check=False, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:  # one class's failure should not hide the others' figures
        return {"result": None, "probes": [], "failed": group}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def verdict(row: dict[str, Any], reference_cpu: float) -> str:
    cpu, state, rss = float(row["cpu_s"]), int(row["state_bytes"]), float(row["rss_mb"])
    over = []
    if cpu > MAX_CPU_S or (reference_cpu > 0 and cpu > 10 * reference_cpu):
        over.append("cpu")
    if state > MAX_STATE_BYTES:
        over.append("state")
    if rss > MAX_RSS_MB:
        over.append("rss")
    return "ok" if not over else "OVER " + ",".join(over)


def table(rows: list[dict[str, Any]]) -> str:
    reference_cpu = next((float(r["cpu_s"]) for r in rows if r["group"] == "reference"), 0.0)
    lines = [
        f"{'class':<14} {'worst shape':<34} {'CPU s':>7} {'state B':>11} {'LMDB B':>11} "
        f"{'+RSS MB':>8} {'vB':>9} {'fee sat':>10} {'part':>6}  verdict"
    ]
    for r in rows:
        lines.append(
            f"{r['group']!s:<14} {r['shape']!s:<34} {float(r['cpu_s']):7.2f} "
            f"{int(r['state_bytes']):11,} {int(r['lmdb_bytes']):11,} "
            f"{float(r['rss_mb']):8.1f} {int(r['vbytes']):9,} {int(r['fee_sat']):10,} "
            f"{float(r['fraction']):6.3f}  {verdict(r, reference_cpu)}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small parts of blocks (CI)")
    parser.add_argument("--group", action="append", help="only these classes")
    parser.add_argument("--probe", type=float, default=0.01, help="block part per probe")
    parser.add_argument("--fraction", type=float, default=1.0, help="block part of the worst")
    parser.add_argument("--probes", action="store_true", help="print every probe")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.probe, args.fraction)))
        return
    probe, fraction = (0.001, 0.003) if args.quick else (args.probe, args.fraction)
    groups = args.group or ["reference", *ALL_GROUPS]
    rows = []
    for group in groups:
        figures = run_group(group, probe, fraction)
        if figures["result"] is None:
            print(f"{group}: FAILED (run python -m bench.adversarial --child '{group}')")
            continue
        rows.append(figures["result"])
        if args.probes:
            for p in figures["probes"]:
                print(
                    f"  probe {p['group']}/{p['shape']}: {p['cpu_s']:.2f} s, "
                    f"{p['state_bytes']:,} B per block, {p['txs']:,} txs "
                    f"({p['rejected']:,} rejected)"
                )
    print(table(rows))


if __name__ == "__main__":
    main()
