"""Tokens: the list (by deploy order or holder count), one token, and its holders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.context import context
from api.errors import bad_request, not_found
from api.params import choice, encode_cursor, page, parse_cursor, parse_limit, parse_token_ref
from api.render import Json, render_script, render_token
from indexer.store_schema import TOKEN_RANK
from indexer.store_view import StoreView
from protocol.contracts.token import TokenRecord
from protocol.contracts.wasm.records import ASSET_ID_LEN, wide_asset
from protocol.fields import format_token_id
from protocol.state import TOKEN_KEY_LEN, TOKEN_PREFIX, ticker_key, token_key

# Cursor kinds: one per listing and order, so a cursor only continues the listing it came from.
_CURSOR_KINDS = {
    ("deploy", "asc"): 1,
    ("deploy", "desc"): 2,
    ("holders", "asc"): 3,
    ("holders", "desc"): 4,
}
HOLDERS_CURSOR = 5
HOLDER_KEY_LEN = ASSET_ID_LEN + 16 + 32  # the holders index key (indexer.store)


def resolve_token(view: StoreView, text: str) -> tuple[bytes, TokenRecord]:
    """A token by id or ticker; 400 if malformed, 404 if no such token is deployed."""
    ref = parse_token_ref(text)
    token = ref.token_id
    if token is None and ref.ticker is not None:
        token = view.get(ticker_key(ref.ticker))
    raw = None if token is None else view.get(token_key(token))
    if token is None or raw is None:
        raise not_found("token_not_found", f"no token {text} is deployed")
    return token, TokenRecord.decode(raw)


def _render(view: StoreView, token: bytes) -> Json:
    raw = view.get(token_key(token))
    if raw is None:
        raise AssertionError(f"token_rank names token {token.hex()}, which has no record")
    return render_token(token, TokenRecord.decode(raw), view.token_stats(token))


async def list_tokens(request: Request) -> Response:
    ctx = context(request)
    sort = choice(request, "sort", ("deploy", "holders"))
    order = choice(request, "order", ("asc", "desc") if sort == "deploy" else ("desc", "asc"))
    kind = _CURSOR_KINDS[sort, order]
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    reverse = order == "desc"
    with ctx.reader.read() as view:
        if sort == "deploy":
            after = parse_cursor(request, kind, TOKEN_KEY_LEN)
            entries = view.state_after(TOKEN_PREFIX, after, reverse=reverse)
            keyed = ((key, key[1:]) for key, _ in entries)
        else:
            after = parse_cursor(request, kind, TOKEN_RANK.size)
            ranked = view.tokens_by_holders(after, reverse=reverse)
            keyed = ((key, token) for key, _, token in ranked)
        taken, more = page(keyed, limit)
        tokens = [_render(view, token) for _, token in taken]
    cursor = encode_cursor(kind, taken[-1][0]) if more else None
    return JSONResponse({"tokens": tokens, "next": cursor})


async def get_token(request: Request) -> Response:
    ctx = context(request)
    with ctx.reader.read() as view:
        token, record = resolve_token(view, request.path_params["token"])
        body = render_token(token, record, view.token_stats(token))
    return JSONResponse(body)


async def token_holders(request: Request) -> Response:
    ctx = context(request)
    limit = parse_limit(request, ctx.settings.default_page_size, ctx.settings.max_page_size)
    network = ctx.reader.identity.network
    with ctx.reader.read() as view:
        token, record = resolve_token(view, request.path_params["token"])
        after = parse_cursor(request, HOLDERS_CURSOR, HOLDER_KEY_LEN)
        if after is not None and after[:ASSET_ID_LEN] != wide_asset(token):
            raise bad_request("invalid_cursor", "the cursor belongs to another token's holders")
        taken, more = page(view.holders(token, after), limit)
        stats = view.token_stats(token)
    holders = [
        {**render_script(script, network), "amount": str(balance)} for _, script, balance in taken
    ]
    return JSONResponse(
        {
            "token": format_token_id(token),
            "ticker": record.ticker,
            "decimals": record.decimals,
            "holder_count": 0 if stats is None else stats[0],
            "holders": holders,
            "next": encode_cursor(HOLDERS_CURSOR, taken[-1][0]) if more else None,
        }
    )


ROUTES = [
    Route("/v1/tokens", list_tokens, methods=["GET"]),
    Route("/v1/tokens/{token}", get_token, methods=["GET"]),
    Route("/v1/tokens/{token}/holders", token_holders, methods=["GET"]),
]
