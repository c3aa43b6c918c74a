"""Machine.begin_block: a block applied one transaction at a time, as the follow loop does."""

from __future__ import annotations

import pytest

from protocol.machine import outpoint as protocol_outpoint
from tests.protocol.builders import (
    Chain,
    block_hash,
    issuer_token,
    make_tx,
    message_tx,
    outpoint,
    spend,
    spendable,
    transfer,
)
from tests.vectorgen.payloads import message


def test_credited_names_the_outputs_bound_so_far_spent_or_not() -> None:
    chain = Chain()
    deploy_tx, tok = issuer_token(chain, premine=1000)
    first = message_tx(
        message(transfer(tok, 400, 2)), [spend(deploy_tx, 1)], [spendable(1), spendable(2)]
    )
    second = make_tx([spend(first, 2)], [spendable(3)])
    height = chain.next_height
    application = chain.machine.begin_block(
        chain.state, chain.state_hash, height, block_hash(height)
    )
    application.apply(1, first)
    # Both outputs of `first` hold tokens (the transfer's 400 and the leftover 600).
    assert application.credited(outpoint(first, 1)) and application.credited(outpoint(first, 2))
    assert not application.credited(outpoint(first, 0))  # the OP_RETURN carrier
    application.apply(2, second)
    assert application.credited(outpoint(first, 2))  # spent since, still "credited"
    assert application.credited(outpoint(second, 0))
    assert outpoint(first, 1) == protocol_outpoint(first.txid, 1)
    # One at a time gives what apply_block gives for the same transactions.
    assert application.finish() == chain.peek(first, second)


def test_transactions_must_come_in_block_order_and_effects_are_taken_once() -> None:
    chain = Chain()
    deploy_tx, _ = issuer_token(chain, premine=10)
    height = chain.next_height
    application = chain.machine.begin_block(
        chain.state, chain.state_hash, height, block_hash(height)
    )
    application.apply(3, make_tx([spend(deploy_tx, 1)], [spendable(1)]))
    with pytest.raises(ValueError, match="not in order"):
        application.apply(3, make_tx([chain.coin()], [spendable(2)]))
    with pytest.raises(ValueError, match="not in order"):
        application.apply(2, make_tx([chain.coin()], [spendable(2)]))
    application.finish()
    with pytest.raises(RuntimeError, match="already taken"):
        application.apply(4, make_tx([chain.coin()], [spendable(2)]))
