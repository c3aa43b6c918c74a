"""Every listed rule reversal, v1 first (the order the report prints them in)."""

from __future__ import annotations

from tests.mutants import (
    reversals_fuel,
    reversals_host,
    reversals_module,
    reversals_root,
    reversals_v1,
    reversals_v2,
)
from tests.mutants.runner import Reversal

ALL: tuple[Reversal, ...] = (
    reversals_v1.REVERSALS
    + reversals_v2.REVERSALS
    + reversals_module.REVERSALS
    + reversals_fuel.REVERSALS
    + reversals_host.REVERSALS
    + reversals_root.REVERSALS
)
