"""Real transactions, messages and blocks for the protocol tests.

Transactions are built and serialized by python-bitcoinlib and parsed back with
protocol.tx.parse_transaction, so every test runs on bytes a node could hand us.
Script pieces and message maps come from tests.vectorgen (shared with the conformance
vector generator); like the rest of this module they are spelled out by hand,
independently of protocol.params, so a wrong constant in the code under test cannot make
its own tests pass.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
from bitcoin.core import (
    CBlock,
    CMutableTransaction,
    COutPoint,
    CTxIn,
    CTxInWitness,
    CTxOut,
    CTxWitness,
)
from bitcoin.core.script import CScript, CScriptWitness

from protocol.contracts import v1_machine
from protocol.machine import Machine
from protocol.state import BlockEffects, MemoryState
from protocol.tx import Transaction, parse_transaction
from tests.vectorgen.payloads import Op, deploy, message, terms
from tests.vectorgen.script import MAGIC_PUSH, chunks, op_return_carrier

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

OP_RETURN_HEAD = b"\x6a" + MAGIC_PUSH
#: An ordinary tapscript prefix: <32-byte x-only key> OP_CHECKSIG.
CHECKSIG_PREFIX = b"\x20" + bytes(range(32)) + b"\xac"

# Event types and keys as spec §10 tables give them.
DEBIT, CREDIT, DEPLOY, MINT, BURN, AUTHORITY, REJECTED = 1, 2, 3, 4, 5, 6, 7
E_TYPE, E_TXID, E_OUTPOINT, E_TOKEN, E_AMOUNT = 0, 1, 2, 3, 4
E_TICKER, E_DECIMALS, E_MAX, E_TERMS, E_CAUSE, E_REASON = 5, 6, 7, 8, 10, 11


# --- scripts (pushes, envelopes and messages are tests.vectorgen's, shared) -----------------


def op_return_script(payload: bytes, chunk: int = 80) -> bytes:
    """An OP_RETURN carrier (§3.2) holding ``payload`` in pushes of at most ``chunk`` bytes."""
    return op_return_carrier(*chunks(payload, chunk)) if payload else OP_RETURN_HEAD


def tapscript(*envelopes: bytes, prefix: bytes = CHECKSIG_PREFIX) -> bytes:
    return prefix + b"".join(envelopes)


def control_block(depth: int = 0, first: int = 0xC0) -> bytes:
    return bytes([first]) + bytes(range(1, 33)) + b"\x77" * (32 * depth)


def script_path(
    script: bytes, *, annex: bytes | None = None, control: bytes | None = None
) -> tuple[bytes, ...]:
    """A script-path witness: signature, tapscript, control block (, annex)."""
    stack = (b"\x01" * 64, script, control if control is not None else control_block())
    return stack + ((annex,) if annex is not None else ())


def spendable(n: int = 0) -> bytes:
    """A P2TR scriptPubKey; distinct ``n`` give distinct scripts."""
    return b"\x51\x20" + hashlib.sha256(b"key%d" % n).digest()


OP_RETURN_PLAIN = b"\x6a\x04abcd"  # an OP_RETURN output that is not a carrier


# --- transactions --------------------------------------------------------------------------


@dataclass(frozen=True)
class In:
    """One input: the outpoint it spends and its witness stack."""

    txid: bytes
    vout: int = 0
    witness: tuple[bytes, ...] = ()


def coin(n: int) -> In:
    """An input spending some outpoint that carries no protocol assets."""
    return In(hashlib.sha256(b"coin%d" % n).digest(), 0)


def spend(tx: Transaction, vout: int, witness: tuple[bytes, ...] = ()) -> In:
    return In(tx.txid, vout, witness)


def serialize_tx(inputs: Sequence[In], outputs: Sequence[bytes], lock_time: int = 0) -> bytes:
    vin = [CTxIn(COutPoint(i.txid, i.vout)) for i in inputs]
    vout = [CTxOut(10_000, CScript(script)) for script in outputs]
    witness = CTxWitness([CTxInWitness(CScriptWitness(list(i.witness))) for i in inputs])
    tx = CMutableTransaction(vin, vout, nLockTime=lock_time, nVersion=2, witness=witness)
    return bytes(tx.serialize())


def make_tx(inputs: Sequence[In], outputs: Sequence[bytes], lock_time: int = 0) -> Transaction:
    return parse_transaction(serialize_tx(inputs, outputs, lock_time))


def message_tx(
    payload: bytes, inputs: Sequence[In], outputs: Sequence[bytes] = (), carrier_at: int = 0
) -> Transaction:
    """A transaction whose OP_RETURN carrier (at output ``carrier_at``) holds ``payload``."""
    scripts = list(outputs) if outputs else [spendable()]
    scripts.insert(carrier_at, op_return_script(payload))
    return make_tx(inputs, scripts)


def coinbase(height: int, outputs: Sequence[bytes] = ()) -> Transaction:
    script_sig = CScript(b"\x03" + height.to_bytes(3, "little"))
    vin = [CTxIn(COutPoint(), script_sig)]
    vout = [CTxOut(50_0000_0000, CScript(s)) for s in (outputs or [spendable(999)])]
    return parse_transaction(bytes(CMutableTransaction(vin, vout).serialize()))


# --- messages ------------------------------------------------------------------------------


def mint(token: tuple[int, int], amount: int | None = None, output: int | None = None) -> Op:
    op: Op = {0: 2, 1: list(token)}
    if amount is not None:
        op[2] = amount
    if output is not None:
        op[3] = output
    return op


def transfer(token: tuple[int, int], amount: int, output: int) -> Op:
    return {0: 3, 1: list(token), 2: amount, 3: output}


def burn(token: tuple[int, int], amount: int) -> Op:
    return {0: 4, 1: list(token), 2: amount}


def tid(height: int, index: int) -> bytes:
    """A token id's byte form (§2.4)."""
    return struct.pack(">II", height, index)


