"""Composing unsigned protocol transactions from the caller's UTXOs, and proving them safe.

Layout: output 0 carries the message (OP_RETURN), then one output per recipient, then the
change output, which the message's pointer names: whatever the inputs carry and no operation
takes (spec §7.5) and every spent authority (§7.7) lands there. Fees come from the funding
inputs at the caller's rate; change below the dust limit is left to the fee unless tokens
need the change output.

Before answering, the transaction is applied by the protocol machine itself to the current
state (at the next height), and the composition is refused unless the machine rejects
nothing, burns exactly what was asked, and credits exactly the planned outputs. Funding
inputs carrying tokens the caller did not declare are refused before that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NoReturn

import cbor2

from api.errors import ApiError, unprocessable
from api.fees import dust_threshold, fee_for, input_weight, tx_weight, vsize, witness_version
from api.params import format_outpoint
from api.psbt import SpentOutput, build_psbt, unsigned_tx
from indexer.store_view import StoreView
from protocol.cbor import CborValue, encode_canonical
from protocol.contracts.token import OP_BURN, OP_MINT, OP_TRANSFER, TokenRecord
from protocol.events import BurnCause, EventType, Field
from protocol.fields import format_token_id
from protocol.machine import Machine
from protocol.params import MAGIC_PUSH, MAX_CHUNK
from protocol.reasons import Reason
from protocol.records import UtxoAssets
from protocol.script import push_data
from protocol.state import token_key, utxo_key
from protocol.tx import parse_transaction


@dataclass(frozen=True)
class Funding:
    spent: SpentOutput
    #: Token ids the caller knows this input carries (balances or authorities).
    declared: frozenset[bytes]
    weight: int | None = None


@dataclass(frozen=True)
class Payment:
    """``amount`` of ``token`` to a new output paying ``script`` with ``value`` sats (0: dust)."""

    token: bytes
    amount: int | None
    script: bytes
    value: int = 0


@dataclass(frozen=True)
class ComposeRequest:
    funding: tuple[Funding, ...]
    change_script: bytes
    fee_rate: Fraction
    transfers: tuple[Payment, ...] = ()
    mint: Payment | None = None
    burns: tuple[tuple[bytes, int], ...] = ()


@dataclass(frozen=True)
class PlannedOutput:
    role: str  # carrier, recipient or change
    value: int
    script: bytes
    tokens: dict[bytes, int] = field(default_factory=dict)
    authorities: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class Composition:
    psbt: bytes
    txid: bytes
    fee: int
    vsize: int
    payload: bytes
    inputs: tuple[tuple[Funding, UtxoAssets], ...]
    outputs: tuple[PlannedOutput, ...]
    height: int


def carrier_script(payload: bytes) -> bytes:
    """spec §3.2: OP_RETURN, the magic push, then the payload in pushes of at most 520."""
    pushes = [payload[i : i + MAX_CHUNK] for i in range(0, len(payload), MAX_CHUNK)]
    return b"\x6a" + MAGIC_PUSH + b"".join(push_data(chunk) for chunk in pushes)


def _token_ref(token: bytes) -> list[int]:
    return [int.from_bytes(token[:4], "big"), int.from_bytes(token[4:], "big")]


def _load_token(view: StoreView, token: bytes) -> TokenRecord:
    raw = view.get(token_key(token))
    if raw is None:
        raise unprocessable("token_not_found", f"no token {format_token_id(token)} is deployed")
    return TokenRecord.decode(raw)


def _inputs(
    view: StoreView, funding: Sequence[Funding]
) -> tuple[list[tuple[Funding, UtxoAssets]], dict[bytes, int], list[bytes]]:
    """Each input's assets per the store, the pooled balances and the spent authorities."""
    seen: set[bytes] = set()
    inputs: list[tuple[Funding, UtxoAssets]] = []
    pool: dict[bytes, int] = {}
    authorities: list[bytes] = []
    for item in funding:
        outpoint = item.spent.outpoint
        if outpoint in seen:
            raise unprocessable("duplicate_input", f"{format_outpoint(outpoint)} is listed twice")
        seen.add(outpoint)
        raw = view.get(utxo_key(outpoint[:32], int.from_bytes(outpoint[32:], "big")))
        assets = UtxoAssets() if raw is None else UtxoAssets.decode(raw)
        carried = {token for token, _ in assets.balances} | set(assets.authorities)
        undeclared = carried - item.declared
        if undeclared:
            names = ", ".join(format_token_id(t) for t in sorted(undeclared))
            raise unprocessable(
                "undeclared_tokens",
                f"funding input {format_outpoint(outpoint)} carries {names}, which the request "
                "does not declare; spending it could move or burn them: declare them in its "
                '"tokens" or leave the input out',
            )
        missing = item.declared - carried
        if missing:
            names = ", ".join(format_token_id(t) for t in sorted(missing))
            raise unprocessable(
                "declared_tokens_missing",
                f"funding input {format_outpoint(outpoint)} does not carry {names} in the "
                "indexed state (not confirmed yet, already spent, or never there)",
            )
        for token, amount in assets.balances:
            pool[token] = pool.get(token, 0) + amount
        authorities.extend(assets.authorities)
        inputs.append((item, assets))
    return inputs, pool, authorities


