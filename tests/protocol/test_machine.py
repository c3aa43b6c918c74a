"""The core transaction algorithm (spec §7): pools, settlement, rejection, blocks, undo."""

from __future__ import annotations

import hashlib

from protocol.contracts import v1_machine
from protocol.state import MemoryState
from protocol.tx import parse_transaction
from tests.protocol.builders import (
    AUTHORITY,
    BURN,
    CREDIT,
    DEBIT,
    E_AMOUNT,
    E_CAUSE,
    E_OUTPOINT,
    E_TOKEN,
    E_TYPE,
    MINT,
    OP_RETURN_HEAD,
    OP_RETURN_PLAIN,
    REJECTED,
    Chain,
    Code,
    In,
    block_hash,
    burn,
    coinbase,
    events_of,
    issuer_token,
    kinds,
    mainnet_block,
    make_tx,
    message_tx,
    mint,
    outpoint,
    rejection,
    script_path,
    spend,
    spendable,
    tapscript,
    tid,
    transfer,
)
from tests.vectorgen.payloads import deploy, message, terms
from tests.vectorgen.script import envelope, push


def test_transaction_without_message_or_assets_has_no_effect() -> None:
    chain = Chain()
    issuer_token(chain)
    effects = chain.block(make_tx([chain.coin()], [spendable(5)]))
    assert effects.events == () and effects.writes == ()


def test_spending_token_utxo_without_message_moves_everything_to_the_default_output() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx = make_tx([spend(deploy_tx, 1), chain.coin()], [OP_RETURN_PLAIN, spendable(7), spendable(8)])
    effects = chain.block(tx)
    assert events_of(effects, tx) == [
        {0: DEBIT, 1: tx.txid, 2: outpoint(deploy_tx, 1), 3: tid(*tok), 4: 1000},
        {0: CREDIT, 1: tx.txid, 2: outpoint(tx, 1), 3: tid(*tok), 4: 1000},
    ]
    assert chain.balances(deploy_tx, 1) == {}
    assert chain.balances(tx, 1) == {tid(*tok): 1000}
    assert chain.balances(tx, 2) == {}


def test_authority_spent_without_message_moves_to_the_default_output() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain)
    tx = make_tx([spend(deploy_tx, 2)], [OP_RETURN_PLAIN, spendable(7)])
    effects = chain.block(tx)
    assert events_of(effects, tx) == [
        {0: AUTHORITY, 1: tx.txid, 3: tid(*tok), 2: outpoint(tx, 1)},
    ]
    assert chain.authorities(deploy_tx, 2) == []
    assert chain.authorities(tx, 1) == [tid(*tok)]
    assert chain.token(tid(*tok))[7] == outpoint(tx, 1)


def test_no_spendable_output_burns_leftovers_and_destroys_authorities() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx = make_tx([spend(deploy_tx, 1), spend(deploy_tx, 2)], [OP_RETURN_PLAIN])
    effects = chain.block(tx)
    token = tid(*tok)
    assert events_of(effects, tx) == [
        {0: DEBIT, 1: tx.txid, 2: outpoint(deploy_tx, 1), 3: token, 4: 1000},
        {0: BURN, 1: tx.txid, 3: token, 4: 1000, 10: 1},
        {0: AUTHORITY, 1: tx.txid, 3: token},
    ]
    record = chain.token(token)
    assert (record[3], record[4]) == (1000, 1000)
    assert 7 not in record
    assert [w.value for w in effects.writes if w.key[:1] == b"\x01"] == [None, None]


def test_destroyed_authority_can_never_mint_again() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain)
    chain.block(make_tx([spend(deploy_tx, 2)], [OP_RETURN_PLAIN]))
    tx = message_tx(message(mint(tok, 5)), [chain.coin()])
    assert rejection(chain.block(tx), tx) == Code.UNAUTHORIZED


def test_accepted_message_sends_leftovers_to_the_pointer() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    payload = message(transfer(tok, 100, 1), pointer=3)
    tx = message_tx(payload, [spend(deploy_tx, 1)], [spendable(1), spendable(2), spendable(3)])
    effects = chain.block(tx)
    assert rejection(effects, tx) is None
    assert chain.balances(tx, 1) == {tid(*tok): 100}
    assert chain.balances(tx, 3) == {tid(*tok): 900}
    assert chain.balances(tx, 2) == {}


