"""The BTC-settled OTC sale (contracts/examples/otc.ts) through the v2 machine."""

from __future__ import annotations

import hashlib

from engine.wasmtime_engine import WasmtimeEngine
from protocol.tx import Transaction
from regtest.contract_inputs import u32, u64, u128
from tests.contracts.sdk import abort_code, asset, code, script, send_paying
from tests.protocol.builders import In, issuer_token, spend, spendable
from tests.protocol.contracts.harness import ContractChain, call, cid

OFFER, TAKE, RECLAIM = 1, 2, 3
E_NO_OFFER, E_NOT_PAID, E_NOT_EXPIRED, E_WRONG_SCRIPT = 101, 102, 103, 104
SELLER = spendable(7)
BUYER = spendable(8)
PRICE = 50_000


def offer_key(offer_id: int) -> bytes:
    """Map 2's entry for an offer id (contracts/README.md): sha256(0x02 || id u32 LE)."""
    return hashlib.sha256(b"\x02" + u32(offer_id)).digest()


class Market:
    def __init__(self, engine: WasmtimeEngine) -> None:
        self.chain = ContractChain(engine)
        tx, self.token = issuer_token(self.chain, 1_000, 10**6, "SELL")
        self.tok = cid(self.token)
        self.seller_coins: In = spend(tx, 1)
        self.otc = self.chain.deploy(code("otc"))

    def offer(self, amount: int, expiry: int, price: int = PRICE) -> None:
        data = bytes([OFFER]) + u64(price) + u64(expiry) + script(SELLER)
        op = call(self.otc, data, assets=[(list(self.token), amount)])
        tx, effects = send_paying(self.chain, [op], [self.seller_coins], [(1_000, SELLER)])
        assert abort_code(effects, tx) is None
        self.seller_coins = spend(tx, 0)

    def take(
        self, offer_id: int, outputs: list[tuple[int, bytes]], *more: int
    ) -> tuple[Transaction, int | None]:
        ops = [call(self.otc, bytes([TAKE]) + u32(i) + u32(0)) for i in (offer_id, *more)]
        tx, effects = send_paying(self.chain, ops, [self.chain.coin()], outputs)
        return tx, abort_code(effects, tx)


def test_offer_take_and_one_payment_per_offer(engine: WasmtimeEngine) -> None:
    m = Market(engine)
    m.offer(700, expiry=10**6)
    record = m.chain.storage(m.otc, offer_key(1))
    assert record == asset(m.token) + u128(700) + u64(PRICE) + u64(10**6) + script(SELLER)
    assert m.chain.custody(m.otc, m.tok) == 700

    # One sat short, or the right amount to the wrong script: no sale.
    _, code_ = m.take(1, [(1_000, BUYER), (PRICE - 1, SELLER)])
    assert code_ == E_NOT_PAID
    _, code_ = m.take(1, [(1_000, BUYER), (PRICE, spendable(9))])
    assert code_ == E_NOT_PAID
    assert m.chain.custody(m.otc, m.tok) == 700

    # Paying the price at output 1 delivers the tokens to output 0.
    tx, code_ = m.take(1, [(1_000, BUYER), (PRICE, SELLER)])
    assert code_ is None
    assert m.chain.balances(tx, 0) == {m.tok: 700}
    assert m.chain.custody(m.otc, m.tok) == 0
    assert m.chain.storage(m.otc, offer_key(1)) is None
    _, code_ = m.take(1, [(1_000, BUYER), (PRICE, SELLER)])
    assert code_ == E_NO_OFFER

    # Two offers of the same seller and price, one payment: the payment counts once, and
    # the message is all or nothing.
    m.offer(100, expiry=10**6)
    m.offer(200, expiry=10**6)
    _, code_ = m.take(2, [(1_000, BUYER), (PRICE, SELLER)], 3)
    assert code_ == E_NOT_PAID
    assert m.chain.custody(m.otc, m.tok) == 300
    tx, code_ = m.take(2, [(1_000, BUYER), (PRICE, SELLER), (PRICE, SELLER)], 3)
    assert code_ is None
    assert m.chain.balances(tx, 0) == {m.tok: 300}


def test_reclaim_only_after_expiry_and_only_to_the_seller(cranelift: WasmtimeEngine) -> None:
    m = Market(cranelift)
    expiry = m.chain.next_height + 3
    m.offer(400, expiry=expiry)
    reclaim = call(m.otc, bytes([RECLAIM]) + u32(1) + u32(0))
    tx, effects = send_paying(m.chain, [reclaim], [m.chain.coin()], [(546, SELLER)])
    assert abort_code(effects, tx) == E_NOT_EXPIRED
    while m.chain.next_height < expiry:
        m.chain.block()
    tx, effects = send_paying(m.chain, [reclaim], [m.chain.coin()], [(546, BUYER)])
    assert abort_code(effects, tx) == E_WRONG_SCRIPT
    tx, effects = send_paying(m.chain, [reclaim], [m.chain.coin()], [(546, SELLER)])
    assert abort_code(effects, tx) is None
    assert m.chain.balances(tx, 0) == {m.tok: 400}
    assert m.chain.custody(m.otc, m.tok) == 0
