"""Finding a transaction's message carrier (spec §3).

A carrier is either an OP_RETURN output that opens with the magic push (§3.2) or a
taproot script-path envelope in an input's tapscript (§3.3). A transaction has a message
only when it has exactly one carrier (§3.4); the coinbase never has one (§3.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from protocol.params import ENVELOPE_HEAD, MAGIC_PUSH, MAX_CHUNK
from protocol.reasons import Reason
from protocol.script import OP_ENDIF, OP_RETURN, ScriptOp, TruncatedScript, iter_ops
from protocol.tx import Transaction, TxInput

ANNEX_TAG = 0x50
TAPSCRIPT_LEAF_VERSION = 0xC0
CONTROL_BASE = 33
CONTROL_NODE = 32
CONTROL_MAX_DEPTH = 128
OP_RETURN_HEAD = bytes([OP_RETURN]) + MAGIC_PUSH


class CarrierKind(Enum):
    OP_RETURN = "op_return"
    ENVELOPE = "envelope"


@dataclass(frozen=True)
class Carrier:
    """One carrier found in a transaction, well-formed (payload) or not (reason)."""

    kind: CarrierKind
    index: int  # output index for OP_RETURN, input index for an envelope
    payload: bytes
    malformed: Reason | None = None


@dataclass(frozen=True)
class CarrierScan:
    """What a transaction carries: nothing, one message payload, or a rejection."""

    carriers: tuple[Carrier, ...]

    @property
    def has_message(self) -> bool:
        return bool(self.carriers)

    @property
    def rejection(self) -> Reason | None:
        """spec §3.4: several carriers reject the message; so does a malformed one."""
        if len(self.carriers) > 1:
            return Reason.MULTIPLE_CARRIERS
        if self.carriers:
            return self.carriers[0].malformed
        return None

    @property
    def payload(self) -> bytes:
        """The single well-formed carrier's payload; only valid when rejection is None."""
        return self.carriers[0].payload


def _op_return_carrier(index: int, script: bytes) -> Carrier | None:
    """spec §3.2: the magic push opens the script; every later op is a data push."""
    if not script.startswith(OP_RETURN_HEAD):
        return None
    chunks: list[bytes] = []
    try:
        for op in iter_ops(script, len(OP_RETURN_HEAD)):
            if op.data is None:
                return Carrier(CarrierKind.OP_RETURN, index, b"", Reason.MALFORMED_CARRIER)
            chunks.append(op.data)
    except TruncatedScript:
        return Carrier(CarrierKind.OP_RETURN, index, b"", Reason.MALFORMED_CARRIER)
    return Carrier(CarrierKind.OP_RETURN, index, b"".join(chunks))


def tapscript_of(txin: TxInput) -> bytes | None:
    """spec §3.3.1: the tapscript of a script-path spend, judged by the witness shape alone."""
    stack = txin.witness
    # An empty last element has no first byte, so it is not an annex: it stays and fails as
    # the control block below.
    if len(stack) >= 2 and stack[-1][:1] == bytes([ANNEX_TAG]):
        stack = stack[:-1]
    if len(stack) < 2:
        return None
    control = stack[-1]
    nodes, rest = divmod(len(control) - CONTROL_BASE, CONTROL_NODE)
    if len(control) < CONTROL_BASE or rest or nodes > CONTROL_MAX_DEPTH:
        return None
    if control[0] & 0xFE != TAPSCRIPT_LEAF_VERSION:
        return None
    return stack[-2]


def _envelopes(index: int, tapscript: bytes) -> list[Carrier]:
    """spec §3.3.2: every envelope opening at an opcode boundary, in script order."""
    found: list[Carrier] = []
    if ENVELOPE_HEAD not in tapscript:
        return found  # fast path: no envelope can open anywhere
    ops = iter_ops(tapscript)
    try:
        for op in ops:
            if tapscript[op.start : op.start + len(ENVELOPE_HEAD)] != ENVELOPE_HEAD:
                continue
            next(ops)  # OP_IF
            next(ops)  # the magic push
            found.append(_envelope_body(index, ops))
            if found[-1].malformed is not None:
                return found  # the body could not be delimited; nothing after it is read
    except TruncatedScript:
        pass  # outside an envelope a short push only ends the search
    return found


def _envelope_body(index: int, ops: Iterator[ScriptOp]) -> Carrier:
    """spec §3.3.2: read chunks up to the first OP_ENDIF *operation* (a 0x68 byte inside a
    push closes nothing); any other non-push, an oversize chunk or the end is malformed."""
    chunks: list[bytes] = []
    malformed = Carrier(CarrierKind.ENVELOPE, index, b"", Reason.MALFORMED_ENVELOPE)
    try:
        for op in ops:
            if op.opcode == OP_ENDIF:
                return Carrier(CarrierKind.ENVELOPE, index, b"".join(chunks))
            if op.data is None or len(op.data) > MAX_CHUNK:
                return malformed
            chunks.append(op.data)
    except TruncatedScript:
        return malformed
    return malformed


def find_carriers(tx: Transaction) -> CarrierScan:
    """spec §3.4: all carriers of ``tx``, OP_RETURN outputs first, then inputs in order."""
    if tx.is_coinbase:
        return CarrierScan(())
    carriers: list[Carrier] = []
    for index, output in enumerate(tx.outputs):
        carrier = _op_return_carrier(index, output.script)
        if carrier is not None:
            carriers.append(carrier)
    for index, txin in enumerate(tx.inputs):
        tapscript = tapscript_of(txin)
        if tapscript is not None:
            carriers.extend(_envelopes(index, tapscript))
    return CarrierScan(tuple(carriers))
