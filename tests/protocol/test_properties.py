"""Properties of the machine over random chains of real transactions (spec §7, §11, §12).

A scenario is a few blocks of random transactions: random inputs drawn from the live
protocol outpoints (including outputs made earlier in the same block), random outputs
(some OP_RETURN), and random messages of deploy/mint/transfer/burn operations in
OP_RETURN or envelope carriers. Most operations are rejected; enough succeed that every
path is walked. The invariants are checked against the state and against a replay of the
event log decoded with cbor2, never against the machine's own bookkeeping.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.contracts import v1_machine
from protocol.state import BlockEffects, MemoryState
from protocol.tx import Transaction
from tests.protocol.builders import (
    BURN,
    CREDIT,
    DEBIT,
    MINT,
    OP_RETURN_HEAD,
    OP_RETURN_PLAIN,
    REJECTED,
    Chain,
    In,
    block_hash,
    coinbase,
    control_block,
    events,
    issuer_token,
    make_tx,
    op_return_script,
    script_path,
    spend,
    spendable,
    tapscript,
)
from tests.vectorgen.payloads import message
from tests.vectorgen.script import ENVELOPE_OPEN, OP_ENDIF, envelope, push

FIRST_HEIGHT = 100
TICKERS = ("AAA", "BBB", "CCC")
BOGUS_TOKEN = (9, 9)
PROFILE = settings.get_profile(
    "thorough" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "ci"
)  # registered in conftest.py
BASE = PROFILE.max_examples  # 100 under ci

Outpoint = tuple[bytes, int]


# --- scenario generation -------------------------------------------------------------------


def live_outpoints(state: MemoryState) -> list[Outpoint]:
    return [
        (k[1:33], int.from_bytes(k[33:37], "big")) for k, _ in state.items() if k[:1] == b"\x01"
    ]


def known_tokens(state: MemoryState) -> list[tuple[int, int]]:
    return [
        (int.from_bytes(k[1:5], "big"), int.from_bytes(k[5:9], "big"))
        for k, _ in state.items()
        if k[:1] == b"\x02"
    ]


def amounts(typical: int) -> st.SearchStrategy[int]:
    """Mostly plausible amounts; one draw in sixteen is zero or past a bound."""
    extreme = st.sampled_from([0, 2**64, 2**128 - 1, 2**128])
    return st.integers(0, 15).flatmap(
        lambda roll: extreme if roll == 0 else st.integers(1, typical)
    )


def outputs_to_name(outputs: list[bytes]) -> st.SearchStrategy[int]:
    """Mostly a spendable output; one draw in eight any index, out of range included."""
    good = [i for i, script in enumerate(outputs) if script[:1] != b"\x6a"] or [0]
    return st.integers(0, 7).flatmap(
        lambda roll: st.integers(0, len(outputs)) if roll == 0 else st.sampled_from(good)
    )


def operations(
    tokens: list[tuple[int, int]], held: list[tuple[int, int]], outputs: list[bytes], height: int
) -> st.SearchStrategy[dict[int, Any]]:
    """Operations that are mostly well-formed, so that most paths get past the field checks."""
    output = outputs_to_name(outputs)
    likely = held or tokens
    token = (
        st.integers(0, 9)
        .flatmap(
            lambda roll: (
                st.just(BOGUS_TOKEN)
                if roll == 0
                else st.sampled_from(tokens if roll < 4 else likely)
            )
        )
        .map(list)
    )
    start = st.integers(height - 1, height + 1)
    terms = st.fixed_dictionaries(
        {0: st.integers(1, 60), 1: st.integers(1, 4)},
        optional={2: start, 3: st.integers(height + 1, height + 4)},
    )
    common = {
        0: st.just(1),
        1: st.sampled_from(TICKERS),
        3: st.sampled_from([1, 500, 500, 10**6, 10**6]),
    }
    premine = st.fixed_dictionaries({6: amounts(400)}, optional={7: output})
    kind = st.fixed_dictionaries({4: terms}) | st.fixed_dictionaries({5: output})
    deploy = st.builds(
        lambda op, kind_field, pre: {**op, **kind_field, **pre},
        st.fixed_dictionaries(common, optional={2: st.integers(0, 19)}),
        kind,
        st.just({}) | premine,
    )
    mint = st.fixed_dictionaries({0: st.just(2), 1: token}, optional={2: amounts(100), 3: output})
    transfer = st.fixed_dictionaries({0: st.just(3), 1: token, 2: amounts(120), 3: output})
    burn = st.fixed_dictionaries({0: st.just(4), 1: token, 2: amounts(60)})
    if tokens == [BOGUS_TOKEN]:
        return deploy
    return st.one_of(deploy, deploy, mint, mint, transfer, transfer, transfer, burn, burn)


@st.composite
def transaction(
    draw: st.DrawFn, chain: Chain, created: list[Outpoint], spent: set[Outpoint], index: int
) -> Transaction:
    """One random transaction for the block being built at ``chain.next_height``."""
    candidates = sorted(set(live_outpoints(chain.state)) | set(created) - spent)
    chosen: list[Outpoint] = (
        draw(st.lists(st.sampled_from(candidates), unique=True, min_size=1, max_size=3))
        if candidates
        else []
    )
    spent.update(chosen)
    scripts = [spendable(1), spendable(2), spendable(3)] * 2 + [OP_RETURN_PLAIN]
    outputs = draw(st.lists(st.sampled_from(scripts), min_size=1, max_size=3))
    height = chain.next_height
    tokens = known_tokens(chain.state) or [BOGUS_TOKEN]
    carrier = draw(st.sampled_from(["none", "op_return", "op_return", "envelope"]))
    fresh = chain.coin()
    inputs = [In(txid, vout) for txid, vout in chosen]
    if carrier == "op_return":
        outputs = [OP_RETURN_PLAIN, *outputs]  # stands in for the carrier when choosing indices
    held = sorted(
        {
            (int.from_bytes(t[:4], "big"), int.from_bytes(t[4:], "big"))
            for point in chosen
            for t in utxo_balances(chain.state).get(point[0] + point[1].to_bytes(4, "big"), {})
        }
    )
    most = 2 if tokens != [BOGUS_TOKEN] else 1  # two deploys in one message always fail
    ops = draw(st.lists(operations(tokens, held, outputs, height), min_size=1, max_size=most))
    pointer = draw(st.none() | outputs_to_name(outputs))
    payload = message(*ops, pointer=pointer)
    if carrier == "none":
        inputs.append(fresh)
        tx = make_tx(inputs, outputs or [spendable(9)])
    elif carrier == "op_return":
        inputs.append(fresh)
        tx = make_tx(inputs, [op_return_script(payload), *outputs[1:]])
    else:
        inputs.append(In(fresh.txid, fresh.vout, script_path(tapscript(envelope(payload)))))
        tx = make_tx(inputs, outputs or [spendable(9)])
    created.extend((tx.txid, vout) for vout in range(len(tx.outputs)))
    return tx


@st.composite
def scenarios(draw: st.DrawFn) -> list[list[Transaction]]:
    """A few blocks of random transactions, each built against the state it will meet."""
    chain = Chain(first_height=FIRST_HEIGHT)
    blocks: list[list[Transaction]] = []
    for _ in range(draw(st.integers(2, 5))):
        created: list[Outpoint] = []
        spent: set[Outpoint] = set()
        txs = [
            draw(transaction(chain, created, spent, i))
            for i in range(1, draw(st.integers(1, 4)) + 1)
        ]
        chain.block(*txs)
        blocks.append(txs)
    return blocks


def replay(blocks: list[list[Transaction]], *checks: Callable[[Chain], None]) -> Chain:
    """Apply ``blocks`` to a fresh chain, running ``checks`` after every block."""
    chain = Chain(first_height=FIRST_HEIGHT)
    for txs in blocks:
        chain.block(*txs)
        for check in checks:
            check(chain)
    return chain


# --- invariants ----------------------------------------------------------------------------


def utxo_balances(state: MemoryState) -> dict[bytes, dict[bytes, int]]:
    """outpoint -> token -> amount, decoded with cbor2 straight from the records."""
    out: dict[bytes, dict[bytes, int]] = {}
    for key, raw in state.items():
        if key[:1] == b"\x01":
            out[key[1:]] = {bytes(t): int(a) for t, a in cbor2.loads(raw).get(0, [])}
    return out


def token_records(state: MemoryState) -> dict[bytes, dict[int, Any]]:
    return {key[1:]: cbor2.loads(raw) for key, raw in state.items() if key[:1] == b"\x02"}


def event_log(chain: Chain) -> list[dict[int, Any]]:
    return [event for effects in chain.applied for event in events(effects)]


def check_conservation(chain: Chain) -> None:
    """Every token: units on UTXOs + burned == minted <= max supply."""
    on_utxos: dict[bytes, int] = defaultdict(int)
    for balances in utxo_balances(chain.state).values():
        for token, amount in balances.items():
            assert amount > 0
            on_utxos[token] += amount
    records = token_records(chain.state)
    assert set(on_utxos) <= set(records)
    for token, record in records.items():
        minted, burned, max_supply = record[3], record[4], record[2]
        assert on_utxos.get(token, 0) + burned == minted
        assert minted <= max_supply


def check_nothing_from_nothing(chain: Chain) -> None:
    """The event log alone explains every balance: credits - debits per outpoint, mints, burns."""
    per_outpoint: dict[bytes, dict[bytes, int]] = defaultdict(lambda: defaultdict(int))
    minted: dict[bytes, int] = defaultdict(int)
    burned: dict[bytes, int] = defaultdict(int)
    for event in event_log(chain):
        kind = event[0]
        if kind in (CREDIT, DEBIT):
            sign = 1 if kind == CREDIT else -1
            per_outpoint[event[2]][event[3]] += sign * event[4]
        elif kind == MINT:
            minted[event[3]] += event[4]
        elif kind == BURN:
            burned[event[3]] += event[4]
    from_events = {
        point: {token: n for token, n in balances.items() if n}
        for point, balances in per_outpoint.items()
    }
    from_state = utxo_balances(chain.state)
    assert {p: b for p, b in from_events.items() if b} == {p: b for p, b in from_state.items() if b}
    for token, record in token_records(chain.state).items():
        assert record[3] == minted.get(token, 0)
        assert record[4] == burned.get(token, 0)


def check_authorities(chain: Chain) -> None:
    """An issuer token's authority sits on exactly the outpoint its record names, or nowhere."""
    holders: dict[bytes, list[bytes]] = defaultdict(list)
    for key, raw in chain.state.items():
        if key[:1] == b"\x01":
            for token in cbor2.loads(raw).get(1, []):
                holders[bytes(token)].append(key[1:])
    records = token_records(chain.state)
    for token, record in records.items():
        expected = [record[7]] if 7 in record else []
        assert holders.get(token, []) == expected
        assert not (6 in record and 7 in record)
    assert set(holders) <= set(records)


