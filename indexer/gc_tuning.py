"""The cyclic garbage collector's settings for a catch-up.

A catch-up allocates a few hundred thousand container objects per batch (each applied
transaction's inputs, outputs and state writes, kept until the batch commits), so at
CPython's default thresholds (700, 10, 10) the collector ran about 4 times per block, and
every full collection also walked the hundred thousand or so objects the imports made.
Measured on 600 blocks of 1 MB from Core (152 applied transactions per block at the end):
3.3-3.6 s of the follow loop's 10 s of CPU went to the collector. Frozen start-up objects
and these thresholds: 0.25-0.57 s of 7.5 s (37 collections instead of 2,358).

Reference cycles are still collected, only less often: a young generation holds up to
:data:`CATCH_UP_THRESHOLDS`'s first figure of objects (a few MB) before a collection.
"""

from __future__ import annotations

import gc

#: Young generation, then how many of its collections before the middle one, and of those
#: before a full one.
CATCH_UP_THRESHOLDS = (50_000, 50, 100)


def tune_for_catch_up() -> None:
    """Freeze what exists now (modules, the opened store) out of every later collection and
    raise the thresholds; for the rest of the process."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*CATCH_UP_THRESHOLDS)
