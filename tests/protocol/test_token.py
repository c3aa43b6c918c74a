"""The fungible token contract (spec §6): deploy, mint, transfer, burn, checked in order."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.tx import Transaction
from tests.protocol.builders import (
    AUTHORITY,
    BURN,
    CREDIT,
    DEBIT,
    DEPLOY,
    E_AMOUNT,
    E_OUTPOINT,
    E_TYPE,
    MINT,
    OP_RETURN_PLAIN,
    Chain,
    Code,
    burn,
    events_of,
    issuer_token,
    kinds,
    message_tx,
    mint,
    open_token,
    outpoint,
    rejection,
    spend,
    spendable,
    tid,
    transfer,
)
from tests.vectorgen.payloads import Op, deploy, message, terms

OUTS = [spendable(1), spendable(2), OP_RETURN_PLAIN, spendable(4)]  # after the carrier: 1, 2, 3, 4


def run(
    chain: Chain, *ops: Op, inputs: list[Any] | None = None, **kw: Any
) -> tuple[Transaction, int | None]:
    """One message transaction in its own block: carrier at output 0, then OUTS."""
    tx = message_tx(message(*ops, **kw), inputs or [chain.coin()], OUTS)
    return tx, rejection(chain.block(tx), tx)


def code_of(*ops: Op, chain: Chain | None = None, **kw: Any) -> int | None:
    return run(chain or Chain(), *ops, **kw)[1]


# --- deploy (§6.2) -------------------------------------------------------------------------


def test_open_mint_deploy_creates_the_token_and_ticker_records() -> None:
    chain = Chain(first_height=100)
    tx, code = run(chain, deploy("ABC", 1000, decimals=8, mint_terms=terms(10, 5)))
    assert code is None
    token = tid(100, 1)
    assert chain.token(token) == {
        0: "ABC", 1: 8, 2: 1000, 3: 0, 4: 0, 5: 0, 6: {0: 10, 1: 5}, 8: tx.txid
    }  # fmt: skip
    assert chain.ticker_owner("ABC") == token
    assert all(w.key[:1] != b"\x01" for w in chain.applied[-1].writes)


def test_ignored_odd_terms_keys_are_not_kept() -> None:
    chain = Chain(first_height=100)
    tx, code = run(chain, deploy("ODD", 9, mint_terms={0: 1, 1: 2, 5: "later", 7: [1]}))
    assert code is None
    assert chain.token(tid(100, 1))[6] == {0: 1, 1: 2}
    assert events_of(chain.applied[-1], tx)[0][8] == {0: 1, 1: 2}


def test_issuer_deploy_binds_authority_and_premine() -> None:
    chain = Chain(first_height=100)
    tx, code = run(chain, deploy("ISS", 5000, authority=2, premine=1200))
    assert code is None
    token = tid(100, 1)
    record = chain.token(token)
    assert (record[3], record[5], record[7]) == (1200, 0, outpoint(tx, 2))
    assert 6 not in record
    assert chain.balances(tx, 1) == {token: 1200}  # the premine goes to the target
    assert chain.authorities(tx, 2) == [token]
    assert events_of(chain.applied[-1], tx) == [
        {0: DEPLOY, 1: tx.txid, 3: token, 5: "ISS", 6: 0, 7: 5000},
        {0: AUTHORITY, 1: tx.txid, 3: token, 2: outpoint(tx, 2)},
        {0: MINT, 1: tx.txid, 3: token, 4: 1200, 2: outpoint(tx, 1)},
        {0: CREDIT, 1: tx.txid, 2: outpoint(tx, 1), 3: token, 4: 1200},
    ]


def test_state_records_are_byte_exact() -> None:
    chain = Chain(first_height=100)
    tx, _ = run(chain, deploy("ISS", 5000, authority=2, premine=1200))
    token = tid(100, 1)
    state = chain.state.snapshot()
    # §9.3: {0: [[token, 1200]]} and {1: [token]}
    assert state[b"\x01" + outpoint(tx, 1)] == b"\xa1\x00\x81\x82\x48" + token + b"\x19\x04\xb0"
    assert state[b"\x01" + outpoint(tx, 2)] == b"\xa1\x01\x81\x48" + token
    # §9.4: ticker, decimals, max supply, minted, burned, mints, authority, deploy txid
    assert state[b"\x02" + token] == (
        b"\xa8"
        + b"\x00\x63ISS"
        + b"\x01\x00"
        + b"\x02\x19\x13\x88"
        + b"\x03\x19\x04\xb0"
        + b"\x04\x00"
        + b"\x05\x00"
        + b"\x07\x58\x24" + outpoint(tx, 2)
        + b"\x08\x58\x20" + tx.txid
    )  # fmt: skip
    assert state[b"\x03ISS" + bytes(9)] == token
    assert len(state) == 4


def test_premine_output_and_authority_output_may_be_chosen() -> None:
    chain = Chain(first_height=100)
    tx, code = run(chain, deploy("ISS", 50, authority=4, premine=50, premine_out=2))
    assert code is None
    assert chain.balances(tx, 2) == {tid(100, 1): 50}
    assert chain.authorities(tx, 4) == [tid(100, 1)]
    assert chain.balances(tx, 1) == {}


def test_premine_follows_the_pointer_when_no_premine_output_is_given() -> None:
    chain = Chain(first_height=100)
    tx, code = run(chain, deploy("ISS", 50, authority=1, premine=7), pointer=4)
    assert code is None
    assert chain.balances(tx, 4) == {tid(100, 1): 7}


def test_token_id_counts_the_coinbase_and_earlier_transactions() -> None:
    chain = Chain(first_height=777)
    first = message_tx(message(deploy("ONE", 1, authority=1)), [chain.coin()])
    second = message_tx(message(deploy("TWO", 1, authority=1)), [chain.coin()])
    chain.block(first, second)
    assert chain.ticker_owner("ONE") == tid(777, 1)
    assert chain.ticker_owner("TWO") == tid(777, 2)


@pytest.mark.parametrize("ticker", ["ABC", "A1B", "Z99", "ABCDEFGHIJKL", "X0000000000Y"])
def test_valid_tickers(ticker: str) -> None:
    assert code_of(deploy(ticker, 1, authority=1)) is None


@pytest.mark.parametrize(
    "ticker",
    [
        "",
        "AB",
        "ABCDEFGHIJKLM",
        "abc",
        "Abc",
        "1AB",
        "A B",
        "AB-",
        "AB_",
        "\u00c4BC",
        "ABC\n",
        "\uff21BC",
    ],
)
def test_invalid_tickers(ticker: str) -> None:
    assert code_of(deploy(ticker, 1, authority=1)) == Code.INVALID_TICKER


def test_ticker_that_is_not_text_is_an_invalid_message() -> None:
    assert code_of({0: 1, 1: b"ABC", 3: 1, 5: 1}) == Code.INVALID_MESSAGE


@pytest.mark.parametrize(
    ("op", "code"),
    [
        pytest.param(deploy("DEC", 1, decimals=18, authority=1), None, id="decimals-18"),
        pytest.param(
            deploy("DEC", 1, decimals=19, authority=1), Code.INVALID_DEPLOY, id="decimals-19"
        ),
        pytest.param(
            deploy("DEC", 1, decimals=2**64, authority=1),
            Code.INTEGER_OUT_OF_RANGE,
            id="decimals-above-u64",
        ),
        pytest.param(deploy("MAX", 0, authority=1), Code.INVALID_DEPLOY, id="max-supply-0"),
        pytest.param(deploy("MAX", 2**128 - 1, authority=1), None, id="max-supply-u128"),
        pytest.param(
            deploy("MAX", 2**128, authority=1),
            Code.INTEGER_OUT_OF_RANGE,
            id="max-supply-above-u128",
        ),
        pytest.param({0: 1, 1: "MAX", 5: 1}, Code.INVALID_MESSAGE, id="max-supply-missing"),
        pytest.param(deploy("KND", 9), Code.INVALID_DEPLOY, id="neither-terms-nor-authority"),
        pytest.param(
            deploy("KND", 9, mint_terms=terms(1, 1), authority=1), Code.INVALID_DEPLOY, id="both"
        ),
        pytest.param(deploy("TRM", 9, mint_terms=terms(9, 1)), None, id="amount-equals-max"),
        pytest.param(
            deploy("TRM", 9, mint_terms=terms(10, 1)), Code.INVALID_DEPLOY, id="amount-above-max"
        ),
        pytest.param(deploy("TRM", 9, mint_terms=terms(0, 1)), Code.INVALID_AMOUNT, id="amount-0"),
        pytest.param(deploy("TRM", 9, mint_terms=terms(1, 0)), Code.INVALID_DEPLOY, id="cap-0"),
        pytest.param(
            deploy("TRM", 9, mint_terms=terms(1, 2**64)),
            Code.INTEGER_OUT_OF_RANGE,
            id="cap-above-u64",
        ),
        pytest.param(
            deploy("TRM", 9, mint_terms=terms(1, 1, 5, 5)), Code.INVALID_DEPLOY, id="empty-window"
        ),
        pytest.param(
            deploy("TRM", 9, mint_terms=terms(1, 1, 6, 5)),
            Code.INVALID_DEPLOY,
            id="reversed-window",
        ),
        pytest.param(deploy("TRM", 9, mint_terms=terms(1, 1, 5, 6)), None, id="one-block-window"),
        pytest.param(
            deploy("TRM", 9, mint_terms=terms(1, 1, 2**32)),
            Code.INTEGER_OUT_OF_RANGE,
            id="start-above-u32",
        ),
        pytest.param(
            deploy("TRM", 9, mint_terms={1: 1}), Code.INVALID_MESSAGE, id="terms-no-amount"
        ),
        pytest.param(deploy("TRM", 9, mint_terms={0: 1}), Code.INVALID_MESSAGE, id="terms-no-cap"),
        pytest.param(
            deploy("TRM", 9, mint_terms={0: 1, 1: 1, 4: 0}),
            Code.INVALID_MESSAGE,
            id="terms-even-key",
        ),
        pytest.param(deploy("TRM", 9, mint_terms={0: 1, 1: 1, 5: "x"}), None, id="terms-odd-key"),
        pytest.param({0: 1, 1: "TRM", 3: 9, 4: [1, 1]}, Code.INVALID_MESSAGE, id="terms-not-a-map"),
        pytest.param(deploy("PRE", 9, authority=1, premine=0), Code.INVALID_AMOUNT, id="premine-0"),
        pytest.param(
            deploy("PRE", 9, authority=1, premine_out=1),
            Code.INVALID_DEPLOY,
            id="premine-out-alone",
        ),
        pytest.param(deploy("PRE", 9, authority=1, premine=9), None, id="premine-equals-max"),
        pytest.param(
            deploy("PRE", 9, authority=1, premine=10), Code.SUPPLY_EXCEEDED, id="premine-above-max"
        ),
        pytest.param(
            deploy("PRE", 9, mint_terms=terms(1, 1), premine=3), None, id="open-mint-with-premine"
        ),
        pytest.param(
            deploy("OUT", 9, authority=3), Code.INVALID_OUTPUT, id="authority-to-op-return"
        ),
        pytest.param(
            deploy("OUT", 9, authority=5), Code.INVALID_OUTPUT, id="authority-out-of-range"
        ),
        pytest.param(deploy("OUT", 9, authority=0), Code.INVALID_OUTPUT, id="authority-to-carrier"),
        pytest.param(
            deploy("OUT", 9, authority=2**32), Code.INTEGER_OUT_OF_RANGE, id="authority-above-u32"
        ),
        pytest.param(
            deploy("OUT", 9, authority=1, premine=1, premine_out=3),
            Code.INVALID_OUTPUT,
            id="premine-to-op-return",
        ),
        pytest.param(
            deploy("OUT", 9, authority=1, premine=1, premine_out=9),
            Code.INVALID_OUTPUT,
            id="premine-out-of-range",
        ),
        pytest.param(
            {**deploy("KEY", 9, authority=1), 8: 0}, Code.INVALID_MESSAGE, id="unknown-even-key"
        ),
        pytest.param({**deploy("KEY", 9, authority=1), 9: [1]}, None, id="unknown-odd-key"),
    ],
)
def test_deploy_rules(op: Op, code: int | None) -> None:
    assert code_of(op) == code


@pytest.mark.parametrize(
    ("op", "code"),
    [
        pytest.param(
            deploy("DEC", 0, decimals=19, authority=1),
            Code.INVALID_DEPLOY,
            id="decimals-before-max",
        ),
        pytest.param(
            deploy("MAX", 0, authority=1, premine=0), Code.INVALID_DEPLOY, id="max-before-premine"
        ),
        pytest.param(deploy("KND", 0), Code.INVALID_DEPLOY, id="max-before-kind"),
        pytest.param(deploy("PRE", 9, premine=0), Code.INVALID_DEPLOY, id="kind-before-premine"),
        pytest.param(
            deploy("PRE", 9, authority=3, premine=10),
            Code.SUPPLY_EXCEEDED,
            id="supply-before-outputs",
        ),
        pytest.param(
            deploy("PRE", 9, authority=3, premine_out=1),
            Code.INVALID_DEPLOY,
            id="premine-out-before-outputs",
        ),
        pytest.param(deploy("abc", 0), Code.INVALID_TICKER, id="ticker-first-of-the-rules"),
        pytest.param(
            deploy("TRM", 9, mint_terms={0: 0, 1: "x"}),
            Code.INVALID_AMOUNT,
            id="terms-in-key-order",
        ),
        pytest.param(
            deploy("TRM", 9, mint_terms={0: 1, 1: 0, 3: 2**32}),
            Code.INTEGER_OUT_OF_RANGE,
            id="terms-reads-before-cap",
        ),
        pytest.param(
            deploy("TRM", 9, mint_terms={0: 1, 1: 0, 2: 5, 3: 5}),
            Code.INVALID_DEPLOY,
            id="terms-cap-before-window",
        ),
        pytest.param(
            deploy("TRM", 9, mint_terms={0: 1, 1: 1, 2: 5, 3: 5, 4: 0}),
            Code.INVALID_MESSAGE,
            id="terms-keys-first",
        ),
    ],
)
def test_deploy_checks_run_in_spec_order(op: Op, code: int) -> None:
    assert code_of(op) == code


@pytest.mark.parametrize(
    ("op", "code"),
    [
        pytest.param({0: 1, 1: "abc", 5: 1}, Code.INVALID_MESSAGE, id="max-supply-missing"),
        pytest.param(
            deploy("abc", 2**128, authority=1), Code.INTEGER_OUT_OF_RANGE, id="max-supply-too-big"
        ),
        pytest.param(
            deploy("abc", 9, mint_terms=terms(0, 1)), Code.INVALID_AMOUNT, id="terms-amount-0"
        ),
        pytest.param({**deploy("abc", 9), 5: "1"}, Code.INVALID_MESSAGE, id="authority-not-uint"),
    ],
)
def test_field_reads_come_before_the_ticker_rule(op: Op, code: int) -> None:
    assert code_of(op) == code


def test_ticker_taken_by_an_earlier_block() -> None:
    chain = Chain()
    run(chain, deploy("DUP", 1, authority=1))
    _, code = run(chain, deploy("DUP", 5, mint_terms=terms(1, 1)))
    assert code == Code.TICKER_TAKEN


def test_ticker_taken_by_an_earlier_transaction_in_the_same_block() -> None:
    chain = Chain(first_height=50)
    first = message_tx(message(deploy("DUP", 1, authority=1)), [chain.coin()])
    second = message_tx(message(deploy("DUP", 1, authority=1)), [chain.coin()])
    effects = chain.block(first, second)
    assert [rejection(effects, first), rejection(effects, second)] == [None, Code.TICKER_TAKEN]
    assert chain.ticker_owner("DUP") == tid(50, 1)


def test_rejected_deploy_does_not_take_its_ticker() -> None:
    chain = Chain()
    assert run(chain, deploy("FREE", 1, decimals=19, authority=1))[1] == Code.INVALID_DEPLOY
    assert chain.ticker_owner("FREE") is None
    assert run(chain, deploy("FREE", 1, authority=1))[1] is None


def test_one_deploy_per_message() -> None:
    chain = Chain()
    _, code = run(chain, deploy("ONE", 1, authority=1), deploy("TWO", 1, authority=1))
    assert code == Code.INVALID_DEPLOY
    assert chain.ticker_owner("ONE") is None and chain.ticker_owner("TWO") is None


def test_mint_in_the_deploying_message_is_unauthorized() -> None:
    chain = Chain(first_height=100)
    _, code = run(chain, deploy("ISS", 9, authority=1), mint((100, 1), 1))
    assert code == Code.UNAUTHORIZED


def test_premine_is_an_allocation_not_part_of_the_pool() -> None:
    chain = Chain(first_height=100)
    _, code = run(chain, deploy("ISS", 9, authority=1, premine=9), burn((100, 1), 4))
    assert code == Code.INSUFFICIENT_BALANCE
    assert chain.ticker_owner("ISS") is None


def test_deploy_and_other_operations_share_one_message() -> None:
    chain = Chain(first_height=100)
    held_tx, held = issuer_token(chain, premine=50, ticker="OLD")
    ops = (deploy("NEW", 9, authority=1, premine=9), burn(held, 4), transfer(held, 6, 4))
    tx, code = run(chain, *ops, inputs=[spend(held_tx, 1)])
    assert code is None
    old, new = tid(*held), tid(101, 1)
    assert chain.balances(tx, 1) == {old: 40, new: 9}
    assert chain.balances(tx, 4) == {old: 6}
    assert chain.authorities(tx, 1) == [new]
    assert (chain.token(old)[4], chain.token(new)[3]) == (4, 9)


# --- mint (§6.3) ---------------------------------------------------------------------------


def test_open_mint_with_and_without_amount() -> None:
    chain = Chain()
    tok = open_token(chain, amount=10, cap=5)
    tx, code = run(chain, mint(tok))
    assert code is None
    assert kinds(chain.applied[-1], tx) == [MINT, CREDIT]
    assert chain.balances(tx, 1) == {tid(*tok): 10}
    tx2, code2 = run(chain, mint(tok, 10, 4))
    assert code2 is None
    assert chain.balances(tx2, 4) == {tid(*tok): 10}
    record = chain.token(tid(*tok))
    assert (record[3], record[5]) == (20, 2)


@pytest.mark.parametrize(
    ("amount", "code"),
    [(9, Code.INVALID_AMOUNT), (11, Code.INVALID_AMOUNT), (0, Code.INVALID_AMOUNT)],
)
def test_open_mint_amount_must_equal_the_terms(amount: int, code: int) -> None:
    chain = Chain()
    tok = open_token(chain, amount=10)
    assert run(chain, mint(tok, amount))[1] == code


def test_open_mint_window_start_is_inclusive() -> None:
    chain = Chain(first_height=100)
    tok = open_token(chain, start=102)  # deployed at 100
    assert run(chain, mint(tok))[1] == Code.MINT_CLOSED  # height 101
    assert run(chain, mint(tok))[1] is None  # height 102


def test_open_mint_window_end_is_exclusive() -> None:
    chain = Chain(first_height=100)
    tok = open_token(chain, end=102)
    assert run(chain, mint(tok))[1] is None  # height 101
    assert run(chain, mint(tok))[1] == Code.MINT_CLOSED  # height 102
    assert chain.token(tid(*tok))[5] == 1


def test_open_mint_cap_counts_mints() -> None:
    chain = Chain()
    tok = open_token(chain, amount=1, cap=2)
    assert [run(chain, mint(tok))[1] for _ in range(3)] == [None, None, Code.MINT_CAP_REACHED]


def test_cap_reached_inside_one_message_rejects_the_whole_message() -> None:
    chain = Chain()
    tok = open_token(chain, amount=1, cap=1)
    assert run(chain, mint(tok), mint(tok))[1] == Code.MINT_CAP_REACHED
    assert chain.token(tid(*tok))[5] == 0
    assert run(chain, mint(tok))[1] is None


def test_open_mint_supply_counts_the_premine() -> None:
    chain = Chain()
    _, code = run(chain, deploy("PRE", 25, mint_terms=terms(10, 9), premine=10))
    assert code is None
    tok = (chain.next_height - 1, 1)
    assert [run(chain, mint(tok))[1] for _ in range(2)] == [None, Code.SUPPLY_EXCEEDED]
    assert chain.token(tid(*tok))[3] == 20


def test_mint_check_order() -> None:
    chain = Chain()
    tok = open_token(chain, amount=10)
    assert run(chain, mint((1, 1), 10, 99))[1] == Code.UNKNOWN_TOKEN  # token before output
    assert run(chain, mint(tok, 3, 3))[1] == Code.INVALID_OUTPUT  # output before amount
    assert run(chain, mint(tok, 10, 9))[1] == Code.INVALID_OUTPUT
    assert run(chain, {**mint(tok), 4: 0})[1] == Code.INVALID_MESSAGE
    assert run(chain, {**mint(tok), 5: 0})[1] is None
    assert run(chain, mint(tok, 0, 2**32))[1] == Code.INVALID_AMOUNT  # zero named as it is read


def test_issuer_mint_needs_the_authority_spent() -> None:
    chain = Chain(first_height=100)
    deploy_tx, tok = issuer_token(chain, premine=100, max_supply=1000)
    assert run(chain, mint(tok, 5))[1] == Code.UNAUTHORIZED
    tx, code = run(chain, mint(tok, 5, 4), inputs=[spend(deploy_tx, 2)])
    assert code is None
    assert events_of(chain.applied[-1], tx) == [
        {0: MINT, 1: tx.txid, 3: tid(*tok), 4: 5, 2: outpoint(tx, 4)},
        {0: CREDIT, 1: tx.txid, 2: outpoint(tx, 4), 3: tid(*tok), 4: 5},
        {0: AUTHORITY, 1: tx.txid, 3: tid(*tok), 2: outpoint(tx, 1)},
    ]
    record = chain.token(tid(*tok))
    assert (record[3], record[5], record[7]) == (105, 1, outpoint(tx, 1))
    # the authority now lives on tx:1, so spending the old outpoint's neighbour does not help
    assert run(chain, mint(tok, 5), inputs=[spend(tx, 4)])[1] == Code.UNAUTHORIZED
    assert run(chain, mint(tok, 5), inputs=[spend(tx, 1)])[1] is None


def test_issuer_mint_needs_an_amount_even_with_the_authority() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain)
    assert run(chain, mint(tok), inputs=[spend(deploy_tx, 2)])[1] == Code.INVALID_MESSAGE


def test_issuer_mint_is_capped_by_max_supply() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=990, max_supply=1000)
    tx, code = run(chain, mint(tok, 11), inputs=[spend(deploy_tx, 2)])
    assert code == Code.SUPPLY_EXCEEDED
    assert chain.authorities(tx, 1) == [tid(*tok)]  # the authority still moved
    assert run(chain, mint(tok, 10), inputs=[spend(tx, 1)])[1] is None


def test_authority_follows_the_pointer() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain)
    tx, code = run(chain, mint(tok, 1), inputs=[spend(deploy_tx, 2)], pointer=4)
    assert code is None
    assert chain.authorities(tx, 4) == [tid(*tok)]
    assert chain.balances(tx, 4) == {tid(*tok): 1}


# --- transfer (§6.4) -----------------------------------------------------------------------


def test_transfer_splits_and_leftovers_go_to_the_target() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx, code = run(
        chain, transfer(tok, 300, 2), transfer(tok, 100, 2), inputs=[spend(deploy_tx, 1)]
    )
    assert code is None
    got = [(e[E_TYPE], e[E_OUTPOINT], e[E_AMOUNT]) for e in events_of(chain.applied[-1], tx)]
    assert got == [
        (DEBIT, outpoint(deploy_tx, 1), 1000),
        (CREDIT, outpoint(tx, 1), 600),
        (CREDIT, outpoint(tx, 2), 400),
    ]


@pytest.mark.parametrize(
    ("op_for", "code"),
    [
        pytest.param(
            lambda t: transfer(t, 1001, 2), Code.INSUFFICIENT_BALANCE, id="more-than-pool"
        ),
        pytest.param(lambda t: transfer(t, 1, 3), Code.INVALID_OUTPUT, id="to-op-return"),
        pytest.param(lambda t: transfer(t, 1, 0), Code.INVALID_OUTPUT, id="to-the-carrier"),
        pytest.param(lambda t: transfer(t, 1, 5), Code.INVALID_OUTPUT, id="out-of-range"),
        pytest.param(lambda t: transfer(t, 0, 2), Code.INVALID_AMOUNT, id="zero"),
        pytest.param(lambda t: transfer(t, 2**128, 2), Code.INTEGER_OUT_OF_RANGE, id="above-u128"),
        pytest.param(lambda t: {0: 3, 1: list(t), 2: 1}, Code.INVALID_MESSAGE, id="no-output"),
        pytest.param(lambda t: transfer((9, 9), 1, 2), Code.UNKNOWN_TOKEN, id="unknown-token"),
        pytest.param(
            lambda t: transfer((9, 9), 1, 3), Code.UNKNOWN_TOKEN, id="token-before-output"
        ),
        pytest.param(
            lambda t: transfer(t, 5000, 3), Code.INVALID_OUTPUT, id="output-before-balance"
        ),
        pytest.param(lambda t: {**transfer(t, 1, 2), 4: 1}, Code.INVALID_MESSAGE, id="even-key"),
        pytest.param(
            lambda t: {0: 3, 1: list(t), 2: 0, 3: "x"}, Code.INVALID_AMOUNT, id="zero-as-read"
        ),
        pytest.param(
            lambda t: {0: 3, 1: [2**32, 0], 2: 0}, Code.INTEGER_OUT_OF_RANGE, id="token-read-first"
        ),
    ],
)
def test_transfer_rules(op_for: Any, code: int) -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx, got = run(chain, op_for(tok), inputs=[spend(deploy_tx, 1)])
    assert got == code
    assert chain.balances(tx, 1) == {tid(*tok): 1000}  # rejected: all to the default output


def test_transfer_of_a_token_the_inputs_do_not_hold() -> None:
    chain = Chain()
    _, tok = issuer_token(chain, premine=1000)
    assert run(chain, transfer(tok, 1, 1))[1] == Code.INSUFFICIENT_BALANCE


# --- burn (§6.5) ---------------------------------------------------------------------------


def test_burn_reduces_supply_and_leaves_the_rest_to_the_target() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx, code = run(chain, burn(tok, 250), inputs=[spend(deploy_tx, 1)])
    assert code is None
    assert [e for e in events_of(chain.applied[-1], tx) if e[E_TYPE] == BURN] == [
        {0: BURN, 1: tx.txid, 3: tid(*tok), 4: 250, 10: 0}
    ]
    assert chain.token(tid(*tok))[4] == 250
    assert chain.balances(tx, 1) == {tid(*tok): 750}


def test_burning_everything_needs_no_spendable_output() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx = message_tx(message(burn(tok, 1000)), [spend(deploy_tx, 1)], [OP_RETURN_PLAIN])
    effects = chain.block(tx)
    assert kinds(effects, tx) == [DEBIT, BURN]
    assert chain.token(tid(*tok))[4] == 1000


@pytest.mark.parametrize(
    ("op_for", "code"),
    [
        pytest.param(lambda t: burn(t, 1001), Code.INSUFFICIENT_BALANCE, id="more-than-pool"),
        pytest.param(lambda t: burn(t, 0), Code.INVALID_AMOUNT, id="zero"),
        pytest.param(lambda t: burn((9, 9), 1), Code.UNKNOWN_TOKEN, id="unknown-token"),
        pytest.param(lambda t: {0: 4, 1: list(t)}, Code.INVALID_MESSAGE, id="no-amount"),
        pytest.param(lambda t: {**burn(t, 1), 3: 1}, None, id="odd-key-3-ignored"),
        pytest.param(lambda t: {**burn(t, 1), 6: 1}, Code.INVALID_MESSAGE, id="even-key"),
        pytest.param(lambda t: {0: 4, 1: [1], 2: 1}, Code.INVALID_MESSAGE, id="bad-token-shape"),
    ],
)
def test_burn_rules(op_for: Any, code: int) -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    assert run(chain, op_for(tok), inputs=[spend(deploy_tx, 1)])[1] == code
    assert chain.token(tid(*tok))[4] == (1 if code is None else 0)


def test_authority_deployed_earlier_in_the_block_can_mint_later_in_it() -> None:
    chain = Chain(first_height=100)
    first = message_tx(message(deploy("NOW", 100, authority=1)), [chain.coin()])
    second = message_tx(message(mint((100, 1), 60, 1)), [spend(first, 1)])
    effects = chain.block(first, second)
    assert [rejection(effects, first), rejection(effects, second)] == [None, None]
    assert chain.balances(second, 1) == {tid(100, 1): 60}
    assert chain.authorities(second, 1) == [tid(100, 1)]
    assert chain.token(tid(100, 1))[7] == outpoint(second, 1)
