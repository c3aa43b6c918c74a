"""Parsing what clients send: txids, outpoints, token references, addresses, pages, cursors.

Every parser raises :class:`ApiError` (400) with a code naming what was malformed, so a bad
value can never reach the store or surface as a 5xx.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from starlette.requests import Request

from api.address import AddressError, address_to_script
from api.errors import ApiError, bad_request
from protocol.contracts.token import TICKER_RULE
from protocol.fields import parse_token_id
from protocol.params import U32_MAX, Network

HEX64 = re.compile(r"[0-9a-fA-F]{64}")
#: A page of more items than this is never served, whatever the settings say.
HARD_PAGE_LIMIT = 10_000


def parse_txid(text: str) -> bytes:
    """A txid in the hex form RPC and explorers show; returned in internal byte order."""
    if not HEX64.fullmatch(text):
        raise bad_request("invalid_txid", f"{text[:80]!r} is not a txid (64 hex digits)")
    return bytes.fromhex(text)[::-1]


def format_txid(txid: bytes) -> str:
    return txid[::-1].hex()


def parse_outpoint(text: str) -> bytes:
    """``TXID:VOUT`` to the protocol's 36-byte form (txid internal order + vout u32 BE)."""
    txid_text, sep, vout_text = text.partition(":")
    if not sep or not HEX64.fullmatch(txid_text) or not is_u32(vout_text):
        raise bad_request(
            "invalid_outpoint", f"{text[:100]!r} is not an outpoint (TXID:VOUT, VOUT decimal)"
        )
    return bytes.fromhex(txid_text)[::-1] + int(vout_text).to_bytes(4, "big")


def format_outpoint(outpoint: bytes) -> str:
    return f"{outpoint[:32][::-1].hex()}:{int.from_bytes(outpoint[32:], 'big')}"


def is_u32(text: str) -> bool:
    if not text.isdigit() or not text.isascii() or (len(text) > 1 and text[0] == "0"):
        return False
    return len(text) <= 10 and int(text) <= U32_MAX


def parse_asset_id(text: object, where: str, code: str = "invalid_asset") -> bytes:
    """CONTRACTS.md §14.2: ``HEIGHT:INDEX`` (a token) or ``HEIGHT:INDEX:SUB`` (SUB >= 1)."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) not in (2, 3) or not all(is_u32(part) for part in parts) or parts[2:] == ["0"]:
        raise bad_request(code, f"{where} is not HEIGHT:INDEX or HEIGHT:INDEX:SUB")
    return b"".join(int(part).to_bytes(4, "big") for part in parts)


@dataclass(frozen=True)
class TokenRef:
    """A token named by id (``HEIGHT:INDEX``) or by ticker."""

    token_id: bytes | None
    ticker: str | None


def parse_token_id_param(text: str, what: str = "token") -> bytes:
    """A ``HEIGHT:INDEX`` id (a token's, or a contract's) to its 8 bytes (spec §2.4)."""
    try:
        return parse_token_id(text)
    except ValueError as exc:
        raise bad_request(f"invalid_{what}", str(exc).replace("token id", f"{what} id")) from None


def parse_token_ref(text: str) -> TokenRef:
    if ":" in text:
        try:
            return TokenRef(parse_token_id(text), None)
        except ValueError as exc:
            raise bad_request("invalid_token", str(exc)) from None
    if TICKER_RULE.fullmatch(text):
        return TokenRef(None, text)
    raise bad_request(
        "invalid_token",
        f"{text[:40]!r} is neither a token id (HEIGHT:INDEX) nor a ticker ([A-Z][A-Z0-9]{{2,11}})",
    )


def parse_address(text: str, network: Network) -> bytes:
    try:
        return address_to_script(text, network)
    except AddressError as exc:
        raise bad_request("invalid_address", str(exc)) from None


def parse_limit(request: Request, default: int, maximum: int) -> int:
    text = request.query_params.get("limit")
    if text is None:
        return min(default, maximum)
    if not text.isdigit() or not text.isascii() or len(text) > 6:
        raise bad_request("invalid_limit", f"limit {text[:20]!r} is not a whole number")
    limit = int(text)
    if not 1 <= limit <= min(maximum, HARD_PAGE_LIMIT):
        raise bad_request("invalid_limit", f"limit must be 1 to {maximum:,}, got {limit:,}")
    return limit


def parse_flag(request: Request, name: str) -> bool:
    """A boolean query parameter: ``true`` or ``false``, absent meaning false."""
    text = request.query_params.get(name)
    if text is None or text == "false":
        return False
    if text == "true":
        return True
    raise bad_request(f"invalid_{name}", f"{name} must be true or false, not {text[:20]!r}")


def parse_height(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not is_u32(text):
        raise bad_request("invalid_height", f"{name} {text[:20]!r} is not a block height")
    return int(text)


def choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get(name, allowed[0])
    if value not in allowed:
        raise bad_request(f"invalid_{name}", f"{name} must be one of {', '.join(allowed)}")
    return value


# Cursors are opaque to clients: a kind byte and an index key, base64url without padding.
# The kind ties a cursor to the listing it came from, so it cannot be replayed elsewhere.


def encode_cursor(kind: int, key: bytes) -> str:
    return base64.urlsafe_b64encode(bytes([kind]) + key).rstrip(b"=").decode("ascii")


def parse_cursor(request: Request, kind: int, length: int) -> bytes | None:
    text = request.query_params.get("cursor")
    if not text:
        return None  # an empty cursor asks for the first page, like none
    if len(text) > 400 or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise bad_request("invalid_cursor", "a cursor is at most 400 characters of base64url")
    # Well-formed, but not one this listing handed out (another listing's, or made up).
    foreign = ApiError(422, "invalid_cursor", "cursor is not one this listing handed out")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise foreign from None
    if len(raw) != 1 + length or raw[0] != kind:
        raise foreign
    return raw[1:]


T = TypeVar("T")


def page(items: Iterable[T], limit: int) -> tuple[list[T], bool]:
    """The first ``limit`` items, and whether there are more."""
    taken = list(islice(items, limit + 1))
    return taken[:limit], len(taken) > limit