def test_message_without_operations_still_redirects_to_the_pointer() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx = message_tx(
        message(pointer=2), [spend(deploy_tx, 1), spend(deploy_tx, 2)], [spendable(1), spendable(2)]
    )
    chain.block(tx)
    assert chain.balances(tx, 2) == {tid(*tok): 1000}
    assert chain.authorities(tx, 2) == [tid(*tok)]


def test_rejected_message_settles_to_the_default_output_ignoring_the_pointer() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    payload = message(transfer(tok, 5000, 2), pointer=2)
    tx = message_tx(
        payload, [spend(deploy_tx, 1), spend(deploy_tx, 2)], [spendable(1), spendable(2)]
    )
    effects = chain.block(tx)
    assert rejection(effects, tx) == Code.INSUFFICIENT_BALANCE
    assert kinds(effects, tx) == [DEBIT, REJECTED, CREDIT, AUTHORITY]
    assert chain.balances(tx, 1) == {tid(*tok): 1000}
    assert chain.authorities(tx, 1) == [tid(*tok)]
    assert chain.balances(tx, 2) == {} and chain.authorities(tx, 2) == []


def test_rejected_message_with_no_spendable_output_burns_with_cause_one() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx = make_tx([spend(deploy_tx, 1)], [OP_RETURN_HEAD + push(message(burn(tok, 1), version=9))])
    effects = chain.block(tx)
    assert rejection(effects, tx) == Code.UNSUPPORTED_VERSION
    burns = [e for e in events_of(effects, tx) if e[E_TYPE] == BURN]
    assert [(e[E_AMOUNT], e[E_CAUSE]) for e in burns] == [(1000, 1)]
    assert chain.token(tid(*tok))[4] == 1000


def test_pointer_must_name_a_spendable_output() -> None:
    chain = Chain()
    for pointer in (0, 2, 2**32 - 1):  # 0 is the carrier (OP_RETURN); the tx has outputs 0..1
        tx = message_tx(message(pointer=pointer), [chain.coin()])
        assert rejection(chain.block(tx), tx) == Code.INVALID_OUTPUT


def test_unknown_operation_codes_reject_before_the_pointer_is_checked() -> None:
    chain = Chain()
    for code in (0, 5, 2**64 - 1):
        tx = message_tx(message({0: code}, pointer=99), [chain.coin()])
        assert rejection(chain.block(tx), tx) == Code.UNKNOWN_OPERATION


def test_unknown_operation_is_named_before_any_operation_is_read() -> None:
    chain = Chain()
    tx = message_tx(message({0: 3, 1: "not a token id"}, {0: 5}), [chain.coin()])
    assert rejection(chain.block(tx), tx) == Code.UNKNOWN_OPERATION


def test_empty_payload_is_invalid_cbor() -> None:
    chain = Chain()
    tx = make_tx([chain.coin()], [OP_RETURN_HEAD, spendable(1)])
    assert rejection(chain.block(tx), tx) == Code.INVALID_CBOR


def test_unsupported_version_settles_balances_to_the_default_output() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    payload = message(transfer(tok, 1, 2), version=2, pointer=2)
    tx = message_tx(payload, [spend(deploy_tx, 1)], [spendable(1), spendable(2)])
    assert rejection(chain.block(tx), tx) == Code.UNSUPPORTED_VERSION
    assert chain.balances(tx, 1) == {tid(*tok): 1000}


def test_unknown_operation_after_valid_ones_rejects_them_all() -> None:
    chain = Chain()
    tx = message_tx(message(deploy("ATOM", 100, authority=1), {0: 9}), [chain.coin()])
    effects = chain.block(tx)
    assert rejection(effects, tx) == Code.UNKNOWN_OPERATION
    assert chain.ticker_owner("ATOM") is None
    assert effects.writes == ()


def test_failed_second_operation_undoes_the_first() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    ops = (burn(tok, 400), transfer(tok, 100, 2), burn(tok, 600))  # needs 1,100 of 1,000
    tx = message_tx(message(*ops), [spend(deploy_tx, 1)], [spendable(1), spendable(2)])
    effects = chain.block(tx)
    assert rejection(effects, tx) == Code.INSUFFICIENT_BALANCE
    assert kinds(effects, tx) == [DEBIT, REJECTED, CREDIT]
    assert chain.token(tid(*tok))[4] == 0
    assert chain.balances(tx, 1) == {tid(*tok): 1000}
    assert chain.balances(tx, 2) == {}


