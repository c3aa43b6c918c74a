"""POST /v1/compose/{transfer,mint,burn}: unsigned PSBTs from the caller's own UTXOs.

Every request names its funding inputs (outpoint, value, script or address, and the token
ids each carries), a change address and a fee rate in sat/vB; see :mod:`api.compose` for
the layout and the checks. Amounts are integers or decimal strings of base units.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from fractions import Fraction
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.body import json_object
from api.compose import ComposeRequest, Composition, Funding, Payment, PlannedOutput, compose
from api.context import context
from api.errors import bad_request, unprocessable
from api.fees import (
    MAX_INPUT_WEIGHT,
    UnknownInputError,
    dust_threshold,
    input_weight,
    witness_version,
)
from api.heavy import HeavyWork, Worker
from api.messages import render_message
from api.params import (
    format_outpoint,
    format_txid,
    parse_address,
    parse_asset_id,
    parse_outpoint,
    parse_token_ref,
)
from api.pending_compose import pending_patch
from api.psbt import SpentOutput
from api.render import Json, TokenNames, json_bytes, render_script
from api.routes_tokens import resolve_token
from indexer.store_view import PatchedView, StoreView
from protocol.fields import format_token_id
from protocol.params import U128_MAX, Network
from protocol.tx import TransactionParseError, parse_transaction

MAX_FUNDING_INPUTS = 250
MAX_TRANSFERS = 64  # spec §5.1: at most 64 operations per message
MAX_FEE_RATE = 10_000
MAX_SATS = 21_000_000 * 100_000_000
MAX_SCRIPT_BYTES = 10_000
MAX_DECLARED_TOKENS = 1_000
#: Hex as the OpenAPI document describes it: whole bytes, no spaces (bytes.fromhex allows them).
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")

Resolver = Callable[[StoreView], ComposeRequest]


def _field(body: dict[str, Any], name: str, where: str = "") -> Any:
    if name not in body:
        raise bad_request("invalid_body", f"{where}{name} is required")
    return body[name]


def _int(
    value: Any, name: str, low: int, high: int, code: str = "invalid_body", *, text: bool = False
) -> int:
    """An integer in ``low..high``; with ``text``, also its decimal string (no leading zero)."""
    if text and isinstance(value, str) and _is_decimal(value):
        value = int(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON (and JSON Schema's "integer") does not tell 5.0 from 5
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        kind = "an integer (or decimal string)" if text else "an integer"
        raise bad_request(code, f"{name} must be {kind} from {low:,} to {high:,}")
    return value


def _is_decimal(value: str) -> bool:
    return value.isdigit() and value.isascii() and len(value) <= 40 and not value.startswith("0")


def _hex(value: Any, name: str, code: str) -> bytes:
    text = _text(value, name)
    if not _HEX.fullmatch(text):
        raise bad_request(code, f"{name} is not hex (whole bytes, no spaces)")
    return bytes.fromhex(text)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise bad_request("invalid_body", f"{name} must be a string")
    return value


def _fee_rate(body: dict[str, Any], minimum: Fraction) -> Fraction:
    value = _field(body, "fee_rate")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_request("invalid_fee_rate", "fee_rate must be a number of sat/vB")
    rate = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if not minimum <= rate <= MAX_FEE_RATE:
        raise bad_request(
            "invalid_fee_rate",
            f"fee_rate must be from {float(minimum):g} (the minimum relay fee: nodes do not "
            f"relay less) to {MAX_FEE_RATE:,} sat/vB",
        )
    return rate


def _script(item: dict[str, Any], where: str, network: Network) -> bytes:
    if "script_pubkey" in item:
        script = _hex(item["script_pubkey"], f"{where}script_pubkey", "invalid_script")
        if len(script) > MAX_SCRIPT_BYTES:
            raise bad_request(
                "invalid_script", f"{where}script_pubkey is over {MAX_SCRIPT_BYTES:,} bytes"
            )
        if (
            "address" in item
            and parse_address(_text(item["address"], "address"), network) != script
        ):
            raise unprocessable("script_mismatch", f"{where}address and script_pubkey disagree")
        return script
    return parse_address(_text(_field(item, "address", where), f"{where}address"), network)


def _funding(body: dict[str, Any], network: Network) -> tuple[Funding, ...]:
    items = _field(body, "funding")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_FUNDING_INPUTS:
        raise bad_request(
            "invalid_body", f"funding must be a list of 1 to {MAX_FUNDING_INPUTS} inputs"
        )
    out = []
    for n, item in enumerate(items):
        where = f"funding[{n}]."
        if not isinstance(item, dict):
            raise bad_request("invalid_body", f"funding[{n}] must be an object")
        outpoint = parse_outpoint(_text(_field(item, "outpoint", where), f"{where}outpoint"))
        value = _int(_field(item, "value", where), f"{where}value", 1, MAX_SATS)
        script = _script(item, where, network)
        declared = item.get("tokens", [])
        if not isinstance(declared, list) or len(declared) > MAX_DECLARED_TOKENS:
            raise bad_request("invalid_body", f"{where}tokens must be a list of token ids")
        # Token ids, or contract asset ids (HEIGHT:INDEX:SUB) such as an AMM's LP shares.
        tokens = frozenset(
            parse_asset_id(t, f"{where}tokens[{i}]", "invalid_token")
            for i, t in enumerate(declared)
        )
        weight = None
        if "input_weight" in item:
            weight = _int(item["input_weight"], f"{where}input_weight", 1, MAX_INPUT_WEIGHT)
        else:
            try:
                input_weight(script)
            except UnknownInputError as exc:
                raise unprocessable("unsupported_input", f"{where[:-1]}: {exc}") from None
        prev_tx = _prev_tx(item, where, outpoint, value, script)
        out.append(Funding(SpentOutput(outpoint, value, script, prev_tx), tokens, weight))
    total = sum(f.spent.value for f in out)
    if total > MAX_SATS:
        raise unprocessable(
            "value_out_of_range",
            f"the funding inputs sum to {total:,} sats, more than the 21,000,000 BTC that can "
            "exist: at least one value is wrong",
        )
    return tuple(out)


def _prev_tx(
    item: dict[str, Any], where: str, outpoint: bytes, value: int, script: bytes
) -> bytes | None:
    if "prev_tx" not in item:
        if witness_version(script) is None:
            raise unprocessable(
                "prev_tx_required",
                f"{where}prev_tx (the raw previous transaction) is required for a non-segwit input",
            )
        return None
    raw = _hex(item["prev_tx"], f"{where}prev_tx", "invalid_prev_tx")
    try:
        tx = parse_transaction(raw)
    except (ValueError, TransactionParseError):
        raise unprocessable("invalid_prev_tx", f"{where}prev_tx is not a raw transaction") from None
    vout = int.from_bytes(outpoint[32:], "big")
    if tx.txid != outpoint[:32] or vout >= len(tx.outputs):
        raise unprocessable("invalid_prev_tx", f"{where}prev_tx is not the transaction spent")
    spent = tx.outputs[vout]
    if spent.value != value or spent.script != script:
        raise unprocessable("invalid_prev_tx", f"{where}value or script disagree with prev_tx")
    return raw


def _amount(value: Any, name: str) -> int:
    return _int(value, name, 1, U128_MAX, code="invalid_amount", text=True)


def _payment_parts(item: dict[str, Any], where: str, network: Network) -> tuple[str, bytes, int]:
    token = _text(_field(item, "token", where), f"{where}token")
    parse_token_ref(token)
    script = parse_address(_text(_field(item, "address", where), f"{where}address"), network)
    value = _int(item.get("value", 0), f"{where}value", 0, MAX_SATS)
    if value and value < dust_threshold(script):
        raise unprocessable(
            "value_below_dust",
            f"{where}value {value:,} sats is below the dust limit of "
            f"{dust_threshold(script):,} for its address",
        )
    return token, script, value


def _common(
    network: Network, body: dict[str, Any], min_rate: Fraction
) -> tuple[tuple[Funding, ...], bytes, Fraction]:
    change = parse_address(_text(_field(body, "change_address"), "change_address"), network)
    return _funding(body, network), change, _fee_rate(body, min_rate)


def _transfer(network: Network, body: dict[str, Any], min_rate: Fraction) -> Resolver:
    funding, change, rate = _common(network, body, min_rate)
    items = _field(body, "transfers")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_TRANSFERS:
        raise bad_request("invalid_body", f"transfers must be a list of 1 to {MAX_TRANSFERS}")
    parts = []
    for n, item in enumerate(items):
        where = f"transfers[{n}]."
        if not isinstance(item, dict):
            raise bad_request("invalid_body", f"transfers[{n}] must be an object")
        token, script, value = _payment_parts(item, where, network)
        parts.append(
            (token, _amount(_field(item, "amount", where), f"{where}amount"), script, value)
        )

    def resolve(view: StoreView) -> ComposeRequest:
        transfers = tuple(
            Payment(resolve_token(view, token)[0], amount, script, value)
            for token, amount, script, value in parts
        )
        return ComposeRequest(funding, change, rate, transfers=transfers)

    return resolve


def _mint(network: Network, body: dict[str, Any], min_rate: Fraction) -> Resolver:
    funding, change, rate = _common(network, body, min_rate)
    token, script, value = _payment_parts(body, "", network)
    amount = _amount(body["amount"], "amount") if "amount" in body else None

    def resolve(view: StoreView) -> ComposeRequest:
        mint = Payment(resolve_token(view, token)[0], amount, script, value)
        return ComposeRequest(funding, change, rate, mint=mint)

    return resolve


def _burn(network: Network, body: dict[str, Any], min_rate: Fraction) -> Resolver:
    funding, change, rate = _common(network, body, min_rate)
    token = _text(_field(body, "token"), "token")
    parse_token_ref(token)
    amount = _amount(_field(body, "amount"), "amount")

    def resolve(view: StoreView) -> ComposeRequest:
        burns = ((resolve_token(view, token)[0], amount),)
        return ComposeRequest(funding, change, rate, burns=burns)

    return resolve


def render_outputs(
    outputs: Sequence[PlannedOutput], names: TokenNames, network: Network
) -> list[Json]:
    """Planned outputs with the balances and authorities the machine was checked to give."""
    return [
        {
            "vout": vout,
            "role": output.role,
            "value": output.value,
            **render_script(output.script, network),
            "balances": [names.amount(t, a) for t, a in sorted(output.tokens.items()) if a],
            "authorities": [format_token_id(t) for t in output.authorities],
        }
        for vout, output in enumerate(outputs)
    ]


def _render(composition: Composition, names: TokenNames, network: Network) -> Json:
    message, _ = render_message(composition.payload)
    return {
        "psbt": base64.b64encode(composition.psbt).decode("ascii"),
        "txid": format_txid(composition.txid),
        "fee": composition.fee,
        "vsize": composition.vsize,
        "payload": composition.payload.hex(),
        "message": message,
        "valid_from_height": composition.height,
        "inputs": [
            {
                "outpoint": format_outpoint(funding.spent.outpoint),
                "value": funding.spent.value,
                "balances": [names.amount(t, a) for t, a in assets.balances],
                "authorities": [format_token_id(t) for t in assets.authorities],
            }
            for funding, assets in composition.inputs
        ],
        "outputs": render_outputs(composition.outputs, names, network),
    }


PARSERS: dict[str, Callable[[Network, dict[str, Any], Fraction], Resolver]] = {
    "transfer": _transfer,
    "mint": _mint,
    "burn": _burn,
}


def compose_job(
    worker: Worker,
    kind: str,
    body: dict[str, Any],
    min_rate: Fraction,
    patch: dict[bytes, bytes | None] | None = None,
) -> bytes:
    """Parse, compose, verify and render one request, in a heavy-work process; ``patch``
    (pending state values, with ``allow_pending``) is read before the snapshot."""
    network = worker.store.identity.network
    resolve = PARSERS[kind](network, body, min_rate)
    with worker.store.read() as snapshot:
        view = PatchedView(snapshot, patch) if patch else snapshot
        composition = compose(view, worker.machine, resolve(view))
        rendered = _render(composition, TokenNames(view), network)
    return json_bytes(rendered)


def _endpoint(kind: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        ctx = context(request)
        body = await json_object(request)
        patch = pending_patch(ctx, body)
        heavy: HeavyWork = request.app.state.heavy
        content = await heavy.run(compose_job, kind, body, ctx.settings.min_fee_rate, patch)
        return Response(content, media_type="application/json")

    return endpoint


ROUTES = [Route(f"/v1/compose/{kind}", _endpoint(kind), methods=["POST"]) for kind in PARSERS]