def outpoint(tx: Transaction, vout: int) -> bytes:
    """An outpoint's byte form (§2.2): txid || vout as u32 big-endian."""
    return tx.txid + struct.pack(">I", vout)


# --- chain harness -------------------------------------------------------------------------


def block_hash(height: int) -> bytes:
    return hashlib.sha256(b"block %d" % height).digest()


class Chain:
    """A MemoryState advanced block by block; every block has a real coinbase at index 0."""

    def __init__(self, first_height: int = 100, machine: Machine | None = None) -> None:
        self.machine = machine or v1_machine()
        self.state = MemoryState()
        self.next_height = first_height
        self.state_hash = bytes(32)
        self.applied: list[BlockEffects] = []
        self._coins = 0
        #: The next block's header time (CONTRACTS.md §17.5); None applies blocks without
        #: a header, so the block clock stays as the state has it.
        self.time: int | None = None

    def coin(self) -> In:
        """A fresh input that spends no protocol outpoint (each call a new outpoint)."""
        self._coins += 1
        return coin(1_000_000 + self._coins)

    def peek(self, *txs: Transaction) -> BlockEffects:
        """Apply the next block's transactions without committing them."""
        height = self.next_height
        block = [(0, coinbase(height)), *((i + 1, tx) for i, tx in enumerate(txs))]
        header = (
            None if self.time is None else bytes(68) + self.time.to_bytes(4, "little") + bytes(8)
        )
        return self.machine.apply_block(
            self.state, self.state_hash, height, block_hash(height), block, header=header
        )

    def block(self, *txs: Transaction) -> BlockEffects:
        effects = self.peek(*txs)
        self.state.apply(effects.writes)
        self.state_hash = effects.state_hash
        self.next_height += 1
        self.applied.append(effects)
        return effects

    def undo_last(self) -> None:
        effects = self.applied.pop()
        self.state.apply(effects.undo)
        self.next_height -= 1
        self.state_hash = self.applied[-1].state_hash if self.applied else bytes(32)

    # Readers decode the stored CBOR with cbor2 directly, not with protocol.records.

    def balances(self, tx: Transaction, vout: int) -> dict[bytes, int]:
        raw = self.state.get(b"\x01" + outpoint(tx, vout))
        if raw is None:
            return {}
        return {bytes(t): int(a) for t, a in cbor2.loads(raw).get(0, [])}

    def authorities(self, tx: Transaction, vout: int) -> list[bytes]:
        raw = self.state.get(b"\x01" + outpoint(tx, vout))
        return [] if raw is None else [bytes(t) for t in cbor2.loads(raw).get(1, [])]

    def token(self, token: bytes) -> dict[int, Any]:
        raw = self.state.get(b"\x02" + token)
        assert raw is not None, f"no token record for {token.hex()}"
        record: dict[int, Any] = cbor2.loads(raw)
        return record

    def ticker_owner(self, ticker: str) -> bytes | None:
        return self.state.get(b"\x03" + ticker.encode().ljust(12, b"\x00"))


