"""The router (contracts/examples/router.ts): multi-hop swaps through AMM pools in one
call, each pool returning its output to the router (AMM op 6, send_to_caller).

Expected amounts come from the AMM's README formula, written out here:
fee = ceil(in * bps / 10^4), out = floor((in - fee) * R_out / (R_in + in - fee)).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from regtest.contract_inputs import u16, u32, u128
from tests.contracts.defi import Wallet
from tests.contracts.sdk import asset, code
from tests.protocol.builders import issuer_token, spend
from tests.protocol.contracts.harness import ContractChain, cid

PREMINE = 10**12
E_SLIPPAGE, E_ROUTE = 102, 101
E_AMM_NOT_CONTRACT = 108


def swap_out(amount: int, r_in: int, r_out: int, bps: int = 30) -> int:
    fee = -(-amount * bps // 10_000)
    net = amount - fee
    return net * r_out // (r_in + net)


class Route:
    """Tokens A, B, C; pools A/B (1e6 : 4e6) and B/C (4e6 : 2e6); a router."""

    def __init__(self, engine: WasmtimeEngine) -> None:
        self.chain = ContractChain(engine)
        txs, self.tok = [], []
        for name in ("AAA", "BBB", "CCC"):
            tx, ref = issuer_token(self.chain, PREMINE, 10**15, name)
            txs.append(tx)
            self.tok.append(ref)
        a, b, c = self.tok
        self.ab = self.chain.deploy(code("amm"), asset(a) + asset(b) + u16(30))
        self.bc = self.chain.deploy(code("amm"), asset(b) + asset(c) + u16(30))
        self.router = self.chain.deploy(code("router"))
        self.wallet = Wallet(self.chain, [spend(tx, 1) for tx in txs])
        add = bytes([1]) + u128(0) + u32(0)
        assert self.wallet.call(self.ab, add, (list(a), 1_000_000), (list(b), 4_000_000)) is None
        assert self.wallet.call(self.bc, add, (list(b), 4_000_000), (list(c), 2_000_000)) is None
        self.reserves = {self.ab: [1_000_000, 4_000_000], self.bc: [4_000_000, 2_000_000]}

    def route(self, amount: int, min_out: int, pools: list[tuple[int, int]]) -> int | None:
        data = bytes([1]) + u128(min_out) + u32(0) + bytes([len(pools)])
        data += b"".join(cid(p) for p in pools)
        return self.wallet.call(self.router, data, (list(self.tok[0]), amount))

    def held(self, i: int) -> int:
        return self.wallet.held(cid(self.tok[i]))


def test_two_hops_with_one_minimum(engine: WasmtimeEngine) -> None:
    rt = Route(engine)
    # Hop 1: 10,000 A -> fee 30, out floor(9,970 * 4e6 / 1,009,970) = 39,486 B.
    # Hop 2: 39,486 B -> fee ceil(118.458) = 119, net 39,367,
    #        out floor(39,367 * 2e6 / 4,039,367) = floor(19,491.65) = 19,491 C.
    assert swap_out(10_000, 1_000_000, 4_000_000) == 39_486
    assert swap_out(39_486, 4_000_000, 2_000_000) == 19_491
    c_before, a_before = rt.held(2), rt.held(0)
    assert rt.route(10_000, 19_492, [rt.ab, rt.bc]) == E_SLIPPAGE
    assert rt.held(0) == a_before  # refused whole: the A came back, no pool moved
    assert rt.chain.custody(rt.ab, cid(rt.tok[0])) == 1_000_000
    assert rt.route(10_000, 19_491, [rt.ab, rt.bc]) is None
    assert rt.held(2) - c_before == 19_491
    assert rt.held(0) == a_before - 10_000
    # The pools moved by the hops; the router holds nothing.
    assert rt.chain.custody(rt.ab, cid(rt.tok[0])) == 1_010_000
    assert rt.chain.custody(rt.ab, cid(rt.tok[1])) == 4_000_000 - 39_486
    assert rt.chain.custody(rt.bc, cid(rt.tok[1])) == 4_000_000 + 39_486
    assert rt.chain.custody(rt.bc, cid(rt.tok[2])) == 2_000_000 - 19_491
    for t in rt.tok:
        assert rt.chain.custody(rt.router, cid(t)) == 0


def test_bad_routes(engine: WasmtimeEngine) -> None:
    rt = Route(engine)
    assert rt.route(10_000, 0, []) == E_ROUTE
    assert rt.route(10_000, 0, [rt.ab] * 5) == E_ROUTE
    # A -> B through the B/C pool: the pool refuses A (E_RECEIVED, 6), the route fails.
    assert rt.route(10_000, 0, [rt.bc]) == 6
    # Op 6 called by a transaction, not a contract.
    a = rt.tok[0]
    assert rt.wallet.call(rt.ab, bytes([6]) + u128(0), (list(a), 1_000)) == E_AMM_NOT_CONTRACT


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(100, 2_000_000), st.booleans()), min_size=1, max_size=4))
def test_routes_match_the_pool_formula(
    cranelift: WasmtimeEngine, trades: list[tuple[int, bool]]
) -> None:
    """Each route pays what the two pools' formulas compose to, the pools' reserves follow
    the model, and the router never keeps anything (all it is sent goes on)."""
    rt = Route(cranelift)
    ab, bc = [1_000_000, 4_000_000], [4_000_000, 2_000_000]
    for amount, two in trades:
        b_out = swap_out(amount, ab[0], ab[1])
        c_out = swap_out(b_out, bc[0], bc[1]) if two else 0
        pools = [rt.ab, rt.bc] if two else [rt.ab]
        got = rt.route(amount, 0, pools)
        if b_out == 0 or (two and c_out == 0):
            assert got == 105  # the AMM's E_ZERO: the whole route is refused
            continue
        assert got is None
        ab = [ab[0] + amount, ab[1] - b_out]
        if two:
            bc = [bc[0] + b_out, bc[1] - c_out]
    assert [rt.chain.custody(rt.ab, cid(t)) for t in rt.tok[:2]] == ab
    assert [rt.chain.custody(rt.bc, cid(t)) for t in rt.tok[1:]] == bc
    for t in rt.tok:
        assert rt.chain.custody(rt.router, cid(t)) == 0
