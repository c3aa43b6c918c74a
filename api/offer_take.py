"""The buyer's side of an offer (spec/OFFERS.md §3): the completion transaction.

Layout: input 0 is the buyer's first funding input, input 1 the seller's signed input (with
its final witness), then the buyer's other funding inputs; output 0 pays the buyer and is
the default output (spec §7.4), output 1 is the seller's payment (the output the seller's
0x83 signature commits to, at the seller input's index), output 2 the buyer's change when
it is above dust. The transaction carries no message, so §7.5 settles every token the
inputs carry, and §7.7 every authority, to output 0.

As compose does, the transaction is applied by the protocol machine to the current state
before it is returned, and refused unless the machine credits exactly the pooled balances to
output 0, moves every spent authority there, and burns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from embit.psbt import PSBT  # type: ignore[import-untyped]
from embit.script import Witness  # type: ignore[import-untyped]

from api.compose import (
    Funding,
    PlannedOutput,
    _inputs,
    _short_of,
    _weight,
    dry_run,
)
from api.errors import ApiError, not_found, unprocessable
from api.fees import compact_size_len, dust_threshold, fee_for, tx_weight, vsize
from api.offer_book import Offer
from api.offers import asset_ids, assets_at
from api.params import format_outpoint
from api.psbt import SpentOutput, build_psbt, unsigned_tx
from indexer.store_view import StoreView
from protocol.machine import Machine
from protocol.records import UtxoAssets

#: Outpoint, empty scriptSig and sequence, as weight (non-witness bytes count four times).
_INPUT_BASE_WEIGHT = 41 * 4
SELLER_INPUT = 1


@dataclass(frozen=True)
class TakeRequest:
    funding: tuple[Funding, ...]
    #: The buyer's output 0, where the tokens land, and its value (0: the dust limit).
    receive_script: bytes
    receive_value: int
    change_script: bytes
    fee_rate: Fraction


@dataclass(frozen=True)
class Completion:
    psbt: bytes
    txid: bytes
    fee: int
    vsize: int
    inputs: tuple[tuple[Funding, UtxoAssets], ...]
    outputs: tuple[PlannedOutput, ...]
    height: int


def witness_weight(witness: tuple[bytes, ...]) -> int:
    """BIP141: every witness byte weighs one; the count and each item's length included."""
    return compact_size_len(len(witness)) + sum(
        compact_size_len(len(item)) + len(item) for item in witness
    )


def seller_funding(view: StoreView, offer: Offer) -> Funding:
    """The seller's input as a funding input declaring what the store says it carries."""
    assets = assets_at(view, offer.outpoint)
    if assets is None:
        raise not_found(
            "offer_not_found",
            f"the offer on {format_outpoint(offer.outpoint)} is gone: its outpoint is spent",
        )
    signed = offer.signed
    spent = SpentOutput(signed.outpoint, signed.value, signed.script, sequence=signed.sequence)
    weight = _INPUT_BASE_WEIGHT + witness_weight(offer.witness)
    return Funding(spent, frozenset(asset_ids(assets)), weight)


def compose_take(
    view: StoreView, machine: Machine, offer: Offer, request: TakeRequest
) -> Completion:
    tip = view.tip()
    if tip is None:
        raise ApiError(503, "not_synced", "no block is indexed yet; try again once one is")
    seller = seller_funding(view, offer)
    order = (request.funding[0], seller, *request.funding[1:])
    inputs, pool, authorities = _inputs(view, order)
    weights = [_weight(f) for f in order]
    total_in = sum(f.spent.value for f in order)
    receive_value = request.receive_value or dust_threshold(request.receive_script)
    fixed = [
        PlannedOutput("buyer", receive_value, request.receive_script, pool, tuple(authorities)),
        PlannedOutput("seller_payment", offer.signed.price, offer.signed.pay_script),
    ]
    paid = receive_value + offer.signed.price

    def fee_with(scripts: list[bytes]) -> tuple[int, int]:
        weight = tx_weight(weights, [o.script for o in fixed] + scripts)
        return weight, fee_for(weight, request.fee_rate)

    weight, fee = fee_with([request.change_script])
    change = total_in - paid - fee
    outputs = list(fixed)
    if change >= dust_threshold(request.change_script):
        outputs.append(PlannedOutput("change", change, request.change_script))
    else:
        weight, fee = fee_with([])
        if total_in - paid - fee < 0:
            _short_of(total_in, fee, paid + fee - total_in, request.fee_rate)
    spent = [f.spent for f in order]
    pairs = [(o.value, o.script) for o in outputs]
    raw = unsigned_tx(spent, pairs)
    run = dry_run(view, machine, raw)
    to_buyer = run.txid + (0).to_bytes(4, "big")
    expected = {(0, token): amount for token, amount in pool.items() if amount}
    if run.burned or run.credited != expected or run.homes != dict.fromkeys(authorities, to_buyer):
        raise unprocessable(
            "allocation_mismatch",
            "the protocol would not settle every asset of the inputs to output 0; nothing was "
            "composed",
        )
    psbt = PSBT.parse(build_psbt(spent, pairs))
    # The seller's input is final (BIP174 finalizer's fields): signers leave it alone.
    psbt.inputs[SELLER_INPUT].final_scriptwitness = Witness(list(offer.witness))
    return Completion(
        psbt=psbt.serialize(),
        txid=run.txid,
        fee=total_in - sum(o.value for o in outputs),
        vsize=vsize(weight),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        height=tip.height + 1,
    )
