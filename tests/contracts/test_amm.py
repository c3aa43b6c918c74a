"""The constant-product AMM example (contracts/examples/amm.ts) through the v2 machine.

Expected amounts are worked out by hand in the comments, from contracts/README.md's
formulas: first shares = isqrt(a*b) with 1,000 locked; fee = ceil(in*bps/10^4);
out = floor((in - fee) * R_out / (R_in + in - fee)); new shares = min(floor(a*S/Ra),
floor(b*S/Rb)) taking ceil(shares*R/S) of each asset; removal pays floor(L*R/S).
"""

from __future__ import annotations

import hashlib

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from protocol.state import BlockEffects
from protocol.tx import Transaction
from regtest.contract_inputs import u16, u32, u128
from tests.contracts.sdk import abort_code, asset, code, issued, on_outputs, slot
from tests.protocol.builders import In, events_of, issuer_token, rejection, spend
from tests.protocol.contracts.harness import ContractChain, call, cid

PREMINE = 10**12
ADD, SWAP, REMOVE = 1, 2, 3
DEPOSIT = 11
E_RECEIVED, E_SLIPPAGE, E_ZERO, E_MIN_LIQUIDITY, E_FEE = 6, 104, 105, 106, 101


class Pool:
    """Two issuer tokens, an AMM pool for them, and one wallet outpoint holding the rest."""

    def __init__(self, engine: WasmtimeEngine, fee_bps: int = 30) -> None:
        self.chain = ContractChain(engine)
        tx_a, self.a = issuer_token(self.chain, PREMINE, 10**15, "AAA")
        tx_b, self.b = issuer_token(self.chain, PREMINE, 10**15, "BBB")
        init = asset(self.a) + asset(self.b) + u16(fee_bps)
        self.amm = self.chain.deploy(code("amm"), init)
        self.lp_ref = [*self.amm, 1]
        self.lp = asset((*self.amm, 1))
        self.wallet: list[In] = [spend(tx_a, 1), spend(tx_b, 1)]
        self.last: Transaction = tx_a

    def send(self, data: bytes, *assets: tuple[list[int], int]) -> BlockEffects:
        """A call whose results and leftovers all land on output 0, the new wallet."""
        tx, effects = self.chain.send(call(self.amm, data, assets=assets), inputs=self.wallet)
        self.wallet, self.last = [spend(tx, 0)], tx
        return effects

    def add(self, a: int, b: int, min_lp: int = 0) -> int | None:
        effects = self.send(
            bytes([ADD]) + u128(min_lp) + u32(0), (list(self.a), a), (list(self.b), b)
        )
        return abort_code(effects, self.last)

    def swap(self, a_to_b: bool, amount: int, min_out: int = 0) -> int | None:
        ref = self.a if a_to_b else self.b
        effects = self.send(bytes([SWAP]) + u128(min_out) + u32(0), (list(ref), amount))
        return abort_code(effects, self.last)

    def remove(self, shares: int, min_a: int = 0, min_b: int = 0) -> int | None:
        data = bytes([REMOVE]) + u128(min_a) + u128(min_b) + u32(0)
        effects = self.send(data, (self.lp_ref, shares))
        return abort_code(effects, self.last)

    def state(self) -> tuple[int, int, int]:
        """(reserve a, reserve b, LP supply): slot 2 holds them as three u128."""
        raw = self.chain.storage(self.amm, slot(2)) or bytes(48)
        assert len(raw) == 48
        ra, rb, supply = (int.from_bytes(raw[i : i + 16], "little") for i in (0, 16, 32))
        return ra, rb, supply

    def held(self) -> dict[bytes, int]:
        return self.chain.balances(self.last, 0)

    def custody(self, asset_id: bytes) -> int:
        return self.chain.custody(self.amm, asset_id)


