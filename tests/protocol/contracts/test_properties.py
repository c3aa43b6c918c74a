"""Hypothesis properties of the contract kind over random call sequences (CONTRACTS.md §14.4,
§19, spec §12), on a real engine. Supplies are summed from the stored records with cbor2,
not with the code under test."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from protocol.tx import Transaction
from tests.protocol.builders import (
    issuer_token,
    make_tx,
    op_return_script,
    rejection,
    spend,
    spendable,
)
from tests.protocol.contracts.harness import ContractChain, call, cid, message
from tests.vectorgen import wat

PROPERTY_SETTINGS = settings(settings.get_profile("ci"), max_examples=20)

# One step: (which contract, amount sent in, amount asked back, output asked for).
steps = st.lists(
    st.tuples(
        st.sampled_from(["bank", "burner", "issuer", "payer", "trap", "transfer"]),
        st.integers(0, 400),
        st.integers(0, 500),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=6,
)


def supplies(state: dict[bytes, bytes]) -> tuple[dict[bytes, int], dict[bytes, int]]:
    """(minted - burned, held on outputs + in custody) per asset, from the raw state."""
    issued: dict[bytes, int] = defaultdict(int)
    held: dict[bytes, int] = defaultdict(int)
    for key, value in state.items():
        prefix, rest = key[:1], key[1:]
        if prefix == b"\x01":
            for asset, amount in cbor2.loads(value).get(0, []):
                held[bytes(asset)] += amount
        elif prefix == b"\x02":
            record = cbor2.loads(value)
            issued[rest] += record[3] - record[4]
        elif prefix == b"\x07":
            asset = rest[8:16] if rest[16:] == bytes(4) else rest[8:]
            held[asset] += cbor2.loads(value)
        elif prefix == b"\x08":
            record = cbor2.loads(value)
            issued[rest] += record[0] - record[1]
    return dict(issued), {a: n for a, n in held.items() if n}


class World:
    """A chain with a token on one UTXO and a few contracts that move assets around."""

    def __init__(self, engine: WasmtimeEngine) -> None:
        self.chain = ContractChain(engine)
        deploy_tx, token = issuer_token(self.chain, premine=1_000)
        self.token = cid(token)
        self.holder: tuple[Transaction, int] = (deploy_tx, 1)
        self.ids = {
            name: self.chain.deploy(code)
            for name, code in (
                ("bank", wat.BANK),
                ("burner", wat.BURNER),
                ("issuer", wat.ISSUER),
                ("payer", wat.PAYFORWARD),
                ("trap", wat.UNREACHABLE),
            )
        }

    def op(self, name: str, sent: int, asked: int, vout: int) -> dict[int, Any]:
        """One operation; amounts may exceed what is held, outputs may be the carrier."""
        token_ref = [int.from_bytes(self.token[:4], "big"), int.from_bytes(self.token[4:], "big")]
        assets = [(token_ref, sent)] if sent else []
        if name == "transfer":
            return {0: 3, 1: token_ref, 2: max(asked, 1), 3: vout}
        if name == "bank":
            request = (
                self.token + bytes(4) + asked.to_bytes(16, "little") + vout.to_bytes(4, "little")
            )
            return call(self.ids["bank"], request if asked else b"", assets)
        if name == "issuer":
            return call(
                self.ids["issuer"], asked.to_bytes(16, "little") + vout.to_bytes(4, "little")
            )
        if name == "payer":
            record = cid(self.ids["bank"]) + self.token + bytes(4) + asked.to_bytes(16, "little")
            return call(self.ids["payer"], record, assets)
        return call(self.ids[name], b"", assets)

    def tx(self, ops: list[dict[int, Any]]) -> Transaction:
        """Spends the token holder; three spendable outputs, the carrier at index 3."""
        tx = make_tx(
            [spend(*self.holder)],
            [spendable(1), spendable(2), spendable(3), op_return_script(message(*ops))],
        )
        self.holder = (tx, 0)
        return tx


@PROPERTY_SETTINGS
@given(blocks=st.lists(steps, min_size=1, max_size=3))
def test_supply_conserved_across_outputs_and_contracts(
    cranelift: WasmtimeEngine, blocks: list[list[tuple[str, int, int, int]]]
) -> None:
    world = World(cranelift)
    for block in blocks:
        for step in block:
            world.chain.block(world.tx([world.op(*step)]))
            issued, held = supplies(world.chain.state.snapshot())
            assert issued == held


@PROPERTY_SETTINGS
@given(block=steps)
def test_apply_then_undo_is_identity(
    cranelift: WasmtimeEngine, block: list[tuple[str, int, int, int]]
) -> None:
    world = World(cranelift)
    before = world.chain.state.snapshot()
    hash_before = world.chain.state_hash
    world.chain.block(*[world.tx([world.op(*step)]) for step in block])
    world.chain.undo_last()
    assert world.chain.state.snapshot() == before
    assert world.chain.state_hash == hash_before


@PROPERTY_SETTINGS
@given(block=steps)
def test_trap_leaves_state_as_before_the_message(
    cranelift: WasmtimeEngine, block: list[tuple[str, int, int, int]]
) -> None:
    """Any operations followed by a trapping call: the contract state is untouched and the
    whole pool settles on the default output (§19.1)."""
    world = World(cranelift)
    before = world.chain.contract_items()
    ops = [world.op(*step) for step in block] + [call(world.ids["trap"])]
    tx = world.tx(ops)
    effects = world.chain.block(tx)
    assert rejection(effects, tx) is not None  # the trap, or an earlier operation's refusal
    assert world.chain.contract_items() == before
    assert world.chain.balances(tx, 0) == {world.token: 1_000}
    for vout in (1, 2):
        assert world.chain.balances(tx, vout) == {}
