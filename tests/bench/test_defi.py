"""bench.defi runs every operation it measures, each accepted (its blocks are checked for
rejections), with a fuel figure from the call events."""

from __future__ import annotations

from bench.defi import run


def test_every_operation_runs_and_reports_fuel() -> None:
    results = run(ops_per_block=2, blocks=1)
    names = [name for name, *_ in results]
    assert names == [
        "amm swap",
        "router 2 hops",
        "oracle round (3 sigs)",
        "lending supply",
        "lending borrow",
        "lending repay",
        "stable mint",
        "stable repay",
    ]
    fuel = {name: f for name, _, _, f in results}
    # A route makes two nested swaps: more fuel than one swap; three BIP340 checks cost more
    # than a swap; a borrow reads the price with a view of the AMM, a supply does not.
    assert fuel["router 2 hops"] > 2 * fuel["amm swap"] > 0
    assert fuel["oracle round (3 sigs)"] > fuel["amm swap"]
    assert fuel["lending borrow"] > fuel["lending supply"]
    for _, timer, count, _ in results:
        assert count == 2 and timer.cpu > 0