def test_multiple_carriers_reject_and_still_settle_balances() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    payload = message(transfer(tok, 1, 2))
    outputs = [
        OP_RETURN_HEAD + push(payload),
        spendable(1),
        OP_RETURN_HEAD + push(payload),
        spendable(2),
    ]
    tx = make_tx([spend(deploy_tx, 1)], outputs)
    effects = chain.block(tx)
    assert rejection(effects, tx) == Code.MULTIPLE_CARRIERS
    assert chain.balances(tx, 1) == {tid(*tok): 1000}


def test_envelope_carried_message_is_applied() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    payload = message(transfer(tok, 250, 1))
    witness = script_path(tapscript(envelope(payload, 7)))
    tx = make_tx([In(deploy_tx.txid, 1, witness)], [spendable(0), spendable(1)])
    effects = chain.block(tx)
    assert rejection(effects, tx) is None
    assert chain.balances(tx, 0) == {tid(*tok): 750}
    assert chain.balances(tx, 1) == {tid(*tok): 250}


def test_events_follow_the_spec_order_within_a_transaction() -> None:
    chain = Chain()
    a_tx, a = issuer_token(chain, premine=500, ticker="AAA")
    b_tx, b = issuer_token(chain, premine=700, ticker="BBB")
    ops = (burn(b, 100), mint(a, 5, 2), transfer(a, 50, 3), transfer(b, 70, 1))
    inputs = [spend(b_tx, 1), spend(a_tx, 1), spend(a_tx, 2)]
    tx = message_tx(message(*ops), inputs, [spendable(1), spendable(2), spendable(3)])
    effects = chain.block(tx)
    ta, tb = tid(*a), tid(*b)
    got = [
        (e[E_TYPE], e.get(E_OUTPOINT), e[E_TOKEN], e.get(E_AMOUNT)) for e in events_of(effects, tx)
    ]
    assert got == [
        (DEBIT, outpoint(b_tx, 1), tb, 700),  # inputs in input order
        (DEBIT, outpoint(a_tx, 1), ta, 500),
        (BURN, None, tb, 100),  # operations in order
        (MINT, outpoint(tx, 2), ta, 5),
        (CREDIT, outpoint(tx, 1), ta, 450),  # credits: output, then token id
        (CREDIT, outpoint(tx, 1), tb, 600),
        (CREDIT, outpoint(tx, 2), ta, 5),
        (CREDIT, outpoint(tx, 3), ta, 50),
        (AUTHORITY, outpoint(tx, 1), ta, None),  # authority moves last
    ]


def test_debits_list_tokens_in_ascending_id_within_an_input() -> None:
    chain = Chain()
    a_tx, a = issuer_token(chain, premine=5, ticker="AAA")
    b_tx, b = issuer_token(chain, premine=7, ticker="BBB")
    # gather both onto one output, then spend it
    merge = make_tx([spend(b_tx, 1), spend(a_tx, 1)], [spendable(1)])
    chain.block(merge)
    tx = make_tx([spend(merge, 0)], [spendable(2)])
    effects = chain.block(tx)
    debits = [(e[E_TOKEN], e[E_AMOUNT]) for e in events_of(effects, tx) if e[E_TYPE] == DEBIT]
    assert debits == [(tid(*a), 5), (tid(*b), 7)]


def test_outputs_created_earlier_in_a_block_can_be_spent_later_in_it() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    first = message_tx(
        message(transfer(tok, 400, 2)), [spend(deploy_tx, 1)], [spendable(1), spendable(2)]
    )
    second = make_tx([spend(first, 2)], [spendable(3)])
    third = message_tx(message(burn(tok, 100)), [spend(second, 0)], [spendable(4)])
    effects = chain.block(first, second, third)
    assert [rejection(effects, tx) for tx in (first, second, third)] == [None, None, None]
    assert chain.balances(first, 1) == {tid(*tok): 600}
    assert chain.balances(first, 2) == {} and chain.balances(second, 0) == {}
    assert chain.balances(third, 1) == {tid(*tok): 300}
    # outputs created and spent inside the block never reach the writes
    written = {w.key for w in effects.writes if w.value is not None and w.key[:1] == b"\x01"}
    assert written == {b"\x01" + outpoint(first, 1), b"\x01" + outpoint(third, 1)}
    assert dict(effects.outputs) == {
        outpoint(first, 1): spendable(1),
        outpoint(third, 1): spendable(4),
    }