def issuer_token(
    chain: Chain, premine: int = 1000, max_supply: int = 10**6, ticker: str = "TOK"
) -> tuple[Transaction, tuple[int, int]]:
    """Deploy an issuer token in its own block: premine on output 1, authority on output 2."""
    op = deploy(ticker, max_supply, authority=2, premine=premine)
    tx = message_tx(message(op), [chain.coin()], [spendable(1), spendable(2)])
    height = chain.next_height
    effects = chain.block(tx)
    assert rejection(effects, tx) is None
    return tx, (height, 1)


def open_token(
    chain: Chain,
    amount: int = 10,
    cap: int = 5,
    max_supply: int = 1000,
    ticker: str = "OPEN",
    **window: int,
) -> tuple[int, int]:
    """Deploy an open-mint token in its own block and return its id."""
    op = deploy(ticker, max_supply, mint_terms=terms(amount, cap, **window))
    tx = message_tx(message(op), [chain.coin()])
    height = chain.next_height
    effects = chain.block(tx)
    assert rejection(effects, tx) is None
    return (height, 1)


def events(effects: BlockEffects) -> list[dict[int, Any]]:
    return [cbor2.loads(raw) for raw in effects.events]


def events_of(effects: BlockEffects, tx: Transaction) -> list[dict[int, Any]]:
    return [e for e in events(effects) if e[E_TXID] == tx.txid]


def kinds(effects: BlockEffects, tx: Transaction) -> list[int]:
    return [e[E_TYPE] for e in events_of(effects, tx)]


def rejection(effects: BlockEffects, tx: Transaction) -> int | None:
    """The reason code of ``tx``'s rejected event, or None when it was not rejected."""
    found = [e[E_REASON] for e in events_of(effects, tx) if e[E_TYPE] == REJECTED]
    assert len(found) <= 1
    return found[0] if found else None


# --- real data -----------------------------------------------------------------------------


@cache
def mainnet_block(name: str) -> tuple[bytes, tuple[bytes, ...]]:
    """(block hash, raw transactions) of a stored mainnet block."""
    raw = (SHARED_DATA / "blocks" / name).read_bytes()
    block = CBlock.deserialize(raw)
    return bytes(block.GetHash()), tuple(bytes(tx.serialize()) for tx in block.vtx)


def bip341_script_leaves() -> Iterator[tuple[bytes, int, bytes]]:
    """(leaf script, leaf version, control block) for every script-path leaf in BIP341's vectors."""
    vectors = json.loads((SHARED_DATA / "vectors" / "bip341_wallet_vectors.json").read_text())
    for case in vectors["scriptPubKey"]:
        tree = case["given"]["scriptTree"]
        controls = case["expected"].get("scriptPathControlBlocks", [])
        leaves: list[dict[str, Any]] = []
        pending = [tree] if tree else []
        while pending:
            node = pending.pop()
            if isinstance(node, list):
                pending.extend(node)
            else:
                leaves.append(node)
        leaves.sort(key=lambda leaf: int(leaf["id"]))
        for leaf, control in zip(leaves, controls, strict=True):
            yield bytes.fromhex(leaf["script"]), int(leaf["leafVersion"]), bytes.fromhex(control)


class Code:
    """Rejection reason codes as the table of spec §8 lists them."""

    MALFORMED_CARRIER = 1
    MALFORMED_ENVELOPE = 2
    MULTIPLE_CARRIERS = 3
    INVALID_CBOR = 4
    NON_CANONICAL_CBOR = 5
    FORBIDDEN_CBOR_ITEM = 6
    INVALID_MESSAGE = 7
    UNSUPPORTED_VERSION = 8
    UNKNOWN_OPERATION = 9
    INTEGER_OUT_OF_RANGE = 10
    INVALID_TICKER = 11
    TICKER_TAKEN = 12
    INVALID_DEPLOY = 13
    UNKNOWN_TOKEN = 14
    INVALID_AMOUNT = 15
    INVALID_OUTPUT = 16
    INSUFFICIENT_BALANCE = 17
    MINT_CLOSED = 18
    MINT_CAP_REACHED = 19
    SUPPLY_EXCEEDED = 20
    UNAUTHORIZED = 21
