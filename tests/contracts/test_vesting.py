"""The vesting example (contracts/examples/vesting.ts) through the v2 machine."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from regtest.contract_inputs import u32, u64
from tests.contracts.sdk import abort_code, asset, code, script, send_paying, slot
from tests.protocol.builders import issuer_token, spend, spendable
from tests.protocol.contracts.harness import ContractChain, call, cid, publish

FUND, RELEASE = 1, 2
E_SCHEDULE, E_WRONG_SCRIPT, E_NOTHING = 101, 104, 105
BENEFICIARY = spendable(5)
TOTAL = 1_000_003
START, CLIFF, END = 110, 120, 210  # linear over 100 blocks from 110, nothing before 120


def test_linear_release_after_the_cliff(engine: WasmtimeEngine) -> None:
    chain = ContractChain(engine)
    tx, token = issuer_token(chain, TOTAL, 10**7, "VEST")
    tok = cid(token)
    init = asset(token) + u64(START) + u64(CLIFF) + u64(END) + script(BENEFICIARY)
    vest = chain.deploy(code("vesting"), init)
    fund = call(vest, bytes([FUND]), assets=[(list(token), TOTAL)])
    tx, effects = send_paying(chain, [fund], [spend(tx, 1)], [(546, spendable(1))])
    assert abort_code(effects, tx) is None
    assert chain.custody(vest, tok) == TOTAL

    release = call(vest, bytes([RELEASE]) + u32(0))

    def release_at(height: int, output: bytes = BENEFICIARY) -> tuple[int | None, dict[bytes, int]]:
        while chain.next_height < height:
            chain.block()
        tx, effects = send_paying(chain, [release], [chain.coin()], [(546, output)])
        return abort_code(effects, tx), chain.balances(tx, 0)

    assert chain.next_height < CLIFF - 1
    assert release_at(CLIFF - 1) == (E_NOTHING, {})
    # At the cliff: floor(1,000,003 * 10 / 100) = 100,000.
    assert release_at(CLIFF) == (None, {tok: 100_000})
    assert release_at(CLIFF + 1, spendable(6)) == (E_WRONG_SCRIPT, {})
    # At 160: floor(1,000,003 * 50 / 100) = 500,001 vested, 400,001 more.
    assert release_at(160) == (None, {tok: 400_001})
    assert release_at(161) == (None, {tok: 10_000})  # floor(510,001.53) - 500,001
    # At the end everything: 1,000,003 - 510,001 = 490,002.
    assert release_at(END) == (None, {tok: 490_002})
    assert release_at(END + 1) == (E_NOTHING, {})
    assert chain.custody(vest, tok) == 0
    assert chain.storage(vest, slot(3)) == TOTAL.to_bytes(16, "little")


def test_schedule_checked_at_init(cranelift: WasmtimeEngine) -> None:
    chain = ContractChain(cranelift)
    _, token = issuer_token(chain, 10, 10, "VEST")
    for start, cliff, end in [(120, 110, 210), (110, 220, 210), (110, 110, 110)]:
        init = asset(token) + u64(start) + u64(cliff) + u64(end) + script(BENEFICIARY)
        tx, effects = chain.send(publish(code("vesting"), init))
        assert abort_code(effects, tx) == E_SCHEDULE


def vested_by_hand(total: int, height: int) -> int:
    """contracts/README.md's schedule, written out independently of the contract."""
    if height < CLIFF:
        return 0
    if height >= END:
        return total
    return total * (height - START) // (END - START)


@settings(max_examples=8, deadline=None)
@given(
    total=st.integers(1, 10**30),
    heights=st.lists(st.integers(104, END + 5), min_size=1, max_size=5, unique=True),
)
def test_releases_add_up_to_the_schedule(
    cranelift: WasmtimeEngine, total: int, heights: list[int]
) -> None:
    chain = ContractChain(cranelift)
    tx, token = issuer_token(chain, total, total, "VEST")
    tok = cid(token)
    init = asset(token) + u64(START) + u64(CLIFF) + u64(END) + script(BENEFICIARY)
    vest = chain.deploy(code("vesting"), init)
    fund = call(vest, bytes([FUND]), assets=[(list(token), total)])
    send_paying(chain, [fund], [spend(tx, 1)], [(546, spendable(1))])
    released = 0
    for height in sorted(heights):
        while chain.next_height < height:
            chain.block()
        tx, effects = send_paying(
            chain, [call(vest, bytes([RELEASE]) + u32(0))], [chain.coin()], [(546, BENEFICIARY)]
        )
        due = vested_by_hand(total, height) - released
        assert abort_code(effects, tx) == (None if due else E_NOTHING)
        assert chain.balances(tx, 0) == ({tok: due} if due else {})
        released += due
        assert chain.custody(vest, tok) == total - released
