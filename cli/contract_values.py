"""Typed values for contract inputs, written as ``TYPE:VALUE`` text (contracts/README.md,
the SDK codec): what a test scenario, ``contract check --input`` and ``contract call --arg``
take, so nobody writes little-endian hex by hand.

``u8:1``, ``u16:``, ``u32:``, ``u64:``, ``u128:`` little-endian integers; ``hex:00ff`` raw
bytes; ``script:0014...`` a u16 length then the bytes; ``asset:H:I[:S]`` the 12-byte asset
id (8-byte id, sub id u32 big-endian); ``asset:NAME`` a token a test scenario deployed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

WIDTHS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "u128": 16}
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_ID = re.compile(r"(\d+):(\d+)(?::(\d+))?")
U32_MAX = 2**32 - 1


class ValueSyntaxError(ValueError):
    """A value the user wrote that cannot be encoded; the message says which and why."""


def asset_bytes(text: str, names: Mapping[str, bytes] | None = None) -> bytes:
    """The 12-byte asset id of ``H:I[:S]`` or of a name in ``names``."""
    if names is not None and text in names:
        return names[text]
    match = _ID.fullmatch(text)
    if match is None:
        known = f" or one of {', '.join(sorted(names))}" if names else ""
        raise ValueSyntaxError(f"asset {text!r} is not HEIGHT:INDEX[:SUB]{known}")
    parts = [int(p) for p in match.groups(default="0")]
    if any(p > U32_MAX for p in parts):
        raise ValueSyntaxError(f"asset {text!r}: each part must fit in a u32")
    return b"".join(p.to_bytes(4, "big") for p in parts)


def _hex(text: str, what: str) -> bytes:
    if not _HEX.fullmatch(text):
        raise ValueSyntaxError(f"{what}: {text!r} is not hex (whole bytes)")
    return bytes.fromhex(text)


def encode_value(item: str, names: Mapping[str, bytes] | None = None) -> bytes:
    kind, sep, text = item.partition(":")
    if not sep:
        raise ValueSyntaxError(f"value {item!r} has no type: write e.g. u64:5, hex:00ff, asset:1:2")
    if kind in WIDTHS:
        width = WIDTHS[kind]
        try:
            number = int(text.replace("_", ""), 0)
        except ValueError:
            raise ValueSyntaxError(f"value {item!r}: {text!r} is not an integer") from None
        if not 0 <= number < 1 << (8 * width):
            raise ValueSyntaxError(f"value {item!r} does not fit in a {kind}")
        return number.to_bytes(width, "little")
    if kind == "hex":
        return _hex(text, item)
    if kind == "script":
        raw = _hex(text, item)
        return len(raw).to_bytes(2, "little") + raw
    if kind == "asset":
        return asset_bytes(text, names)
    raise ValueSyntaxError(f"value {item!r}: unknown type {kind!r} (u8..u128, hex, script, asset)")


def encode_values(items: Iterable[str], names: Mapping[str, bytes] | None = None) -> bytes:
    """The concatenation, in order: one fixed layout, as the SDK's Reader reads it."""
    return b"".join(encode_value(item, names) for item in items)