def _check_operations(
    view: StoreView, request: ComposeRequest, pool: dict[bytes, int]
) -> tuple[dict[bytes, int], int | None]:
    """What is left in the pool after the operations, and the amount a mint will issue."""
    left = dict(pool)
    takes = [(p.token, p.amount or 0) for p in request.transfers] + list(request.burns)
    for token, amount in takes:
        _load_token(view, token)
        if left.get(token, 0) < amount:
            raise unprocessable(
                "insufficient_token_balance",
                f"the funding inputs carry {pool.get(token, 0):,} of {format_token_id(token)}, "
                "less than the transfers and burns of it take",
            )
        left[token] -= amount
    minted = None
    if request.mint is not None:
        record = _load_token(view, request.mint.token)
        name = format_token_id(request.mint.token)
        if record.terms is not None:
            if request.mint.amount not in (None, record.terms.amount):
                raise unprocessable(
                    "invalid_amount",
                    f"{name} is open-mint: each mint issues exactly {record.terms.amount:,}",
                )
            minted = record.terms.amount
        else:
            if request.mint.amount is None:
                raise unprocessable("invalid_amount", f"minting issuer token {name} needs amount")
            if record.authority is None:
                raise unprocessable(
                    "authority_destroyed", f"{name}'s issuer authority was destroyed"
                )
            spent = {f.spent.outpoint for f in request.funding}
            if record.authority not in spent:
                raise unprocessable(
                    "authority_not_spent",
                    f"minting {name} needs its authority outpoint "
                    f"{format_outpoint(record.authority)} among the funding inputs",
                )
            minted = request.mint.amount
    return {t: a for t, a in left.items() if a}, minted


def _message(request: ComposeRequest, minted: int | None, pointer: int | None) -> bytes:
    operations: list[CborValue] = []
    for vout, payment in enumerate(request.transfers, start=1):
        assert payment.amount is not None
        ref: list[CborValue] = list(_token_ref(payment.token))
        operations.append({0: OP_TRANSFER, 1: ref, 2: payment.amount, 3: vout})
    for token, amount in request.burns:
        burned: list[CborValue] = list(_token_ref(token))
        operations.append({0: OP_BURN, 1: burned, 2: amount})
    if request.mint is not None and minted is not None:
        vout = len(request.transfers) + 1
        ref = list(_token_ref(request.mint.token))
        operations.append({0: OP_MINT, 1: ref, 2: minted, 3: vout})
    message: dict[int, CborValue] = {0: 1, 1: operations}
    if pointer is not None:
        message[2] = pointer
    return encode_canonical(message)


def compose(view: StoreView, machine: Machine, request: ComposeRequest) -> Composition:
    tip = view.tip()
    if tip is None:
        raise ApiError(503, "not_synced", "no block is indexed yet; try again once one is")
    inputs, pool, authorities = _inputs(view, request.funding)
    left, minted = _check_operations(view, request, pool)
    outputs = [_recipient(p.token, p.amount or 0, p) for p in request.transfers]
    if request.mint is not None and minted is not None:
        outputs.append(_recipient(request.mint.token, minted, request.mint))
    weights = [_weight(f) for f in request.funding]
    total_in = sum(f.spent.value for f in request.funding)
    paid = sum(o.value for o in outputs)
    change_vout = len(outputs) + 1

    def layout(pointer: int | None) -> tuple[bytes, int, int]:
        """(payload, weight, fee) with the change output (the pointer's) or without it."""
        payload = _message(request, minted, pointer)
        scripts = [carrier_script(payload), *(o.script for o in outputs)]
        if pointer is not None:
            scripts.append(request.change_script)
        weight = tx_weight(weights, scripts)
        return payload, weight, fee_for(weight, request.fee_rate)

    payload, weight, fee = layout(change_vout)
    change = total_in - paid - fee
    dust = dust_threshold(request.change_script)
    if change >= dust:
        outputs.append(
            PlannedOutput("change", change, request.change_script, left, tuple(authorities))
        )
    elif left or authorities:
        _short_of(total_in, fee, dust - change, request.fee_rate)
    else:
        payload, weight, fee = layout(None)
        if total_in - paid - fee < 0:
            _short_of(total_in, fee, paid + fee - total_in, request.fee_rate)
    planned = (PlannedOutput("carrier", 0, carrier_script(payload)), *outputs)
    spent = [f.spent for f in request.funding]
    pairs = [(o.value, o.script) for o in planned]
    raw = unsigned_tx(spent, pairs)
    txid = _verify(view, machine, raw, request, planned)
    return Composition(
        psbt=build_psbt(spent, pairs),
        txid=txid,
        fee=total_in - sum(o.value for o in planned),
        vsize=vsize(weight),
        payload=payload,
        inputs=tuple(inputs),
        outputs=planned,
        height=tip.height + 1,
    )


