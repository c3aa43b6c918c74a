"""The stablecoin (contracts/examples/stable.ts) priced by the quorum oracle, through the
v2 machine. Expected values are worked out here from contracts/README.md's rules: the
fee index grows by ceil(index * fee * blocks / 10^18); a vault's debt is
ceil(norm * index / 10^18); it is safe when floor(coll * price / 2^64) * 10^4 >=
debt * min_ratio; liquidation seizes floor(floor(repaid * (10^4 + bonus) / 10^4) * 2^64 /
price); redemption pays floor(amount * 2^64 / price).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from regtest.contract_inputs import u16, u32, u64, u128
from tests.contracts.defi import Q64, Wallet, view
from tests.contracts.sdk import asset, code, issued
from tests.contracts.test_oracle import Feed
from tests.protocol.builders import spend
from tests.protocol.contracts.harness import cid

WAD = 10**18
RATIO, BONUS, FEE, CEILING, MAX_AGE = 15_000, 1_000, 10**15, 10_000, 10
OPEN, DEPOSIT, WITHDRAW, MINT, REPAY, LIQUIDATE, REDEEM, VAULT, STATE = range(1, 10)
E_RATIO, E_SAFE, E_CEILING, E_NOT_OWNER = 104, 105, 106, 109


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class Cdp:
    def __init__(self, engine: WasmtimeEngine) -> None:
        self.feed = Feed(engine)
        self.chain = self.feed.chain
        self.seq = 0
        init = (
            asset(self.feed.base)
            + cid(self.feed.oracle)
            + u64(MAX_AGE)
            + u16(RATIO)
            + u16(BONUS)
            + u64(FEE)
            + u128(CEILING)
        )
        self.stable = self.chain.deploy(code("stable"), init)
        self.stable_id = asset((*self.stable, 1))
        self.wallet = Wallet(self.chain, [spend(self.feed.base_tx, 1)])

    def set_price(self, price: int) -> None:
        self.seq += 1
        h = self.chain.next_height
        assert (
            self.feed.submit(*(self.feed.attest(i, price, h, self.seq) for i in (0, 1, 2))) is None
        )
        self.price = price

    def call(self, data: bytes, *assets: tuple[list[int], int]) -> int | None:
        return self.wallet.call(self.stable, data, *assets)

    def collateral(self) -> list[int]:
        return list(self.feed.base)

    def stable_ref(self) -> list[int]:
        return [*self.stable, 1]

    def vault(self, vid: int) -> tuple[int, int]:
        raw = view(self.chain, self.stable, bytes([VAULT]) + u32(vid))
        return int.from_bytes(raw[:16], "little"), int.from_bytes(raw[16:], "little")

    def state(self) -> tuple[int, int]:
        raw = view(self.chain, self.stable, bytes([STATE]))
        return int.from_bytes(raw[:16], "little"), int.from_bytes(raw[16:32], "little")

    def stable_held(self) -> int:
        return self.wallet.held(self.stable_id)

    def c_held(self) -> int:
        return self.wallet.held(cid(self.feed.base))

    def circulating(self) -> int:
        minted, burned = issued(self.chain, self.stable_id)
        return minted - burned


def test_hand_computed_lifecycle(engine: WasmtimeEngine) -> None:
    cdp = Cdp(engine)
    cdp.set_price(2 * Q64)
    c = cdp.collateral()
    # 1,000 C at 2 is worth 2,000: 1,334 * 1.5 = 2,001 > 2,000; 1,333 * 1.5 = 1,999.5.
    assert cdp.call(bytes([OPEN]) + u128(1_334) + u32(0), (c, 1_000)) == E_RATIO
    assert cdp.call(bytes([OPEN]) + u128(1_333) + u32(0), (c, 1_000)) is None
    assert cdp.stable_held() == 1_333
    # A block later the index is 1.001: vault 1 owes ceil(1,333 * 1.001) = 1,335 (1,334.33).
    assert cdp.vault(1) == (1_000, 1_335)
    # The ceiling of 10,000: vault 2 minting 9,000 would add ceil(9,000 / 1.001) = 8,992
    # normalised, a total of ceil(10,325 * 1.001) = 10,336 > 10,000; 8,000 fits
    # (ceil(9,325 * 1.001) = 9,335).
    assert cdp.call(bytes([OPEN]) + u128(9_000) + u32(0), (c, 100_000)) == E_CEILING
    assert cdp.call(bytes([OPEN]) + u128(8_000) + u32(0), (c, 100_000)) is None
    # Index 1.002 at vault 2's open (two blocks since vault 1's): 8,000 / 1.002 = 7,984.03,
    # rounded up to 7,985 normalised.
    norm2 = ceil_div(8_000 * WAD, 1_002 * 10**15)
    assert norm2 == 7_985
    # Minting needs the vault's asset (the wallet keeps it, so the call sends nothing).
    assert cdp.call(bytes([MINT]) + u32(1) + u128(1) + u32(0)) == E_NOT_OWNER
    # Vault 2 is safe: liquidation refused.
    assert cdp.call(bytes([LIQUIDATE]) + u32(2) + u32(0), (cdp.stable_ref(), 100)) == E_SAFE
    # The fee accrues: 20 blocks later the index has compounded 0.1% a block.
    for _ in range(20):
        cdp.chain.block()
    coll1, debt1 = cdp.vault(1)
    assert debt1 > 1_335 + 20
    # The price drops to 1.8: vault 1 is worth 1,800, below 1.5 * its debt.
    cdp.set_price(18 * Q64 // 10)
    coll1, debt1 = cdp.vault(1)
    assert (coll1 * cdp.price // Q64) * 10_000 < debt1 * RATIO
    # A third party (the holder of vault 2's stable) liquidates it, repaying all of it:
    # seized floor(floor(debt * 1.1) / 1.8).
    c_before, s_before = cdp.c_held(), cdp.stable_held()
    assert cdp.call(bytes([LIQUIDATE]) + u32(1) + u32(0), (cdp.stable_ref(), 5_000)) is None
    seized = (debt1 * 11_000 // 10_000) * Q64 // cdp.price
    assert cdp.c_held() - c_before == seized
    assert s_before - cdp.stable_held() == debt1
    assert cdp.vault(1) == (1_000 - seized, 0)
    # Redemption against vault 2 at the oracle price: 900 stable for floor(900 / 1.8) = 500 C.
    c_before = cdp.c_held()
    assert cdp.call(bytes([REDEEM]) + u32(2) + u32(0), (cdp.stable_ref(), 900)) is None
    assert cdp.c_held() - c_before == 500
    # Solvency: the stable in circulation never exceeds the total debt, and custody holds
    # both vaults' collateral.
    total, _ = cdp.state()
    assert cdp.circulating() <= total
    coll2, _ = cdp.vault(2)
    assert cdp.chain.custody(cdp.stable, cid(cdp.feed.base)) == coll2 + 1_000 - seized


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["mint", "repay", "price", "liquidate", "redeem", "withdraw"]),
            st.integers(1, 3_000),
            st.integers(0, 3),
        ),
        min_size=2,
        max_size=10,
    )
)
def test_solvent_and_only_unsafe_vaults_liquidated(
    cranelift: WasmtimeEngine, ops: list[tuple[str, int, int]]
) -> None:
    cdp = Cdp(cranelift)
    cdp.set_price(2 * Q64)
    c = cdp.collateral()
    assert cdp.call(bytes([OPEN]) + u128(1_000) + u32(0), (c, 1_000)) is None
    assert cdp.call(bytes([OPEN]) + u128(2_000) + u32(0), (c, 2_000)) is None
    for name, amount, gap in ops:
        for _ in range(gap):
            cdp.chain.block()
        vid = 1 + amount % 2
        token = [*cdp.stable, 1 + vid]
        if name == "mint":
            cdp.call(bytes([MINT]) + u32(vid) + u128(amount) + u32(0), (token, 1))
        elif name == "repay" and cdp.stable_held():
            pay = min(amount, cdp.stable_held())
            cdp.call(bytes([REPAY]) + u32(vid) + u32(0), (cdp.stable_ref(), pay))
        elif name == "price":
            cdp.set_price(Q64 * (10 + amount % 20) // 10)  # 1.0 .. 2.9
        elif name == "liquidate" and cdp.stable_held():
            coll, debt = cdp.vault(vid)
            unsafe = debt > 0 and (coll * cdp.price // Q64) * 10_000 < debt * RATIO
            pay = min(amount, cdp.stable_held())
            got = cdp.call(bytes([LIQUIDATE]) + u32(vid) + u32(0), (cdp.stable_ref(), pay))
            # The view runs at the call's height (its fee accrued): liquidated exactly
            # when unsafe (or refused for a stale price, 103).
            if got is None:
                assert unsafe
            elif got == E_SAFE:
                assert not unsafe
            else:
                assert got == 103
        elif name == "redeem" and cdp.stable_held():
            coll, debt = cdp.vault(vid)
            pay = min(amount, cdp.stable_held(), debt)
            c_before = cdp.c_held()
            if (
                pay
                and cdp.call(bytes([REDEEM]) + u32(vid) + u32(0), (cdp.stable_ref(), pay)) is None
            ):
                # Never more collateral than the stable is worth at the oracle price.
                assert (cdp.c_held() - c_before) * cdp.price <= pay * Q64
        elif name == "withdraw":
            cdp.call(bytes([WITHDRAW]) + u32(vid) + u128(amount // 10 + 1) + u32(0), (token, 1))
        total, _ = cdp.state()
        assert cdp.circulating() <= total
        colls = [cdp.vault(v)[0] for v in (1, 2)]
        assert cdp.chain.custody(cdp.stable, cid(cdp.feed.base)) == sum(colls)
