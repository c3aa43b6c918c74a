"""The lending market (contracts/examples/lending.ts) priced by the AMM's TWAP, through the
v2 machine, against an independent model written here from contracts/README.md.

The model (``Model``) keeps the market's numbers with the README's roundings; the tests
compare the contract's stored market (slot 2) and positions (map 4) with it after every
step, and check the properties of issue #19: custody covers what the market owes,
no lender takes out more than deposited plus earned, only unhealthy positions are
liquidated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from regtest.contract_inputs import u16, u32, u64, u128
from tests.contracts.defi import MOD128, Q64, q64, view
from tests.contracts.sdk import abort_code, asset, code, slot
from tests.contracts.test_amm import PREMINE, Pool
from tests.protocol.builders import spend, spendable
from tests.protocol.contracts.harness import call, cid

WAD = 10**18
BPS = 10_000
SUPPLY, REDEEM, OPEN, DEPOSIT, WITHDRAW, BORROW, REPAY, LIQUIDATE = 1, 2, 3, 4, 5, 6, 7, 8
POSITION, MARKET, POKE = 9, 10, 11
E_UNDERFLOW = 3
E_NO_PRICE, E_UNHEALTHY, E_HEALTHY, E_CASH, E_ZERO, E_NOT_OWNER = 103, 104, 105, 106, 107, 109
WINDOW, CF, BONUS, RATE = 5, 7_500, 500, 10**15  # 0.1% a block
OUTPUTS = 6


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass
class Model:
    """contracts/README.md's lending rules, in Python integers."""

    cash: int = 0
    principal: int = 0
    supply: int = 0
    index: int = WAD
    last: int = 0
    next: int = 1
    positions: dict[int, list[int]] = field(default_factory=dict)  # id -> [coll, principal]
    earned: int = 0  # interest added to the borrows, as the lenders count them
    cp_cum: int = 0
    cp_height: int = 0
    price: int = 0

    def accrue(self, h: int) -> None:
        if self.last and h > self.last and self.principal:
            before = self.borrows()
            self.index += ceil_div(self.index * RATE * (h - self.last), WAD)
            self.earned += self.borrows() - before
        self.last = h

    def borrows(self) -> int:
        return self.principal * self.index // WAD

    def debt(self, pid: int) -> int:
        return ceil_div(self.positions[pid][1] * self.index, WAD)

    def limit(self, pid: int, price: int) -> int:
        return (self.positions[pid][0] * price // Q64) * CF // BPS

    def observe(self, h: int, cum: int) -> None:
        """The TWAP checkpoint rule, given the AMM's cumulative price at h."""
        if self.cp_height == 0 or h - self.cp_height >= WINDOW:
            if self.cp_height:
                self.price = ((cum - self.cp_cum) % MOD128) // (h - self.cp_height)
            self.cp_cum, self.cp_height = cum, h


class Market:
    """A pool of tokens A (collateral) / B (debt), the AMM over them, and a lending market."""

    def __init__(self, engine: WasmtimeEngine) -> None:
        self.pool = Pool(engine)
        self.chain = self.pool.chain
        assert self.pool.add(1_000_000, 4_000_000) is None
        init = (
            asset(self.pool.a)
            + asset(self.pool.b)
            + bytes([1])
            + cid(self.pool.amm)
            + u64(WINDOW)
            + u16(CF)
            + u16(BONUS)
            + u64(RATE)
        )
        self.lending = self.chain.deploy(code("lending"), init)
        self.receipt_ref = [*self.lending, 1]
        self.model = Model()

    def token_ref(self, pid: int) -> list[int]:
        return [*self.lending, 1 + pid]

    def cum_a(self) -> int:
        """The AMM's cumulative price of A as of the next block (the AMM is not under test)."""
        raw = view(self.chain, self.pool.amm, bytes([5]))
        return int.from_bytes(raw[:16], "little")

    def send(self, data: bytes, *assets: tuple[list[int], int]) -> int | None:
        """A lending call from the wallet; see ``call``."""
        return self.call(self.lending, data, *assets)

    def call(
        self, contract: tuple[int, int], data: bytes, *assets: tuple[list[int], int]
    ) -> int | None:
        """A call from the wallet. A UTXO record holds at most 4 entries (PROTOCOL.md
        §7.5.1) and the wallet holds more kinds of asset, so its transactions have
        OUTPUTS outputs; results land on output 0 and the rest flow on (the wallet is
        all of them)."""
        scripts = [spendable(n) for n in range(OUTPUTS)]
        tx, effects = self.chain.send(
            call(contract, data, assets=assets), inputs=self.pool.wallet, outputs=scripts
        )
        self.pool.wallet, self.pool.last = [spend(tx, n) for n in range(OUTPUTS)], tx
        return abort_code(effects, tx)

    def swap(self, amount_a: int) -> int | None:
        """Sells ``amount_a`` of A into the AMM (pushes the collateral's price down)."""
        return self.call(
            self.pool.amm, bytes([2]) + u128(0) + u32(0), (list(self.pool.a), amount_a)
        )

    def idle(self, blocks: int) -> None:
        for _ in range(blocks):
            self.chain.block()

    def held(self, ref: list[int] | tuple[int, ...]) -> int:
        key = asset(tuple(ref)) if len(ref) == 3 else cid((ref[0], ref[1]))
        last = self.pool.last
        return sum(self.chain.balances(last, n).get(key, 0) for n in range(OUTPUTS))

    def stored(self) -> tuple[int, int, int, int, int, int]:
        raw = self.chain.storage(self.lending, slot(2))
        assert raw is not None and len(raw) == 76
        cash, principal, supply, index = (
            int.from_bytes(raw[i : i + 16], "little") for i in (0, 16, 32, 48)
        )
        last, nxt = int.from_bytes(raw[64:72], "little"), int.from_bytes(raw[72:], "little")
        return cash, principal, supply, index, last, nxt

    def stored_position(self, pid: int) -> tuple[int, int]:
        key = hashlib.sha256(bytes([4]) + u32(pid)).digest()
        raw = self.chain.storage(self.lending, key)
        assert raw is not None and len(raw) == 32
        return int.from_bytes(raw[:16], "little"), int.from_bytes(raw[16:], "little")

    def matches_model(self) -> None:
        m = self.model
        assert self.stored() == (m.cash, m.principal, m.supply, m.index, m.last, m.next)
        for pid, (coll, principal) in m.positions.items():
            assert self.stored_position(pid) == (coll, principal)
        # Solvency: custody holds the tracked cash and every position's collateral, and
        # the lenders' claim on cash + borrows never exceeds them.
        a, b = cid(self.pool.a), cid(self.pool.b)
        assert self.chain.custody(self.lending, b) == m.cash
        assert self.chain.custody(self.lending, a) == sum(p[0] for p in m.positions.values())
        assert sum(m.debt(pid) for pid in m.positions) >= m.borrows()

    # --- the entry points, each applied to the model only when the contract accepted it ---

    def begin(self, needs_price: bool) -> tuple[int, int]:
        h = self.chain.next_height
        cum = self.cum_a() if needs_price else 0
        return h, cum

    def poke(self) -> int | None:
        h, cum = self.begin(True)
        got = self.send(bytes([POKE]))
        if got is None:
            self.model.accrue(h)
            self.model.observe(h, cum)
        return got

    def supply(self, amount: int) -> int | None:
        h = self.chain.next_height
        m = self.model
        got = self.send(bytes([SUPPLY]) + u32(0), (list(self.pool.b), amount))
        if got is None:
            m.accrue(h)
            total = m.cash + m.borrows()
            shares = amount if m.supply == 0 else amount * m.supply // total
            m.cash += amount
            m.supply += shares
        return got

    def redeem(self, shares: int) -> int | None:
        h = self.chain.next_height
        m = self.model
        got = self.send(bytes([REDEEM]) + u32(0), (self.receipt_ref, shares))
        if got is None:
            m.accrue(h)
            amount = shares * (m.cash + m.borrows()) // m.supply
            m.cash -= amount
            m.supply -= shares
        return got

    def _lend(self, pid: int, amount: int) -> None:
        m = self.model
        added = ceil_div(amount * WAD, m.index)
        m.positions[pid][1] += added
        m.principal += added
        m.cash -= amount

    def open(self, collateral: int, amount: int) -> int | None:
        h, cum = self.begin(amount > 0)
        got = self.send(bytes([OPEN]) + u128(amount) + u32(0), (list(self.pool.a), collateral))
        if got is None:
            m = self.model
            m.accrue(h)
            pid = m.next
            m.next += 1
            m.positions[pid] = [collateral, 0]
            if amount:
                m.observe(h, cum)
                self._lend(pid, amount)
        return got

    def borrow(self, pid: int, amount: int) -> int | None:
        h, cum = self.begin(True)
        data = bytes([BORROW]) + u32(pid) + u128(amount) + u32(0)
        got = self.send(data, (self.token_ref(pid), 1))
        if got is None:
            self.model.accrue(h)
            self.model.observe(h, cum)
            self._lend(pid, amount)
        return got

    def withdraw(self, pid: int, amount: int) -> int | None:
        h, cum = self.begin(True)
        data = bytes([WITHDRAW]) + u32(pid) + u128(amount) + u32(0)
        got = self.send(data, (self.token_ref(pid), 1))
        if got is None:
            m = self.model
            m.accrue(h)
            if m.positions[pid][1]:
                m.observe(h, cum)
            m.positions[pid][0] -= amount
        return got

    def _pay_down(self, pid: int, amount: int) -> int:
        m = self.model
        debt = m.debt(pid)
        if amount >= debt:
            m.principal -= m.positions[pid][1]
            m.positions[pid][1] = 0
            m.cash += debt
            return debt
        removed = amount * WAD // m.index
        m.positions[pid][1] -= removed
        m.principal -= removed
        m.cash += amount
        return amount

    def repay(self, pid: int, amount: int) -> int | None:
        h = self.chain.next_height
        got = self.send(bytes([REPAY]) + u32(pid) + u32(0), (list(self.pool.b), amount))
        if got is None:
            self.model.accrue(h)
            self._pay_down(pid, amount)
        return got

    def liquidate(self, pid: int, amount: int) -> int | None:
        h, cum = self.begin(True)
        # Whether the model thinks the position is unhealthy at this block's price.
        m = self.model
        before = Model(**{**m.__dict__, "positions": {k: list(v) for k, v in m.positions.items()}})
        before.accrue(h)
        before.observe(h, cum)
        unhealthy = before.price > 0 and before.debt(pid) > before.limit(pid, before.price)
        got = self.send(bytes([LIQUIDATE]) + u32(pid) + u32(0), (list(self.pool.b), amount))
        if got is None:
            assert unhealthy, "a position within its limit was liquidated"
            m.accrue(h)
            m.observe(h, cum)
            used = self._pay_down(pid, amount)
            worth = used * (BPS + BONUS) // BPS
            seized = min(worth * Q64 // m.price, m.positions[pid][0])
            m.positions[pid][0] -= seized
        elif got == E_HEALTHY:
            assert not unhealthy
        return got

    def read_position(self, pid: int) -> tuple[int, int]:
        raw = view(self.chain, self.lending, bytes([POSITION]) + u32(pid))
        return int.from_bytes(raw[:16], "little"), int.from_bytes(raw[16:], "little")


def test_hand_computed_lifecycle(engine: WasmtimeEngine) -> None:
    mk = Market(engine)
    # The first poke sets the TWAP checkpoint only: no price yet, so no loan.
    assert mk.poke() is None
    assert mk.supply(1_000_000) is None
    assert mk.held(mk.receipt_ref) == 1_000_000  # the first supply mints 1:1
    assert mk.open(100_000, 200_000) == E_NO_PRICE
    mk.idle(2)
    # 5 blocks after the checkpoint: the average of a constant 4,000,000 / 1,000,000 is 4.
    assert mk.poke() is None
    assert mk.model.price == 4 * Q64
    # 100,000 A at 4 is worth 400,000 B; 75% of it: a limit of 300,000.
    assert mk.open(100_000, 200_000) is None
    assert mk.model.positions[1] == [100_000, 200_000]
    assert mk.held(mk.token_ref(1)) == 1
    # A block later the index is 1.001: debt ceil(200,000 * 1.001) = 200,200; 100,001 more
    # adds ceil(100,001 / 1.001) = 99,902 principal: ceil(299,902 * 1.001) = 300,202 > 300,000.
    assert mk.borrow(1, 100_001) == E_UNHEALTHY
    # Two blocks after the open: index 1.002; 99,000 adds ceil(98,802.39) = 98,803, for a
    # debt of ceil(298,803 * 1.002) = ceil(299,400.6) = 299,401, within the limit.
    assert mk.borrow(1, 99_000) is None
    assert mk.model.index == 1_002 * 10**15
    assert mk.stored_position(1) == (100_000, 298_803)
    mk.matches_model()
    # Without the position's asset nobody borrows against it (it stays in the wallet).
    assert mk.send(bytes([BORROW]) + u32(1) + u128(1) + u32(0)) == E_NOT_OWNER
    # A healthy position cannot be liquidated.
    assert mk.liquidate(1, 50_000) == E_HEALTHY

    # The price drops: 1,000,000 A sold into the pool (fee 3,000; out floor(997,000 *
    # 4,000,000 / 1,997,000) = 1,996,995): reserves 2,000,000 / 2,003,005.
    assert mk.swap(1_000_000) is None
    assert mk.pool.state()[:2] == (2_000_000, 2_003_005)
    mk.idle(1)
    assert mk.poke() is None
    # The checkpoint was the poke 8 blocks ago (the calls since that read the price were
    # refused, so they moved nothing): 6 blocks at 4, then the swap's block and the idle
    # one at the new spot price.
    spot = q64(2_003_005, 2_000_000)
    assert mk.model.price == (6 * 4 * Q64 + 2 * spot) // 8
    mk.matches_model()
    collateral, debt = mk.read_position(1)
    assert collateral == 100_000 and debt > 299_401
    assert debt > (100_000 * mk.model.price // Q64) * CF // BPS  # now unhealthy
    # A third party (any wallet) repays 100,000 of it and takes collateral at 5% bonus:
    # 105,000 B's worth at the average price.
    b_before, a_before = mk.held(mk.pool.b), mk.held(mk.pool.a)
    assert mk.liquidate(1, 100_000) is None
    seized = 105_000 * Q64 // mk.model.price
    assert mk.held(mk.pool.a) - a_before == seized
    assert b_before - mk.held(mk.pool.b) == 100_000
    mk.matches_model()
    # The borrower repays the rest with too much; the excess comes back.
    debt = mk.read_position(1)[1]
    b_before, cash_before = mk.held(mk.pool.b), mk.model.cash
    assert mk.repay(1, debt + 10_000) is None
    assert mk.model.positions[1][1] == 0
    # What left the wallet is the debt at the repay's block (a block of interest more than
    # the read), the 10,000 and the rest refunded.
    used = mk.model.cash - cash_before
    assert b_before - mk.held(mk.pool.b) == used and debt <= used < debt + 10_000
    mk.matches_model()
    # Collateral back: all of what is left, with the position's asset.
    left = mk.model.positions[1][0]
    assert mk.withdraw(1, left + 1) == E_UNDERFLOW
    assert mk.withdraw(1, left) is None
    mk.matches_model()
    # The lender takes out the deposit plus the interest the borrower paid.
    assert mk.redeem(1_000_000) is None
    assert mk.model.cash == 0 and mk.model.supply == 0
    assert mk.held(mk.pool.b) > PREMINE - 4_000_000 + 1_996_995 - 100_000 - debt - 10_000
    mk.matches_model()


actions = st.lists(
    st.tuples(
        st.sampled_from(
            ["supply", "redeem", "open", "borrow", "repay", "withdraw", "liquidate", "dump"]
        ),
        st.integers(1, 400_000),
        st.integers(0, 3),
    ),
    min_size=3,
    max_size=10,
)


@settings(max_examples=10, deadline=None)
@given(ops=actions)
def test_market_matches_the_model_and_stays_solvent(
    cranelift: WasmtimeEngine, ops: list[tuple[str, int, int]]
) -> None:
    mk = Market(cranelift)
    assert mk.poke() is None
    assert mk.supply(1_000_000) is None
    mk.idle(WINDOW)
    assert mk.poke() is None
    deposited = 1_000_000
    redeemed = 0
    for name, amount, gap in ops:
        mk.idle(gap)
        pids = sorted(mk.model.positions)
        pid = pids[amount % len(pids)] if pids else 1
        if name == "supply":
            if mk.supply(amount) is None:
                deposited += amount
        elif name == "redeem":
            shares = min(amount, mk.model.supply)
            cash_before = mk.model.cash
            if shares and mk.redeem(shares) is None:
                redeemed += cash_before - mk.model.cash
        elif name == "open":
            mk.open(amount, amount)
        elif name == "borrow" and pids:
            mk.borrow(pid, amount // 4 + 1)
        elif name == "repay" and pids:
            mk.repay(pid, amount)
        elif name == "withdraw" and pids:
            mk.withdraw(pid, min(amount, mk.model.positions[pid][0]) or 1)
        elif name == "liquidate" and pids:
            mk.liquidate(pid, amount)
        elif name == "dump":
            assert mk.swap(10 * amount) is None  # pushes the collateral price down
        mk.matches_model()
    # The lenders, all redeeming at once at the current rate, are owed no more than the
    # cash and the debts, and take out in all no more than they put in plus the interest
    # the borrowers accrued, plus at most one unit of rounding per operation (each
    # rounding goes against the borrower, never against the lenders).
    m = mk.model
    claim = m.supply * (m.cash + m.borrows()) // m.supply if m.supply else 0
    assert claim <= m.cash + m.borrows()
    assert redeemed + claim <= deposited + m.earned + 2 * len(ops)
    # And nothing is lost to them: the market's value only grows by interest and rounding.
    assert m.cash + m.borrows() + redeemed >= deposited + m.earned
