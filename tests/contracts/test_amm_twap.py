"""The AMM's time-weighted price accumulator (contracts/examples/amm.ts, op 5 observe).

Expected sums come from an independent model written here from contracts/README.md: the
first add, swap or remove of a block first adds floor(R_b * 2^64 / R_a) (and the inverse)
times the blocks since the pool last changed, mod 2^128; op 5 reports the sums brought up
to the current block without writing them.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from tests.contracts.defi import MOD128, Q64, q64, view
from tests.contracts.sdk import slot
from tests.contracts.test_amm import Pool

OBSERVE = bytes([5])


def observe(pool: Pool) -> tuple[int, int, int, int, int]:
    raw = view(pool.chain, pool.amm, OBSERVE)
    assert len(raw) == 72
    u = [int.from_bytes(raw[i : i + 16], "little") for i in (0, 16)]
    h = int.from_bytes(raw[32:40], "little")
    ra, rb = (int.from_bytes(raw[i : i + 16], "little") for i in (40, 56))
    return u[0], u[1], h, ra, rb


def idle(pool: Pool, blocks: int) -> None:
    for _ in range(blocks):
        pool.chain.block()


def test_hand_computed_accumulator(engine: WasmtimeEngine) -> None:
    pool = Pool(engine)
    h0 = pool.chain.next_height
    assert pool.add(1_000_000, 4_000_000) is None
    # The next block sees one block at 4,000,000 / 1,000,000 = 4 (4 * 2^64 in Q64.64).
    assert observe(pool)[:3] == (4 * Q64, Q64 // 4, h0 + 1)
    idle(pool, 4)
    # 5 blocks at 4 and at 1/4 (2^62).
    assert observe(pool) == (5 * 4 * Q64, 5 * (Q64 // 4), h0 + 5, 1_000_000, 4_000_000)
    h1 = pool.chain.next_height
    assert h1 == h0 + 5
    assert pool.swap(True, 10_000) is None  # reserves become 1,010,000 / 3,960,514
    idle(pool, 2)
    # The swap's block accumulated 5 blocks at the old price; 3 blocks since at the new one:
    # floor(3,960,514 * 2^64 / 1,010,000) and floor(1,010,000 * 2^64 / 3,960,514).
    new_a = (3_960_514 << 64) // 1_010_000
    new_b = (1_010_000 << 64) // 3_960_514
    assert observe(pool) == (
        20 * Q64 + 3 * new_a,
        5 * (Q64 // 4) + 3 * new_b,
        h1 + 3,
        1_010_000,
        3_960_514,
    )
    # Stored: slot 3 holds the sums as of h1 (written by the swap, the block's first change).
    raw = pool.chain.storage(pool.amm, slot(3))
    assert raw is not None and len(raw) == 40
    assert int.from_bytes(raw[:16], "little") == 20 * Q64
    assert int.from_bytes(raw[32:], "little") == h1


def test_a_one_block_spike_moves_the_average_little(cranelift: WasmtimeEngine) -> None:
    """A swap that lifts the spot price twelvefold, undone the next block, shifts a 20-block
    TWAP by one block's worth of the spike: the average over the window stays near 4."""
    pool = Pool(cranelift, fee_bps=0)
    assert pool.add(1_000_000, 4_000_000) is None
    start = observe(pool)
    idle(pool, 9)
    assert pool.swap(False, 3_000_000) is None  # B in: price of A in B jumps
    ra, rb = pool.state()[:2]
    spot = q64(rb, ra)
    assert spot > 10 * Q64
    assert pool.swap(True, 1_000_000 - ra) is None  # back the next block
    idle(pool, 9)
    end = observe(pool)
    blocks = end[2] - start[2]
    twap = ((end[0] - start[0]) % MOD128) // blocks
    assert blocks == 20
    # 19 blocks near 4 and one at the spike: (19 * 4 + spot/2^64) / 20, far below the spike.
    assert twap < spot // 2
    assert abs(twap - (19 * 4 * Q64 + spot) // 20) < Q64 // 10


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(1_000, 500_000), st.integers(0, 6)),
        min_size=1,
        max_size=6,
    )
)
def test_accumulator_matches_a_model(
    cranelift: WasmtimeEngine, steps: list[tuple[bool, int, int]]
) -> None:
    pool = Pool(cranelift)
    assert pool.add(1_000_000, 4_000_000) is None
    cum_a, cum_b, last = 0, 0, pool.chain.next_height - 1
    for a_to_b, amount, gap in steps:
        idle(pool, gap)
        ra, rb = pool.state()[:2]
        h = pool.chain.next_height
        if pool.swap(a_to_b, amount) is None and h > last:
            cum_a = (cum_a + q64(rb, ra) * (h - last)) % MOD128
            cum_b = (cum_b + q64(ra, rb) * (h - last)) % MOD128
            last = h
    ra, rb = pool.state()[:2]
    h = pool.chain.next_height
    want_a = (cum_a + q64(rb, ra) * (h - last)) % MOD128
    want_b = (cum_b + q64(ra, rb) * (h - last)) % MOD128
    assert observe(pool) == (want_a, want_b, h, ra, rb)