# --- properties ----------------------------------------------------------------------------


@settings(PROFILE, max_examples=BASE)
@given(scenarios())
def test_conservation(blocks: list[list[Transaction]]) -> None:
    replay(blocks, check_conservation, check_authorities)


@settings(PROFILE, max_examples=BASE)
@given(scenarios())
def test_nothing_from_nothing(blocks: list[list[Transaction]]) -> None:
    replay(blocks, check_nothing_from_nothing)


@settings(PROFILE, max_examples=BASE // 2)
@given(scenarios())
def test_apply_then_undo_is_identity(blocks: list[list[Transaction]]) -> None:
    chain = Chain(first_height=FIRST_HEIGHT)
    snapshots = []
    for txs in blocks:
        snapshots.append(chain.state.snapshot())
        chain.block(*txs)
    for expected in reversed(snapshots):
        chain.undo_last()
        assert chain.state.snapshot() == expected
    assert chain.state.snapshot() == {}


@settings(PROFILE, max_examples=BASE // 2)
@given(scenarios())
def test_determinism(blocks: list[list[Transaction]]) -> None:
    chain = Chain(first_height=FIRST_HEIGHT)
    for txs in blocks:
        height = chain.next_height
        block = [(0, coinbase(height)), *((i + 1, tx) for i, tx in enumerate(txs))]
        copies = [
            v1_machine().apply_block(
                MemoryState(chain.state.snapshot()),
                chain.state_hash,
                height,
                block_hash(height),
                block,
            )
            for _ in range(2)
        ]
        applied = chain.block(*txs)
        assert copies[0] == copies[1] == applied


# --- fuzzing: nothing raises, whatever the bytes -------------------------------------------


def check_block_outcome(chain: Chain, effects: BlockEffects) -> None:
    for event in events(effects):
        assert 1 <= event[0] <= 7
        if event[0] == REJECTED:
            assert 1 <= event[11] <= 21
    check_conservation(chain)
    check_authorities(chain)


def cbor_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.integers(0, 2**130),
        st.binary(max_size=12),
        st.text(max_size=13),
        st.sampled_from(TICKERS),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.integers(0, 9), inner, max_size=5)
        ),
        max_leaves=12,
    )


