"""kill -9 during catch-up, shared by the token and contract crash tests: SIGKILL the
``rootstate index`` command at random moments (start-up, right after a commit, a few blocks
later), check after every kill that the store's tip is a block boundary of the reference
chain with the reference state hash, then let it finish and compare everything."""

from __future__ import annotations

import os
import random
import time
from functools import partial
from pathlib import Path

from regtest.node import NodeInfo
from tests.regtest.e2e import (
    IndexSnapshot,
    RootstateProcess,
    run_to_height,
    store_tip,
    wait_until,
)


def _above(data_dir: Path, height: int) -> bool:
    tip = store_tip(data_dir)
    return tip is not None and tip.height > height


def e2e_seed() -> int:
    """ROOTSTATE_E2E_SEED replays a run; otherwise a new seed, printed with every failure."""
    return int(os.environ.get("ROOTSTATE_E2E_SEED") or random.SystemRandom().randrange(2**32))


def kill_during_catch_up(
    info: NodeInfo, reference: IndexSnapshot, data_dir: Path, kills: int
) -> None:
    seed = e2e_seed()
    print(f"kill -9 schedule: ROOTSTATE_E2E_SEED={seed}")
    rng = random.Random(seed)
    process = RootstateProcess(info, data_dir, flags=(f"--batch-blocks={rng.choice([1, 3])}",))
    previous = 0
    moments = []
    for kill in range(1, kills + 1):
        process.start()
        started = time.monotonic()
        # A quarter of the kills land anywhere in start-up (opening or creating the store,
        # loading live outpoints); the rest right after a commit, or a few blocks later.
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0.0, 0.4))
        else:
            wait_until(
                partial(_above, data_dir, previous),
                timeout=30,
                what=f"progress past height {previous:,} (kill {kill}, seed {seed})",
                interval=0.005,
            )
            time.sleep(rng.uniform(0.0, 0.05))
        process.kill()
        moments.append(round(time.monotonic() - started, 3))
        tip = store_tip(data_dir)
        where = f"after kill {kill} (seed {seed}, moments {moments})"
        if tip is None:
            assert previous == 0, f"the store lost its blocks {where}"
            continue
        assert tip.height < reference.tip.height, f"catch-up finished before kill {kill}"
        assert tip.height >= previous, f"the store went back from {previous:,} {where}"
        assert tip.state_hash == reference.state_hashes[tip.height - 1], f"wrong state {where}"
        previous = tip.height
    assert previous > 0, f"no kill came after a commit (seed {seed})"
    final = run_to_height(process, reference.tip.height)
    assert final == reference, f"seed {seed}, kill moments {moments}"
