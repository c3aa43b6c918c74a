"""Block space for a contract call's fuel (spec/CONTRACTS.md §21.2), as the API needs it.

A call uses only the fuel its transaction's vsize buys. A simulation runs the call as if
its transaction had bought the call's whole fuel limit and the largest start, and reports
the vsize the call really needs (:func:`vsize_needed`); ``POST /v1/compose/call`` then pads
its message with an ignored odd key (§5.3) until the transaction buys that much.
"""

from __future__ import annotations

from dataclasses import replace

from protocol.contracts.wasm import limits
from protocol.contracts.wasm.records import code_key, load_contract
from protocol.overlay import Overlay
from protocol.tx import WITNESS_SCALE, Transaction
from protocol.wasm.limits import MAX_MODULE_BYTES

#: §5.3: an odd message key no version defines is ignored; the composer's padding sits here.
PAD_KEY = 99


def fuel_vsize(fuel: int) -> int:
    """The least vsize whose fuel (§21.2) is at least ``fuel``."""
    return -(-fuel // limits.FUEL_PER_VBYTE)


def buying(tx: Transaction, fuel: int) -> Transaction:
    """``tx`` as if it were heavy enough to buy a call of ``fuel`` and any contract's start."""
    start = limits.CALL_START_FUEL + limits.CALL_FUEL_PER_CODE_BYTE * MAX_MODULE_BYTES
    needed = WITNESS_SCALE * fuel_vsize(fuel + start)
    return replace(tx, weight=max(tx.weight, needed))


def start_fuel(state: Overlay, contract: bytes) -> int:
    """§16.5 step 1: the start of a top-level call of ``contract`` (which exists)."""
    record = load_contract(state, contract)
    code = None if record is None else state.get(code_key(record.code_hash))
    size = 0 if code is None else len(code)
    return limits.CALL_START_FUEL + limits.CALL_FUEL_PER_CODE_BYTE * size


def vsize_needed(state: Overlay, contract: bytes, fuel_used: int) -> int:
    """The least vsize whose fuel covers a call of ``contract`` that used ``fuel_used``."""
    return fuel_vsize(start_fuel(state, contract) + fuel_used + 1)