#: Per operation code (spec §6.2-§6.5): the keys it requires, and the others it may hold
#: (defined optional keys and an odd key it ignores).
REQUIRED_KEYS = {1: (1, 3), 2: (1,), 3: (1, 2, 3), 4: (1, 2)}
OPTIONAL_KEYS = {1: (2, 4, 5, 6, 7, 9), 2: (2, 3, 5), 3: (5,), 4: (5,)}


def field_values(code: int, key: int) -> st.SearchStrategy[Any]:
    """Mostly the CBOR type the field wants (spec §6), sometimes anything."""
    if code == 1 and key == 1:
        typical: st.SearchStrategy[Any] = st.sampled_from(TICKERS)
    elif code == 1 and key == 4:
        typical = st.dictionaries(st.integers(0, 4), st.integers(0, 200), max_size=4)
    elif key == 1:
        typical = st.tuples(st.integers(99, 101), st.integers(0, 2)).map(list)
    else:
        typical = st.integers(0, 2000)
    return st.one_of(typical, typical, typical, cbor_values())


def message_shaped() -> st.SearchStrategy[bytes]:
    """CBOR that passes the profile and looks like a message, to reach the contract's checks."""
    op = st.integers(0, 6).flatmap(
        lambda code: st.fixed_dictionaries(
            {key: field_values(code, key) for key in REQUIRED_KEYS.get(code, ())},
            optional={key: field_values(code, key) for key in OPTIONAL_KEYS.get(code, (1, 2))},
        ).map(lambda fields: {**fields, 0: code})
    )
    msg = st.fixed_dictionaries(
        {0: st.sampled_from([1, 1, 1, 2]), 1: st.lists(op, max_size=2)},
        optional={2: st.integers(0, 4), 3: cbor_values()},
    )
    return msg.map(lambda value: bytes(cbor2.dumps(value, canonical=True)))


