"""The host-function prices still measure what the functions cost (CONTRACTS.md §22).

Each host function's CPU nanoseconds per fuel, with its worst arguments, is measured against
an instruction loop in the same process (``bench.adversarial.calibrate``, through the real
machine, engine and LMDB store), so the machine's speed cancels out; the median of five
rounds (each ratio taken beside its own reference measurement) damps a loaded machine. At
calibration (the reference machine, Winch) every function
cost 2.4-4.7 times the loop's ns per fuel; a function whose ratio is now more than 3x away
from that level is priced wrongly (a price edited without re-measuring, or a host function
that became slower or faster) and the test fails. Before the re-pricing of issue 17 the
ratios were 100-3,800 (a host call cost 5-18 µs for 10-200 fuel), so this test would fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.adversarial.calibrate import PROBES, Calibration, ratios
from bench.adversarial.world import World

#: The ratio of a host function's ns per fuel to the instruction loop's, at calibration.
CALIBRATED_RATIO = 3.5
DRIFT = 3.0
#: Each long probe call's fuel: enough for hundreds of host calls per measurement.
FUEL = 5_000_000


@pytest.fixture(scope="module")
def measured() -> Iterator[dict[str, float]]:
    with World() as world:
        yield ratios(Calibration(world), rounds=5, fuel=FUEL)


@pytest.mark.parametrize("name", [p.name for p in PROBES[1:]])
def test_host_function_cost_per_fuel_matches_the_schedule(
    measured: dict[str, float], name: str
) -> None:
    ratio = measured[name]
    assert CALIBRATED_RATIO / DRIFT <= ratio <= CALIBRATED_RATIO * DRIFT, (
        f"{name}: {ratio:.2f}x the instruction loop's ns per fuel, calibrated at "
        f"{CALIBRATED_RATIO}x: re-measure with python -m bench.adversarial.calibrate"
    )
