"""Simulating a contract call (spec/CONTRACTS.md §16.3, §16.5) on the tip's state.

The request becomes a call transaction in memory: the listed inputs (or one stand-in input
holding exactly the assets sent in), the listed outputs, and the message carrier after them,
so output indexes in the request are the vouts a contract's ``send`` names. The v2 machine
applies it as the first transaction of the next block over an :class:`Overlay` of one read
snapshot: nothing is written. It runs in a heavy-work process (:mod:`api.heavy`), whose
bounded queue sheds a flood with 503, and a call's fuel never exceeds the per-call limit of
§21, so one request costs at most one call's worth of CPU.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import cbor2

from api.call_space import PAD_KEY, buying, vsize_needed
from api.compose import carrier_script
from api.errors import ApiError, bad_request, not_found, unprocessable
from api.heavy import Worker
from api.params import parse_asset_id, parse_outpoint, parse_token_id_param
from api.render import Json, json_bytes, render_event
from api.routes_compose import MAX_SATS, _amount, _hex, _int, _script
from protocol.cbor import encode_canonical
from protocol.contracts.wasm import limits
from protocol.contracts.wasm.kind import OP_CALL
from protocol.contracts.wasm.records import TOKEN_ID_LEN, asset_key, narrow_asset
from protocol.events import EventType, Field, encode_event
from protocol.fields import format_token_id
from protocol.machine import Machine
from protocol.overlay import Overlay
from protocol.params import PROTOCOL_VERSION, Network
from protocol.records import UtxoAssets
from protocol.state import (
    CONTRACT_PREFIX,
    CUSTODY_PREFIX,
    STORAGE_PREFIX,
    StateView,
    token_key,
    utxo_key,
)
from protocol.tx import Transaction, TxInput, TxOutput, compact_size, weight

MAX_OUTPUTS = 32
MAX_INPUTS = 64
#: Without ``outputs``, one output stands for the caller's: vout 0, 0 sats, script OP_TRUE.
DEFAULT_OUTPUT = (0, b"\x51")
#: The stand-in input's outpoint: no real transaction has this txid (it is a hash of text).
STAND_IN_TXID = hashlib.sha256(b"rootstate simulation: the assets sent in").digest()


@dataclass(frozen=True)
class CallRequest:
    """A call as a wallet would send it: a message and the transaction around it."""

    contract: bytes
    input: bytes
    assets: tuple[tuple[bytes, int], ...]
    outputs: tuple[tuple[int, bytes], ...]
    inputs: tuple[bytes, ...]  # spent outpoints; empty: one stand-in input holding the assets
    fuel: int
    pointer: int | None = None  # §7.5: where what the call leaves in the pool settles


def _list(body: dict[str, Any], name: str, most: int) -> list[Any]:
    items = body.get(name, [])
    if not isinstance(items, list) or len(items) > most:
        raise bad_request("invalid_body", f"{name} must be a list of at most {most:,} items")
    return items


def _object(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise bad_request("invalid_body", f"{where} must be an object")
    return item


def parse_call(
    contract_text: str,
    body: dict[str, Any],
    network: Network,
    default_outputs: tuple[tuple[int, bytes], ...] = (DEFAULT_OUTPUT,),
) -> CallRequest:
    contract = parse_token_id_param(contract_text, what="contract")
    data = b""
    if body.get("input", "") != "":
        data = _hex(body["input"], "input", "invalid_input")
    if len(data) > limits.MAX_INPUT:
        raise bad_request("invalid_input", f"input is over {limits.MAX_INPUT:,} bytes")
    assets: dict[bytes, int] = {}
    for n, item in enumerate(_list(body, "assets", limits.MAX_SENT_ASSETS)):
        entry = _object(item, f"assets[{n}]")
        asset = parse_asset_id(entry.get("asset"), f"assets[{n}].asset")
        if asset in assets:
            raise unprocessable("duplicate_asset", f"assets[{n}] names an asset a second time")
        assets[asset] = _amount(entry.get("amount"), f"assets[{n}].amount")
    outputs = [] if "outputs" in body else list(default_outputs)
    for n, item in enumerate(_list(body, "outputs", MAX_OUTPUTS)):
        entry = _object(item, f"outputs[{n}]")
        value = _int(entry.get("value", 0), f"outputs[{n}].value", 0, MAX_SATS)
        outputs.append((value, _script(entry, f"outputs[{n}].", network)))
    inputs = []
    for n, item in enumerate(_list(body, "inputs", MAX_INPUTS)):
        if not isinstance(item, str):
            raise bad_request("invalid_outpoint", f"inputs[{n}] must be TXID:VOUT")
        inputs.append(parse_outpoint(item))
    most = limits.MAX_CALL_FUEL
    fuel = _int(body.get("fuel", most), "fuel", 1, most, "invalid_fuel")
    return CallRequest(contract, data, tuple(assets.items()), tuple(outputs), tuple(inputs), fuel)


def call_payload(request: CallRequest, pad: int = 0) -> bytes:
    """§16.3: the message with one call operation; ``pad`` bytes under an ignored odd key
    buy block space for its fuel (:mod:`api.call_space`)."""
    operation: dict[int, object] = {
        0: OP_CALL,
        1: [int.from_bytes(request.contract[i : i + 4], "big") for i in (0, 4)],
        4: request.fuel,
    }
    if request.input:
        operation[2] = request.input
    if request.assets:
        operation[3] = [
            [[int.from_bytes(a[i : i + 4], "big") for i in range(0, len(a), 4)], amount]
            for a, amount in request.assets
        ]
    message: dict[int, object] = {0: PROTOCOL_VERSION, 1: [operation]}
    if request.pointer is not None:
        message[2] = request.pointer
    if pad:
        message[PAD_KEY] = bytes(pad)
    return encode_canonical(message)


def call_transaction(request: CallRequest) -> Transaction:
    payload = call_payload(request)
    spent = request.inputs or (STAND_IN_TXID + bytes(4),)
    inputs = tuple(TxInput(point[:32], int.from_bytes(point[32:], "big"), ()) for point in spent)
    outputs = (*(TxOutput(v, s) for v, s in request.outputs), TxOutput(0, carrier_script(payload)))
    # A txid the contract may read (tx_id): a hash of what the transaction contains.
    txid = hashlib.sha256(b"".join([payload, *spent, *(s for _, s in request.outputs)])).digest()
    return Transaction(txid, inputs, outputs, weight=_weight(len(inputs), outputs))


#: What a key-path taproot spend adds per input: its witness (item count, a 64-byte
#: signature with its length), and per transaction the segwit marker and flag.
KEYPATH_WITNESS = 1 + 1 + 64
SEGWIT_MARKER = 2


def _weight(inputs: int, outputs: tuple[TxOutput, ...]) -> int:
    """The weight the simulated transaction would have signed with key-path spends
    (CONTRACTS.md §21.2 sells its calls fuel by it): version, inputs (36-byte outpoint,
    empty scriptSig, sequence), outputs, lock time."""
    base = 4 + len(compact_size(inputs)) + 41 * inputs + len(compact_size(len(outputs)))
    base += sum(8 + len(compact_size(len(o.script))) + len(o.script) for o in outputs) + 4
    return weight(base, base + SEGWIT_MARKER + KEYPATH_WITNESS * inputs)


def _changes(state: Overlay, prefix: bytes) -> list[dict[str, Any]]:
    """The writes under ``prefix``: (contract, rest of the key, before, after), in key order."""
    writes, undo = state.diff()
    out = []
    for write, prior in zip(writes, undo, strict=True):
        if write.key[:1] == prefix:
            out.append(
                {
                    "contract": format_token_id(write.key[1:9]),
                    "key": write.key[9:],
                    "before": prior.value,
                    "after": write.value,
                }
            )
    return out


def check_call(view: StateView, request: CallRequest) -> None:
    """404 unless the contract and every asset sent in exist."""
    if view.get(CONTRACT_PREFIX + request.contract) is None:
        raise not_found("contract_not_found", f"no contract {format_token_id(request.contract)}")
    for asset, _ in request.assets:
        key = token_key(asset) if len(asset) == TOKEN_ID_LEN else asset_key(asset)
        if view.get(key) is None:
            raise not_found("asset_not_found", f"no asset {format_token_id(asset)} exists")


def simulate(view: StateView, machine: Machine, height: int, request: CallRequest) -> Json:
    """Apply the call at ``height`` over ``view`` without writing; the effects as JSON."""
    check_call(view, request)
    state = Overlay(view)
    if not request.inputs:
        # The stand-in input holds only assets that exist (checked), as every real output does.
        held = UtxoAssets(balances=tuple(sorted(request.assets)))
        state.put(utxo_key(STAND_IN_TXID, 0), held.encode() if request.assets else None)
    # Run as if the transaction bought the call's fuel limit; "vsize_needed" says how much
    # block space the call really takes (CONTRACTS.md §21.2).
    tx = buying(call_transaction(request), request.fuel)
    return effects(state, machine, height, request, tx)


def effects(
    state: Overlay, machine: Machine, height: int, request: CallRequest, tx: Transaction
) -> Json:
    """Apply ``tx`` (the call of ``request``) to ``state``, which is then thrown away."""
    # The machine's per-transaction step (no block around it, so no state root to compute).
    returned: list[bytes] = []
    events = machine.apply_transaction(state, height, 1, tx, returned=returned)
    rendered = [render_event(height, n, encode_event(event)) for n, event in enumerate(events)]
    rejected = next((e for e in events if e[Field.TYPE] == EventType.REJECTED), None)
    top = [
        e
        for e in events
        if e[Field.TYPE] == EventType.CALL
        and e.get(Field.CONTRACT) == request.contract
        and Field.FROM_CONTRACT not in e
    ]
    custody = [
        {
            "contract": change["contract"],
            "asset": format_token_id(narrow_asset(change["key"])),
            "before": _uint(change["before"]),
            "after": _uint(change["after"]),
        }
        for change in _changes(state, CUSTODY_PREFIX)
    ]
    storage = [
        {
            "contract": change["contract"],
            "key": change["key"].hex(),
            "before": None if change["before"] is None else change["before"].hex(),
            "after": None if change["after"] is None else change["after"].hex(),
        }
        for change in _changes(state, STORAGE_PREFIX)
    ]
    credits = [
        {
            "vout": int(e["outpoint"].rpartition(":")[2]),
            "asset": e["token"],
            "amount": e["amount"],
        }
        for e in rendered
        if e["type"] == EventType.CREDIT.label
    ]
    return {
        "contract": format_token_id(request.contract),
        "height": height,
        "accepted": rejected is None,
        "reason": None if rejected is None else rendered[events.index(rejected)]["reason"],
        "detail": None if rejected is None else rejected.get(Field.DETAIL),
        "fuel_limit": request.fuel,
        "fuel_used": top[-1][Field.FUEL] if top and rejected is None else None,
        # The least vsize whose fuel (CONTRACTS.md §21.2) covers the call's start and use.
        "vsize_needed": vsize_needed(state, request.contract, int(top[-1][Field.FUEL]))  # type: ignore[arg-type]
        if top and rejected is None
        else None,
        # Not consensus (nothing records it): what the call handed back with return_data_set.
        "return_data": returned[-1].hex()
        if returned and returned[-1] and rejected is None
        else None,
        "credits": credits,
        "custody": custody,
        "storage": storage,
        "events": rendered,
    }


def _uint(raw: bytes | None) -> str:
    return "0" if raw is None else str(cbor2.loads(raw))


def simulate_job(worker: Worker, request: CallRequest) -> bytes:
    """One simulation in a heavy-work process, against one read snapshot."""
    with worker.store.read() as view:
        tip = view.tip()
        if tip is None:
            raise ApiError(503, "not_synced", "no block is indexed yet: there is no state")
        body = simulate(view, worker.machine, tip.height + 1, request)
    return json_bytes(body)