def _recipient(token: bytes, amount: int, payment: Payment) -> PlannedOutput:
    """A recipient's output: the value asked for (checked to be above dust), else the dust."""
    value = payment.value or dust_threshold(payment.script)
    return PlannedOutput("recipient", value, payment.script, {token: amount})


def _short_of(total_in: int, fee: int, short: int, rate: Fraction) -> NoReturn:
    raise unprocessable(
        "insufficient_funds",
        f"the funding inputs hold {total_in:,} sats; the outputs and a fee of {fee:,} sats at "
        f"{float(rate):g} sat/vB need {short:,} more",
    )


def _weight(funding: Funding) -> tuple[int, bool]:
    script = funding.spent.script
    weight = funding.weight if funding.weight is not None else input_weight(script)
    return weight, witness_version(script) is not None


@dataclass(frozen=True)
class DryRun:
    """What the machine did with a transaction applied at the next height."""

    txid: bytes
    burned: dict[bytes, int]
    #: (output index, token) -> amount credited.
    credited: dict[tuple[int, bytes], int]
    #: Spent authorities -> their new outpoint (None: destroyed).
    homes: dict[bytes, bytes | None]


def dry_run(view: StoreView, machine: Machine, raw: bytes) -> DryRun:
    """Apply ``raw`` with the machine at the next height; refuse a rejection or a burn for
    want of a spendable output."""
    tx = parse_transaction(raw)
    tip = view.tip()
    assert tip is not None
    effects = machine.apply_block(view, tip.state_hash, tip.height + 1, bytes(32), [(1, tx)])
    burned: dict[bytes, int] = {}
    credited: dict[tuple[int, bytes], int] = {}
    moved: list[tuple[bytes, bytes | None]] = []
    for raw_event in effects.events:
        event = cbor2.loads(raw_event)
        kind = event[Field.TYPE]
        if kind == EventType.REJECTED:
            reason = Reason(event[Field.REASON]).label
            raise unprocessable(
                "would_be_rejected", f"the protocol would reject this message: {reason}"
            )
        if kind == EventType.BURN:
            if event[Field.CAUSE] != BurnCause.OPERATION:
                raise unprocessable("would_burn", "tokens would be burned: no spendable output")
            token = event[Field.TOKEN]
            burned[token] = burned.get(token, 0) + event[Field.AMOUNT]
        elif kind == EventType.CREDIT:
            vout = int.from_bytes(event[Field.OUTPOINT][32:], "big")
            credited[vout, event[Field.TOKEN]] = event[Field.AMOUNT]
        elif kind == EventType.AUTHORITY:
            moved.append((event[Field.TOKEN], event.get(Field.OUTPOINT)))
    return DryRun(tx.txid, burned, credited, dict(moved))


def _verify(
    view: StoreView,
    machine: Machine,
    raw: bytes,
    request: ComposeRequest,
    planned: Sequence[PlannedOutput],
) -> bytes:
    """Apply the transaction with the machine at the next height; refuse anything but the
    planned effects. Returns the txid."""
    run = dry_run(view, machine, raw)
    wanted_burns: dict[bytes, int] = {}
    for token, amount in request.burns:
        wanted_burns[token] = wanted_burns.get(token, 0) + amount
    if run.burned != wanted_burns:
        raise unprocessable(
            "would_burn", "the transaction would burn other amounts than the request asks"
        )
    expected = {
        (vout, token): amount
        for vout, output in enumerate(planned)
        for token, amount in output.tokens.items()
        if amount
    }
    change_vout = next((v for v, o in enumerate(planned) if o.role == "change"), None)
    spent_authorities = {t for o in planned if o.role == "change" for t in o.authorities}
    expected_homes = {
        token: None if change_vout is None else run.txid + change_vout.to_bytes(4, "big")
        for token in spent_authorities
    }
    if run.credited != expected or run.homes != expected_homes:
        raise unprocessable(
            "allocation_mismatch",
            "the protocol would allocate the tokens differently than planned; nothing was composed",
        )
    return run.txid