def test_hand_computed_sequence(engine: WasmtimeEngine) -> None:
    pool = Pool(engine)
    a, b = cid(pool.a), cid(pool.b)  # token ids as UTXO records and custody keys hold them
    # First deposit: isqrt(10^6 * 4*10^6) = 2*10^6 shares, 1,000 locked in custody.
    assert pool.add(1_000_000, 4_000_000) is None
    assert pool.state() == (1_000_000, 4_000_000, 2_000_000)
    assert pool.held() == {a: PREMINE - 1_000_000, b: PREMINE - 4_000_000, pool.lp: 1_999_000}
    assert pool.custody(pool.lp) == 1_000
    assert issued(pool.chain, pool.lp) == (2_000_000, 0)

    # Swap 10,000 A: fee ceil(300,000 / 10^4) = 30, net 9,970;
    # out = floor(9,970 * 4,000,000 / 1,009,970) = floor(39,486.3...) = 39,486.
    assert pool.swap(True, 10_000, min_out=39_487) == E_SLIPPAGE
    assert pool.held()[a] == PREMINE - 1_000_000  # the rejected swap's A came back
    assert pool.swap(True, 10_000, min_out=39_486) is None
    assert pool.state() == (1_010_000, 3_960_514, 2_000_000)
    assert pool.held()[b] == PREMINE - 4_000_000 + 39_486

    # Add 5,000 + 5,000: min(floor(5,000*2e6/1,010,000) = 9,900,
    # floor(5,000*2e6/3,960,514) = 2,524) = 2,524 shares; they take ceil(2,524*1,010,000/2e6)
    # = ceil(1,274.62) = 1,275 A and ceil(2,524*3,960,514/2e6) = ceil(4,998.17) = 4,999 B;
    # 3,725 A and 1 B go back.
    assert pool.add(5_000, 5_000) is None
    assert pool.state() == (1_011_275, 3_965_513, 2_002_524)
    assert pool.held() == {
        a: PREMINE - 1_000_000 - 10_000 - 1_275,
        b: PREMINE - 4_000_000 + 39_486 - 4_999,
        pool.lp: 1_999_000 + 2_524,
    }

    # Remove 1,000 shares: floor(1,000*1,011,275/2,002,524) = floor(505.00...) = 505 A,
    # floor(1,000*3,965,513/2,002,524) = floor(1,980.26) = 1,980 B; the shares are burned.
    assert pool.remove(1_000, min_a=505, min_b=1_981) == E_SLIPPAGE
    assert pool.remove(1_000, min_a=505, min_b=1_980) is None
    assert pool.state() == (1_010_770, 3_963_533, 2_001_524)
    assert issued(pool.chain, pool.lp) == (2_002_524, 1_000)
    assert pool.custody(a) == 1_010_770
    assert pool.custody(b) == 3_963_533
    assert pool.custody(pool.lp) == 1_000


def test_rounding_never_pays_the_trader(cranelift: WasmtimeEngine) -> None:
    pool = Pool(cranelift)
    assert pool.add(1_000_000, 4_000_000) is None
    # 1 A pays a fee of ceil(30/10^4) = 1 and so swaps nothing: a floor-rounded fee
    # would have paid out floor(1 * 4e6 / 1,000,001) = 3 B for it.
    assert pool.swap(True, 1) == E_ZERO
    # 4 B: fee 1, net 3, out floor(3 * 10^6 / 4,000,003) = 0.
    assert pool.swap(False, 4) == E_ZERO
    # 400 B: fee ceil(1.2) = 2, net 398, out floor(398e6 / 4,000,398) = floor(99.49) = 99.
    assert pool.swap(False, 400) is None
    assert pool.state() == (999_901, 4_000_400, 2_000_000)


def test_bad_requests_leave_the_pool_untouched(cranelift: WasmtimeEngine) -> None:
    pool = Pool(cranelift)
    # A first deposit of isqrt(1,000 * 1,000) = 1,000 shares locks them all: refused.
    assert pool.add(1_000, 1_000) == E_MIN_LIQUIDITY
    assert pool.add(1_000_000, 4_000_000) is None
    before = pool.chain.contract_items()
    # A zero amount never reaches the pool: the machine refuses the message.
    effects = pool.send(bytes([SWAP]) + u128(0) + u32(0), (list(pool.a), 0))
    assert rejection(effects, pool.last) is not None
    # Only one of the two assets into an add.
    effects = pool.send(bytes([ADD]) + u128(0) + u32(0), (list(pool.a), 5_000))
    assert abort_code(effects, pool.last) == E_ZERO
    # Both assets into a swap.
    effects = pool.send(bytes([SWAP]) + u128(0) + u32(0), (list(pool.a), 10), (list(pool.b), 10))
    assert abort_code(effects, pool.last) == E_RECEIVED
    # LP shares into a swap.
    effects = pool.send(bytes([SWAP]) + u128(0) + u32(0), (pool.lp_ref, 10))
    assert abort_code(effects, pool.last) == E_RECEIVED
    # A short input.
    assert abort_code(pool.send(bytes([SWAP]) + u128(0), (list(pool.a), 10)), pool.last) == 1
    assert pool.chain.contract_items() == before