def payloads() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=120),
        cbor_values().map(lambda value: bytes(cbor2.dumps(value, canonical=True))),
        message_shaped(),
    )


@settings(PROFILE, max_examples=BASE * 2)
@given(payloads(), st.booleans(), st.integers(0, 3))
def test_fuzzed_payloads_never_raise(payload: bytes, in_envelope: bool, extra_outputs: int) -> None:
    chain = Chain(first_height=FIRST_HEIGHT)
    deploy_tx, _ = issuer_token(chain, premine=1000)
    outputs = [spendable(i) for i in range(extra_outputs)]
    if in_envelope:
        witness = script_path(tapscript(envelope(payload)))
        tx = make_tx(
            [In(deploy_tx.txid, 1, witness), spend(deploy_tx, 2)], outputs or [OP_RETURN_PLAIN]
        )
    else:
        tx = make_tx(
            [spend(deploy_tx, 1), spend(deploy_tx, 2)], [op_return_script(payload), *outputs]
        )
    check_block_outcome(chain, chain.block(tx))


SCRIPT_PIECES = st.one_of(
    st.sampled_from(
        [ENVELOPE_OPEN, OP_ENDIF, OP_RETURN_HEAD, b"\x4c", b"\x4d\xff", b"\x51", b"\x00", b"\x6a"]
    ),
    st.binary(max_size=8).map(push),
    st.binary(max_size=8),
)


def scripts() -> st.SearchStrategy[bytes]:
    return st.lists(SCRIPT_PIECES, max_size=6).map(b"".join)


def witnesses() -> st.SearchStrategy[tuple[bytes, ...]]:
    control = st.one_of(
        st.integers(0, 2).map(control_block),
        st.sampled_from([0xC1, 0xC2, 0x50]).map(lambda first: control_block(0, first)),
        st.binary(max_size=40),
    )
    annex = st.none() | st.binary(max_size=6).map(lambda data: b"\x50" + data)
    script_path_stack = st.builds(
        lambda script, ctl, ann: script_path(script, control=ctl, annex=ann),
        scripts(),
        control,
        annex,
    )
    return st.one_of(st.lists(st.binary(max_size=40), max_size=4).map(tuple), script_path_stack)


@settings(PROFILE, max_examples=BASE * 2)
@given(
    st.lists(witnesses(), min_size=1, max_size=3),
    st.lists(scripts(), min_size=1, max_size=4),
    st.sets(st.integers(0, 2), max_size=2),
)
def test_random_transaction_shapes_never_raise(
    stacks: list[tuple[bytes, ...]], outputs: list[bytes], spent_vouts: set[int]
) -> None:
    chain = Chain(first_height=FIRST_HEIGHT)
    deploy_tx, _ = issuer_token(chain, premine=1000)
    inputs = [spend(deploy_tx, vout) for vout in sorted(spent_vouts)]
    inputs += [In(chain.coin().txid, 0, stack) for stack in stacks]
    check_block_outcome(chain, chain.block(make_tx(inputs, outputs)))
