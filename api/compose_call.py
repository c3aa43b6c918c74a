"""``POST /v1/compose/call``: an unsigned PSBT of a contract call (spec/CONTRACTS.md §16.3).

Layout: the caller's outputs first (so the output indexes a contract's input names are the
vouts it sends to), then the change output, which the message's pointer names (whatever the
call leaves in the pool and every spent authority settles there, §7.5), then the carrier.
Without ``outputs`` the change output is output 0: a swap paying "output 0" pays the change.
The change must be above dust (it may receive assets). Before answering, the transaction is
applied by the v2 machine to the tip's state with nothing written, as a simulation does, and
the composition is refused (422 ``would_be_rejected``, with the reason and the contract's
abort code) unless the call succeeds; the answer carries that simulation.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.body import json_object
from api.call_space import buying
from api.compose import (
    ComposeRequest,
    Composition,
    PlannedOutput,
    _inputs,
    _short_of,
    _weight,
    carrier_script,
)
from api.context import context
from api.errors import ApiError, unprocessable
from api.fees import dust_threshold, fee_for, tx_weight, vsize
from api.heavy import HeavyWork, Worker
from api.params import parse_asset_id
from api.pending_compose import pending_patch
from api.psbt import build_psbt, unsigned_tx
from api.render import TokenNames, json_bytes
from api.routes_compose import _common, _field, _render, _text
from api.simulate import CallRequest, call_payload, check_call, effects, parse_call
from indexer.store_view import PatchedView, StoreView
from protocol.machine import Machine
from protocol.overlay import Overlay
from protocol.params import Network
from protocol.tx import parse_transaction


def parse_compose_call(
    network: Network, body: dict[str, Any], min_rate: Fraction
) -> tuple[ComposeRequest, CallRequest]:
    funding, change, rate = _common(network, body, min_rate)
    contract = _text(_field(body, "contract"), "contract")
    # A composed call spends its funding inputs: a simulation's "inputs" has no place here.
    fields = {key: value for key, value in body.items() if key != "inputs"}
    call = parse_call(contract, fields, network, default_outputs=())
    return ComposeRequest(funding, change, rate), call


def compose_call(
    view: StoreView, machine: Machine, base: ComposeRequest, call: CallRequest
) -> tuple[Composition, dict[str, Any]]:
    """The composition and its simulation; refused unless the call would succeed."""
    funding, change_script, rate = base.funding, base.change_script, base.fee_rate
    tip = view.tip()
    if tip is None:
        raise ApiError(503, "not_synced", "no block is indexed yet; try again once one is")
    check_call(view, call)
    inputs, pool, _ = _inputs(view, funding)
    for asset, amount in call.assets:
        if pool.get(asset, 0) < amount:
            raise unprocessable(
                "insufficient_token_balance",
                f"the funding inputs carry {pool.get(asset, 0):,} of an asset the call sends "
                f"{amount:,} of",
            )
    outputs = []
    for n, (value, script) in enumerate(call.outputs):
        dust = dust_threshold(script)
        if value and value < dust:
            raise unprocessable(
                "value_below_dust", f"outputs[{n}].value {value:,} sats is below {dust:,}"
            )
        outputs.append((value or dust, script))
    call = replace(call, pointer=len(outputs))
    spent = [f.spent for f in funding]
    weights = [_weight(f) for f in funding]
    total_in = sum(f.spent.value for f in funding)
    # CONTRACTS.md §21.2: the call uses only the fuel the transaction's vsize buys. Simulate
    # as if it bought the fuel limit, then pad the message until its vsize buys what the
    # call used (a few rounds at most: the padding's own length prefix is the only slack).
    pad = 0
    for _ in range(4):
        payload = call_payload(call, pad)
        carrier = carrier_script(payload)
        weight = tx_weight(weights, [*(s for _, s in outputs), change_script, carrier])
        fee = fee_for(weight, rate)
        change = total_in - sum(v for v, _ in outputs) - fee
        if change < dust_threshold(change_script):
            _short_of(total_in, fee, dust_threshold(change_script) - change, rate)
        pairs = [*outputs, (change, change_script), (0, carrier)]
        # Weighed as signed: the funding inputs' witnesses counted.
        tx = replace(parse_transaction(unsigned_tx(spent, pairs)), weight=weight)
        simulation = effects(Overlay(view), machine, tip.height + 1, call, buying(tx, call.fuel))
        short = (simulation["vsize_needed"] or 0) - vsize(weight)
        if not simulation["accepted"] or short <= 0:
            break
        pad += short
    if simulation["accepted"]:  # the transaction as composed, fuel and all
        simulation = effects(Overlay(view), machine, tip.height + 1, call, tx)
    if not simulation["accepted"]:
        reason = simulation["reason"]["name"]
        detail = simulation["detail"]
        raise unprocessable(
            "would_be_rejected",
            f"the protocol would reject this call: {reason}"
            + ("" if detail is None else f" (code {detail})")
            + "; nothing was composed",
        )
    credited: dict[int, dict[bytes, int]] = {}
    for credit in simulation["credits"]:
        tokens = credited.setdefault(credit["vout"], {})
        tokens[parse_asset_id(credit["asset"], "asset")] = int(credit["amount"])
    roles = ["recipient"] * len(outputs) + ["change", "carrier"]
    planned = tuple(
        PlannedOutput(role, value, script, credited.get(vout, {}))
        for vout, (role, (value, script)) in enumerate(zip(roles, pairs, strict=True))
    )
    composition = Composition(
        psbt=build_psbt(spent, pairs),
        txid=tx.txid,
        fee=fee,
        vsize=vsize(weight),
        payload=payload,
        inputs=tuple(inputs),
        outputs=planned,
        height=tip.height + 1,
    )
    return composition, simulation


def compose_call_job(
    worker: Worker,
    body: dict[str, Any],
    min_rate: Fraction,
    patch: dict[bytes, bytes | None] | None = None,
) -> bytes:
    network = worker.store.identity.network
    base, call = parse_compose_call(network, body, min_rate)
    with worker.store.read() as snapshot:
        # With allow_pending, the pending records of the funding (api.pending_compose).
        view = PatchedView(snapshot, patch) if patch else snapshot
        composition, simulation = compose_call(view, worker.machine, base, call)
        rendered = _render(composition, TokenNames(view), network)
    rendered["simulation"] = simulation
    return json_bytes(rendered)


async def compose_call_endpoint(request: Request) -> Response:
    ctx = context(request)
    body = await json_object(request)
    patch = pending_patch(ctx, body)
    heavy: HeavyWork = request.app.state.heavy
    content = await heavy.run(compose_call_job, body, ctx.settings.min_fee_rate, patch)
    return Response(content, media_type="application/json")


ROUTES = [Route("/v1/compose/call", compose_call_endpoint, methods=["POST"])]
