"""Helpers for running the committed example contracts (contracts/wasm/) through the v2
machine. Encodings follow contracts/README.md and are written out here independently of
the contracts' own code; state is read back with cbor2, never with protocol.records.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cbor2
from bitcoin.core import CMutableTransaction, COutPoint, CTxIn, CTxInWitness, CTxOut, CTxWitness
from bitcoin.core.script import CScript, CScriptWitness

from protocol.state import BlockEffects
from protocol.tx import Transaction, parse_transaction
from regtest.contract_inputs import u16
from tests.protocol.builders import In, events_of, op_return_script
from tests.protocol.contracts.harness import ANNEX, SIGNATURE, ContractChain, Op, cid, message

WASM = Path(__file__).resolve().parents[2] / "contracts" / "wasm"
REJECTED, CONTRACT_ABORT = 7, 40
E_TYPE, E_REASON, E_DETAIL = 0, 11, 9


def code(name: str) -> bytes:
    return (WASM / f"{name}.wasm").read_bytes()


def script(s: bytes) -> bytes:
    return u16(len(s)) + s


def asset(ref: tuple[int, ...]) -> bytes:
    """An asset id as contract memory holds it: 8-byte id, then sub (u32 BE; 0 = token)."""
    sub = ref[2] if len(ref) == 3 else 0
    return cid((ref[0], ref[1])) + sub.to_bytes(4, "big")


def slot(n: int) -> bytes:
    """Storage key of slot n (contracts/README.md): 31 zero bytes, then n."""
    return bytes(31) + bytes([n])


def issued(chain: ContractChain, asset_id: bytes) -> tuple[int, int]:
    """(minted, burned) of a contract asset from its 08 record."""
    raw = chain.state.get(b"\x08" + asset_id)
    if raw is None:
        return (0, 0)
    record: dict[int, int] = cbor2.loads(raw)
    return record[0], record[1]


def on_outputs(chain: ContractChain, asset_id: bytes) -> int:
    """Sum of ``asset_id`` over every UTXO record in the state."""
    total = 0
    for key, raw in chain.state.snapshot().items():
        if key[:1] == b"\x01":
            for held, amount in cbor2.loads(raw).get(0, []):
                if bytes(held) == asset_id:
                    total += int(amount)
    return total


def abort_code(effects: BlockEffects, tx: Transaction) -> int | None:
    """The contract_abort code of ``tx``'s rejection, None when not rejected."""
    found: list[dict[int, Any]] = [e for e in events_of(effects, tx) if e[E_TYPE] == REJECTED]
    if not found:
        return None
    assert found[0][E_REASON] == CONTRACT_ABORT, found
    code_: int = found[0][E_DETAIL]
    return code_


def send_paying(
    chain: ContractChain,
    ops: Sequence[Op],
    inputs: Sequence[In],
    outputs: Sequence[tuple[int, bytes]],
) -> tuple[Transaction, BlockEffects]:
    """One transaction in its own block with outputs of chosen values, carrier last."""
    vin = [CTxIn(COutPoint(i.txid, i.vout)) for i in inputs]
    vout = [CTxOut(value, CScript(s)) for value, s in outputs]
    vout.append(CTxOut(0, CScript(op_return_script(message(*ops)))))
    # CONTRACTS.md §21.2: the first input's annex buys the calls' fuel (harness.ANNEX).
    stacks = [[SIGNATURE, ANNEX], *([] for _ in inputs[1:])]
    witness = CTxWitness([CTxInWitness(CScriptWitness(stack)) for stack in stacks])
    built = CMutableTransaction(vin, vout, nVersion=2, witness=witness)
    tx = parse_transaction(bytes(built.serialize()))
    return tx, chain.block(tx)
