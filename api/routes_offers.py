"""/v1/offers: trustless BTC-for-token offers (spec/OFFERS.md).

- ``POST /v1/compose/offer``: the seller's one-input, one-output PSBT to sign with 0x83;
- ``POST /v1/offers``: submit a signed offer; checked against the tip, then kept in the book;
- ``GET /v1/offers?token=``: open offers of a token; ``GET /v1/offers/{outpoint}``: one;
- ``POST /v1/offers/{outpoint}/take``: the buyer's completion PSBT.

Checking a signature and composing run in the heavy-work processes, like compose; the book
(:mod:`api.offer_book`) is read and written here, in short transactions. Every offer a
listing returns is re-checked against the tip first, and those whose outpoint is spent are
pruned from the book.
"""

from __future__ import annotations

import base64
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.body import json_object
from api.context import context
from api.errors import ApiError, not_found, unprocessable
from api.fees import dust_threshold
from api.heavy import HeavyWork, Worker
from api.offer_book import Offer, OfferBook, OfferBookFullError, book_path
from api.offer_sig import SIGHASH_SINGLE_ANYONECANPAY, SignedInput, script_kind
from api.offer_take import Completion, TakeRequest, compose_take
from api.offers import assets_at, check_offer, compose_offer, is_open
from api.params import (
    encode_cursor,
    format_outpoint,
    format_txid,
    parse_address,
    parse_asset_id,
    parse_cursor,
    parse_limit,
    parse_outpoint,
)
from api.psbt import SEQUENCE_RBF
from api.render import Json, TokenNames, json_bytes, render_assets, render_script
from api.routes_compose import (
    MAX_SATS,
    _fee_rate,
    _field,
    _funding,
    _int,
    _script,
    _text,
    render_outputs,
)
from api.routes_tokens import resolve_token
from indexer.store_view import StoreView
from protocol.fields import format_token_id
from protocol.params import Network

OFFERS_CURSOR = 32

_books: dict[Path, OfferBook] = {}
_books_lock = threading.Lock()


def offer_book(request: Request) -> OfferBook:
    """The book beside the store, opened once per process (LMDB forbids opening one
    environment twice in a process)."""
    path = book_path(context(request).reader.config.path)
    with _books_lock:
        if path not in _books:
            try:
                _books[path] = OfferBook(path)
            except OSError as exc:
                raise ApiError(
                    503, "offers_unavailable", f"the offer book cannot be opened: {exc}"
                ) from None
        return _books[path]


def _signed(network: Network, body: dict[str, Any]) -> SignedInput:
    outpoint = parse_outpoint(_text(_field(body, "outpoint"), "outpoint"))
    value = _int(_field(body, "value"), "value", 1, MAX_SATS)
    script = _script(body, "", network)
    price = _int(_field(body, "price"), "price", 1, MAX_SATS)
    pay_script = parse_address(_text(_field(body, "pay_to"), "pay_to"), network)
    return SignedInput(outpoint, value, script, SEQUENCE_RBF, price, pay_script)


def compose_offer_job(worker: Worker, body: dict[str, Any]) -> bytes:
    network = worker.store.identity.network
    signed = _signed(network, body)
    with worker.store.read() as view:
        composed = compose_offer(view, signed)
        names = TokenNames(view)
        assets = render_assets(signed.outpoint, composed.assets.encode(), names)
    return json_bytes(
        {
            "psbt": base64.b64encode(composed.psbt).decode("ascii"),
            "sighash_type": SIGHASH_SINGLE_ANYONECANPAY,
            "digest": composed.digest.hex(),
            "script_kind": script_kind(signed.script),
            "price": signed.price,
            "pay_to": render_script(signed.pay_script, network),
            **assets,
        }
    )


def check_offer_job(worker: Worker, body: dict[str, Any]) -> Offer:
    with worker.store.read() as view:
        return check_offer(view, _text(_field(body, "psbt"), "psbt"))


def _take_request(network: Network, body: dict[str, Any], min_rate: Fraction) -> TakeRequest:
    funding = _funding(body, network)
    receive = parse_address(_text(_field(body, "address"), "address"), network)
    value = _int(body.get("value", 0), "value", 0, MAX_SATS)
    if value and value < dust_threshold(receive):
        raise unprocessable(
            "value_below_dust",
            f"value {value:,} sats is below the dust limit of {dust_threshold(receive):,} "
            "for address",
        )
    change = parse_address(_text(_field(body, "change_address"), "change_address"), network)
    return TakeRequest(funding, receive, value, change, _fee_rate(body, min_rate))


def take_job(worker: Worker, offer: Offer, body: dict[str, Any], min_rate: Fraction) -> bytes:
    network = worker.store.identity.network
    request = _take_request(network, body, min_rate)
    with worker.store.read() as view:
        completion = compose_take(view, worker.machine, offer, request)
        return json_bytes(_render_completion(completion, TokenNames(view), network))


