"""A chain of real blocks through the v2 machine (tokens + contracts) on a real engine.

Readers decode stored records with cbor2 directly, never with the code under test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import cbor2

from protocol.contracts import v2_machine
from protocol.state import BlockEffects
from protocol.tx import Transaction
from protocol.wasm.engine import ContractEngine
from tests.protocol.builders import (
    Chain,
    In,
    events_of,
    make_tx,
    op_return_script,
    rejection,
    spendable,
)

Op = dict[int, Any]


def message(*ops: Op) -> bytes:
    encoded: bytes = cbor2.dumps({0: 1, 1: list(ops)}, canonical=True)
    return encoded


def publish(code: bytes, init: bytes | None = None, fuel: int | None = None) -> Op:
    op: Op = {0: 5, 1: code}
    if init is not None:
        op[2] = init
    if fuel is not None:
        op[4] = fuel
    return op


def call(
    contract: tuple[int, int],
    data: bytes = b"",
    assets: Sequence[tuple[list[int], int]] = (),
    fuel: int | None = None,
) -> Op:
    op: Op = {0: 7, 1: list(contract)}
    if data:
        op[2] = data
    if assets:
        op[3] = [[ref, amount] for ref, amount in assets]
    if fuel is not None:
        op[4] = fuel
    return op


def cid(ref: tuple[int, int]) -> bytes:
    return ref[0].to_bytes(4, "big") + ref[1].to_bytes(4, "big")


def digest(*writes: tuple[bytes, bytes | None]) -> bytes:
    """CONTRACTS.md §20.3, written out independently of the host code."""
    parts = []
    for key, value in writes:
        if value is None:
            parts.append(key + b"\x00")
        else:
            parts.append(key + b"\x01" + len(value).to_bytes(4, "big") + value)
    return hashlib.sha256(b"".join(parts)).digest()


#: CONTRACTS.md §21.2: calls use only the fuel their transaction's vsize buys, 1,000 per vB.
#: Test transactions buy it with a taproot annex (BIP341: the last witness item, 0x50 first;
#: carrier detection ignores it) of 40,001 bytes: about 10,000 vB, 10,000,000 fuel.
ANNEX = b"\x50" + bytes(40_000)
SIGNATURE = bytes(64)


class ContractChain(Chain):
    """Chain with helpers for contract messages; its coins carry the fuel-buying annex."""

    def __init__(self, engine: ContractEngine) -> None:
        super().__init__(machine=v2_machine(engine))

    def coin(self) -> In:
        plain = super().coin()
        return In(plain.txid, plain.vout, (SIGNATURE, ANNEX))

    def send(
        self,
        *ops: Op,
        inputs: Sequence[In] = (),
        outputs: Sequence[bytes] = (),
    ) -> tuple[Transaction, BlockEffects]:
        """One transaction in its own block: outputs, then the carrier last."""
        payload = message(*ops)
        scripts = [*(outputs or [spendable(1)]), op_return_script(payload)]
        ins = list(inputs) or [Chain.coin(self)]  # without witness: the annex is added below
        # A publish pays 4,500 fuel per module byte (§16.1): 18 annex bytes per message byte.
        annex = ANNEX + bytes(18 * len(payload))
        ins[0] = In(ins[0].txid, ins[0].vout, (*(ins[0].witness or (SIGNATURE,)), annex))
        tx = make_tx(ins, scripts)
        return tx, self.block(tx)

    def deploy(self, code: bytes, init: bytes | None = None) -> tuple[int, int]:
        height = self.next_height
        tx, effects = self.send(publish(code, init))
        assert rejection(effects, tx) is None, events_of(effects, tx)
        return (height, 1)

    def custody(self, contract: tuple[int, int], asset: bytes) -> int:
        wide = asset if len(asset) == 12 else asset + bytes(4)
        raw = self.state.get(b"\x07" + cid(contract) + wide)
        return 0 if raw is None else int(cbor2.loads(raw))

    def storage(self, contract: tuple[int, int], key: bytes) -> bytes | None:
        return self.state.get(b"\x06" + cid(contract) + key)

    def contract_items(self) -> dict[bytes, bytes]:
        """Every state entry with a contract prefix (04 to 08)."""
        return {k: v for k, v in self.state.snapshot().items() if k[:1] >= b"\x04"}