def test_coinbase_is_ignored_even_with_a_carrier() -> None:
    machine = v1_machine()
    payload = message(deploy("COIN", 100, authority=0))
    cb = coinbase(200, [spendable(0), OP_RETURN_HEAD + push(payload)])
    assert cb.is_coinbase
    effects = machine.apply_block(MemoryState(), bytes(32), 200, block_hash(200), [(0, cb)])
    assert effects.events == () and effects.writes == ()


def test_applying_then_undoing_blocks_restores_each_state_exactly() -> None:
    chain = Chain()
    snapshots = [chain.state.snapshot()]
    deploy_tx, tok = issuer_token(chain, premine=1000)
    snapshots.append(chain.state.snapshot())
    split = message_tx(
        message(transfer(tok, 10, 2)), [spend(deploy_tx, 1)], [spendable(1), spendable(2)]
    )
    minted = message_tx(message(mint(tok, 50)), [spend(deploy_tx, 2)])
    chain.block(split, minted)
    snapshots.append(chain.state.snapshot())
    chain.block(make_tx([spend(split, 1), spend(minted, 1)], [OP_RETURN_PLAIN]))
    assert chain.state.snapshot() != snapshots[-1]
    for expected in reversed(snapshots):
        chain.undo_last()
        assert chain.state.snapshot() == expected
    assert chain.applied == []


def test_same_block_on_two_copies_gives_identical_effects() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    tx = message_tx(
        message(burn(tok, 3), transfer(tok, 4, 2)),
        [spend(deploy_tx, 1)],
        [spendable(1), spendable(2)],
    )
    block = [(0, coinbase(101)), (1, tx)]
    base = chain.state.snapshot()
    one = v1_machine().apply_block(MemoryState(base), chain.state_hash, 101, block_hash(101), block)
    two = v1_machine().apply_block(MemoryState(base), chain.state_hash, 101, block_hash(101), block)
    assert one == two
    assert one.events  # the block did something


def test_real_mainnet_block_changes_nothing() -> None:
    hash_, raws = mainnet_block("mainnet-702861.raw")
    block = [(i, parse_transaction(raw)) for i, raw in enumerate(raws)]
    effects = v1_machine().apply_block(MemoryState(), bytes(32), 702_861, hash_, block)
    empty = hashlib.sha256(b"\x80").digest()
    assert effects.events == () and effects.writes == () and effects.events_hash == empty
    assert effects.state_root == bytes(32)
    assert effects.state_hash == hashlib.sha256(bytes(32) + hash_ + empty + bytes(32)).digest()


def test_irrelevant_transactions_may_be_skipped() -> None:
    chain = Chain()
    deploy_tx, _ = issuer_token(chain, premine=1000)
    noise = [make_tx([chain.coin()], [spendable(i)]) for i in range(3)]
    moved = make_tx([spend(deploy_tx, 1)], [spendable(9)])
    full = chain.peek(noise[0], moved, noise[1], noise[2])
    height = chain.next_height
    sparse = chain.machine.apply_block(
        chain.state, chain.state_hash, height, block_hash(height), [(2, moved)]
    )
    assert sparse == full


def test_open_mint_terms_event_and_window_field_order() -> None:
    chain = Chain(first_height=300)
    tx = message_tx(
        message(deploy("WIN", 100, mint_terms=terms(1, 2, start=301, end=400))), [chain.coin()]
    )
    effects = chain.block(tx)
    assert events_of(effects, tx)[0][8] == {0: 1, 1: 2, 2: 301, 3: 400}


def test_several_authorities_move_together_in_collected_order() -> None:
    chain = Chain()
    a_tx, a = issuer_token(chain, ticker="AAA")
    b_tx, b = issuer_token(chain, ticker="BBB")
    merged = make_tx([spend(b_tx, 2), spend(a_tx, 2)], [spendable(1)])
    effects = chain.block(merged)
    # input order: b's authority first, then a's
    assert [e[E_TOKEN] for e in events_of(effects, merged)] == [tid(*b), tid(*a)]
    assert chain.authorities(merged, 0) == [tid(*a), tid(*b)]  # the record sorts them
    onward = make_tx([spend(merged, 0)], [OP_RETURN_PLAIN, spendable(2)])
    effects = chain.block(onward)
    assert events_of(effects, onward) == [
        {0: AUTHORITY, 1: onward.txid, 3: tid(*a), 2: outpoint(onward, 1)},
        {0: AUTHORITY, 1: onward.txid, 3: tid(*b), 2: outpoint(onward, 1)},
    ]
    assert chain.token(tid(*a))[7] == chain.token(tid(*b))[7] == outpoint(onward, 1)