def test_instantiate_serves_another_pair_with_the_same_code(cranelift: WasmtimeEngine) -> None:
    pool = Pool(cranelift)
    tx, effects = pool.chain.send(
        {0: 6, 1: list(pool.amm), 2: asset(pool.b) + asset(pool.a) + u16(100)}
    )
    second = (pool.chain.next_height - 1, 1)
    first_record = cbor2.loads(pool.chain.state.get(b"\x04" + cid(pool.amm)) or b"")
    second_record = cbor2.loads(pool.chain.state.get(b"\x04" + cid(second)) or b"")
    assert second_record[0] == first_record[0] == hashlib.sha256(code("amm")).digest()
    config = asset(pool.b) + asset(pool.a) + u16(100)
    assert pool.chain.storage(second, slot(1)) == config
    # Fee 10,000 bps or more is refused at init.
    tx, effects = pool.chain.send(
        {0: 6, 1: list(pool.amm), 2: asset(pool.a) + asset(pool.b) + u16(10_000)}
    )
    assert abort_code(effects, tx) == E_FEE


def invariants(pool: Pool) -> tuple[int, int, int]:
    ra, rb, supply = pool.state()
    # Reserves are exactly what the pool holds (nothing else was ever sent to it).
    assert (pool.custody(cid(pool.a)), pool.custody(cid(pool.b))) == (ra, rb)
    # Supply conservation across outputs and the contract.
    for token in (cid(pool.a), cid(pool.b)):
        assert on_outputs(pool.chain, token) + pool.custody(token) == PREMINE
    minted, burned = issued(pool.chain, pool.lp)
    assert minted - burned == supply == on_outputs(pool.chain, pool.lp) + pool.custody(pool.lp)
    return ra, rb, supply


steps = st.lists(
    st.tuples(
        st.sampled_from(["swap_a", "swap_b", "add", "remove"]),
        st.integers(1, 3_000_000),
        st.integers(1, 3_000_000),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None)
@given(seed=st.tuples(st.integers(2_000, 10_000_000), st.integers(2_000, 10_000_000)), ops=steps)
def test_product_never_decreases_and_supply_is_conserved(
    cranelift: WasmtimeEngine, seed: tuple[int, int], ops: list[tuple[str, int, int]]
) -> None:
    pool = Pool(cranelift)
    assert pool.add(*seed) is None
    start = pool.chain.state.snapshot()
    blocks = len(pool.chain.applied)
    ra, rb, supply = invariants(pool)
    for kind, x, y in ops:
        if kind in {"swap_a", "swap_b"}:
            pool.swap(kind == "swap_a", x)
        elif kind == "add":
            pool.add(x, y)
        else:
            shares = min(x, pool.held().get(pool.lp, 0))
            if shares:
                pool.remove(shares)
        ra2, rb2, supply2 = invariants(pool)
        if supply2 == supply:
            assert ra2 * rb2 >= ra * rb  # a swap (or a rejected call) never lowers x*y
        else:
            # Adding or removing liquidity never lowers x*y per share squared.
            assert ra2 * rb2 * supply * supply >= ra * rb * supply2 * supply2
        ra, rb, supply = ra2, rb2, supply2
    # Undoing the sequence's blocks restores the state exactly.
    while len(pool.chain.applied) > blocks:
        pool.chain.undo_last()
    assert pool.chain.state.snapshot() == start


def test_a_router_contract_swaps_through_call_contract(cranelift: WasmtimeEngine) -> None:
    """The SDK's callContract: assets and input forwarded from one contract to the pool."""
    pool = Pool(cranelift)
    assert pool.add(1_000_000, 4_000_000) is None
    router = pool.chain.deploy(code("forward"))
    swap = bytes([SWAP]) + u128(39_486) + u32(0)
    tx, effects = pool.chain.send(
        call(router, cid(pool.amm) + swap, assets=[(list(pool.a), 10_000)]),
        inputs=pool.wallet,
    )
    assert abort_code(effects, tx) is None
    # The same numbers as a direct swap of 10,000 A (test_hand_computed_sequence).
    assert pool.state() == (1_010_000, 3_960_514, 2_000_000)
    assert tx_balance(pool, tx, cid(pool.b)) == PREMINE - 4_000_000 + 39_486
    assert pool.chain.custody(router, cid(pool.a)) == 0
    deposits = [e for e in events_of(effects, tx) if e[0] == DEPOSIT and 16 in e]
    assert [(e[4], e[12], e[16]) for e in deposits] == [(10_000, cid(pool.amm), cid(router))]
    # One unit more than the pool gives: the pool's abort code surfaces through the router.
    tx, effects = pool.chain.send(
        call(
            router,
            cid(pool.amm) + bytes([SWAP]) + u128(10**9) + u32(0),
            assets=[(list(pool.a), 10)],
        ),
        inputs=[spend(tx, 0)],
    )
    assert abort_code(effects, tx) == E_SLIPPAGE


def tx_balance(pool: Pool, tx: Transaction, asset_id: bytes) -> int:
    return pool.chain.balances(tx, 0).get(asset_id, 0)