def _render_completion(completion: Completion, names: TokenNames, network: Network) -> Json:
    return {
        "psbt": base64.b64encode(completion.psbt).decode("ascii"),
        "txid": format_txid(completion.txid),
        "fee": completion.fee,
        "vsize": completion.vsize,
        "valid_from_height": completion.height,
        "inputs": [
            {
                "outpoint": format_outpoint(funding.spent.outpoint),
                "value": funding.spent.value,
                "role": "seller" if index == 1 else "buyer",
                "balances": [names.amount(t, a) for t, a in assets.balances],
                "authorities": [format_token_id(t) for t in assets.authorities],
            }
            for index, (funding, assets) in enumerate(completion.inputs)
        ],
        "outputs": render_outputs(completion.outputs, names, network),
    }


def render_offer(view: StoreView, offer: Offer, network: Network) -> Json:
    assets = assets_at(view, offer.outpoint)
    raw = None if assets is None else assets.encode()
    return {
        **render_assets(offer.outpoint, raw, TokenNames(view)),
        "value": offer.signed.value,
        "seller": render_script(offer.signed.script, network),
        "script_kind": script_kind(offer.signed.script),
        "price": offer.signed.price,
        "pay_to": render_script(offer.signed.pay_script, network),
        "sequence": offer.signed.sequence,
        "sighash_type": SIGHASH_SINGLE_ANYONECANPAY,
        "witness": [item.hex() for item in offer.witness],
    }


async def compose_endpoint(request: Request) -> Response:
    body = await json_object(request)
    heavy: HeavyWork = request.app.state.heavy
    return Response(await heavy.run(compose_offer_job, body), media_type="application/json")


async def submit(request: Request) -> Response:
    ctx = context(request)
    body = await json_object(request)
    heavy: HeavyWork = request.app.state.heavy
    offer = await heavy.run(check_offer_job, body)
    book = offer_book(request)
    with ctx.reader.read() as view:
        try:
            book.put(offer, lambda outpoint: is_open(view, outpoint))
        except OfferBookFullError:
            raise ApiError(
                503,
                "offer_book_full",
                f"the offer book holds {book.capacity:,} open offers, the most this server "
                "keeps; try again later",
            ) from None
        rendered = render_offer(view, offer, ctx.reader.identity.network)
    return Response(json_bytes(rendered), media_type="application/json")


def _asset(view: StoreView, text: str) -> bytes:
    """A token (id or ticker) or a contract asset id HEIGHT:INDEX:SUB."""
    if text.count(":") == 2:
        return parse_asset_id(text, "token", "invalid_token")
    return resolve_token(view, text)[0]


async def list_offers(request: Request) -> Response:
    ctx = context(request)
    token = request.query_params.get("token")
    if token is None:
        raise ApiError(400, "invalid_token", "token (a token id, ticker or asset id) is required")
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    after = parse_cursor(request, OFFERS_CURSOR, 36)
    book = offer_book(request)
    network = ctx.reader.identity.network
    with ctx.reader.read() as view:
        asset = _asset(view, token)
        found: list[Offer] = []
        more = False
        # Spent offers are pruned as met; fetch again until the page is full or none is left.
        while True:
            batch = book.of_asset(asset, after, limit + 1 - len(found))
            gone = [o.outpoint for o in batch if not is_open(view, o.outpoint)]
            book.remove(gone)
            found += [o for o in batch if o.outpoint not in gone]
            if len(found) > limit:
                found, more = found[:limit], True
                break
            if not gone or not batch:
                break
            after = batch[-1].outpoint
        rendered = [render_offer(view, o, network) for o in found]
    cursor = encode_cursor(OFFERS_CURSOR, found[-1].outpoint) if more else None
    return Response(json_bytes({"offers": rendered, "next": cursor}), media_type="application/json")


def _open_offer(request: Request, view: StoreView) -> Offer:
    outpoint = parse_outpoint(request.path_params["outpoint"])
    book = offer_book(request)
    offer = book.get(outpoint)
    if offer is None:
        raise not_found("offer_not_found", f"no open offer on {format_outpoint(outpoint)}")
    if not is_open(view, outpoint):
        book.remove([outpoint])
        raise not_found(
            "offer_not_found",
            f"the offer on {format_outpoint(outpoint)} is gone: its outpoint is spent",
        )
    return offer


async def get_offer(request: Request) -> Response:
    ctx = context(request)
    with ctx.reader.read() as view:
        rendered = render_offer(view, _open_offer(request, view), ctx.reader.identity.network)
    return Response(json_bytes(rendered), media_type="application/json")


async def take(request: Request) -> Response:
    ctx = context(request)
    body = await json_object(request)
    with ctx.reader.read() as view:
        offer = _open_offer(request, view)
    heavy: HeavyWork = request.app.state.heavy
    content = await heavy.run(take_job, offer, body, ctx.settings.min_fee_rate)
    return Response(content, media_type="application/json")


async def offers(request: Request) -> Response:
    """One route for both methods, so a 405 names both in its Allow header."""
    return await (list_offers if request.method in ("GET", "HEAD") else submit)(request)


ROUTES = [
    Route("/v1/compose/offer", compose_endpoint, methods=["POST"]),
    Route("/v1/offers", offers, methods=["GET", "POST"]),
    Route("/v1/offers/{outpoint}", get_offer, methods=["GET"]),
    Route("/v1/offers/{outpoint}/take", take, methods=["POST"]),
]
