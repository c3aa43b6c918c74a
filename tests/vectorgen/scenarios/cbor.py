"""Strict CBOR profile scenarios (spec §4), payloads written byte by byte."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen.model import Terms, TokenState
from tests.vectorgen.scenarios.common import deploy_issuer, next_tok, rejected_alone
from tests.vectorgen.txbuild import carrier, pay
from tests.vectorgen.vector import Vector

U128_MAX = 2**128 - 1
OPEN = Terms(10, 10)


def raw(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def op(max_supply: str = "19 03e8", ticker: str = "64 43424f52") -> str:
    """The deploy op {0: 1, 1: ticker, 3: max supply, 4: {0: 10, 1: 10}} in hex."""
    return f"a4 0001 01 {ticker} 03 {max_supply} 04 a2 000a 010a"


def msg(operation: str | None = None, version: str = "01", extra: str = "") -> bytes:
    """{0: version, 1: [operation], **extra}; ``extra`` is raw key/value hex."""
    count = 2 + (1 if extra else 0)
    return raw(f"{0xA0 + count:02x} 00 {version} 01 81 {operation or op()} {extra}")


VALID = msg()
MAX_2_128 = "c2 51 01" + "00" * 16


def _rejections(
    name: str, description: str, sections: list[str], cases: list[tuple[bytes, str]]
) -> dict[str, Any]:
    v = Vector(name, description, sections)
    b = v.block()
    for payload, reason in cases:
        rejected_alone(v, b, payload, reason)
    return v.finish()


def _accept_cbor_deploy(v: Vector, payload: bytes, max_supply: int = 1000) -> None:
    b = v.current
    tok = next_tok(b)
    tx = b.tx([v.fund()], [pay(), carrier(payload)])
    b.expect(ev.deploy(tx, tok, "CBOR", max_supply, terms=OPEN))
    v.ledger.token(tok, TokenState("CBOR", max_supply, tx.txid, terms=OPEN))


def not_well_formed() -> dict[str, Any]:
    return _rejections(
        "cbor-not-well-formed",
        "Truncated item, reserved additional information 28, a stray break, a two-byte simple "
        "value below 32, a wrong-type chunk in an indefinite string, a map missing a value.",
        ["4.1"],
        [
            (VALID[:-1], "invalid_cbor"),
            (raw("1c"), "invalid_cbor"),
            (raw("ff"), "invalid_cbor"),
            (raw("f8 10"), "invalid_cbor"),
            (raw("7f 41 61 ff"), "invalid_cbor"),
            (raw("a1 00"), "invalid_cbor"),
        ],
    )


def trailing_bytes() -> dict[str, Any]:
    return _rejections(
        "cbor-trailing-bytes",
        "A valid message followed by one more byte, or by a second copy of itself.",
        ["4.1"],
        [(VALID + raw("00"), "invalid_cbor"), (VALID + VALID, "invalid_cbor")],
    )


def invalid_utf8() -> dict[str, Any]:
    return _rejections(
        "cbor-invalid-utf8",
        "A text string that is not UTF-8, as the ticker and inside an ignored odd key.",
        ["4.1"],
        [
            (msg(op(ticker="64 4342ff52")), "invalid_cbor"),
            (msg(extra="03 62 c328"), "invalid_cbor"),
        ],
    )


def non_minimal_heads() -> dict[str, Any]:
    return _rejections(
        "cbor-non-minimal-int",
        "Non-minimal heads: version 1 as 0x18 0x01, max supply 1000 in 4 bytes, a text length "
        "and an array count in one extra byte.",
        ["4.3"],
        [
            (msg(version="18 01"), "non_canonical_cbor"),
            (msg(op(max_supply="1a 000003e8")), "non_canonical_cbor"),
            (msg(op(ticker="78 04 43424f52")), "non_canonical_cbor"),
            (raw(f"a2 0001 01 98 01 {op()}"), "non_canonical_cbor"),
        ],
    )


def unsorted_keys() -> dict[str, Any]:
    return _rejections(
        "cbor-unsorted-keys",
        "Map keys out of ascending order, in the message map and in an operation map.",
        ["4.3"],
        [
            (raw(f"a2 01 81 {op()} 00 01"), "non_canonical_cbor"),
            (
                raw("a2 0001 01 81 a4 0001 03 1903e8 01 6443424f52 04 a2 000a 010a"),
                "non_canonical_cbor",
            ),
        ],
    )


def duplicate_keys() -> dict[str, Any]:
    return _rejections(
        "cbor-duplicate-keys",
        "A map with a key twice (same value; different values).",
        ["4.3"],
        [
            (raw(f"a3 0001 0001 01 81 {op()}"), "non_canonical_cbor"),
            (raw(f"a3 0001 01 81 {op()} 01 80"), "non_canonical_cbor"),
        ],
    )


def bignums() -> dict[str, Any]:
    v = Vector(
        "cbor-bignum",
        "Tag 2 bignums: 1000 as a bignum and 2**64 with a leading zero byte are non-canonical; "
        "2**64 as the 9-byte bignum is canonical and accepted as max supply.",
        ["4.2", "4.3", "10.1"],
    )
    b = v.block()
    rejected_alone(v, b, msg(op(max_supply="c2 42 03e8")), "non_canonical_cbor")
    rejected_alone(v, b, msg(op(max_supply="c2 4a 0001" + "00" * 8)), "non_canonical_cbor")
    _accept_cbor_deploy(v, msg(op(max_supply="c2 49 01" + "00" * 8)), 2**64)
    return v.finish()


def floats_and_simple() -> dict[str, Any]:
    return _rejections(
        "cbor-float-simple",
        "A half float as max supply; a double, true and null under an ignored odd key.",
        ["4.2", "5.4"],
        [
            (msg(op(max_supply="f9 3c00")), "forbidden_cbor_item"),
            (msg(extra="03 fb 3ff0000000000000"), "forbidden_cbor_item"),
            (msg(extra="03 f5"), "forbidden_cbor_item"),
            (msg(extra="03 f6"), "forbidden_cbor_item"),
        ],
    )


def tags() -> dict[str, Any]:
    return _rejections(
        "cbor-tags",
        "Tags other than 2 (tag 1, tag 3), and tag 2 around a text string.",
        ["4.2"],
        [
            (msg(op(max_supply="c1 1903e8")), "forbidden_cbor_item"),
            (msg(op(max_supply="c3 41 01")), "forbidden_cbor_item"),
            (msg(op(max_supply="c2 64 43424f52")), "forbidden_cbor_item"),
        ],
    )


def indefinite() -> dict[str, Any]:
    return _rejections(
        "cbor-indefinite",
        "Indefinite-length array, text string, map and byte string.",
        ["4.2"],
        [
            (raw(f"a2 0001 01 9f {op()} ff"), "forbidden_cbor_item"),
            (msg(op(ticker="7f 6443424f52 ff")), "forbidden_cbor_item"),
            (raw(f"bf 0001 01 81 {op()} ff"), "forbidden_cbor_item"),
            (msg(extra="03 5f 4100 ff"), "forbidden_cbor_item"),
        ],
    )


def negative_ints() -> dict[str, Any]:
    return _rejections(
        "cbor-negative-int",
        "A negative integer as the version, and under an ignored odd key.",
        ["4.2"],
        [(msg(version="20"), "forbidden_cbor_item"), (msg(extra="03 24"), "forbidden_cbor_item")],
    )


def depth_8_ok() -> dict[str, Any]:
    v = Vector(
        "cbor-depth-8-ok",
        "Seven arrays nested under an ignored odd key of the message map: depth 8, accepted.",
        ["4.2", "4.4", "5.4"],
    )
    v.block()
    _accept_cbor_deploy(v, msg(extra="03" + "81" * 7 + "00"))
    return v.finish()


def depth_9_forbidden() -> dict[str, Any]:
    return _rejections(
        "cbor-depth-9-forbidden",
        "Eight arrays nested under the message map: depth 9.",
        ["4.2", "4.4"],
        [(msg(extra="03" + "81" * 8 + "00"), "forbidden_cbor_item")],
    )


def above_u128() -> dict[str, Any]:
    return _rejections(
        "cbor-integer-above-u128",
        "2**128 as a 17-byte bignum: as max supply, and under an ignored odd key.",
        ["4.5"],
        [
            (msg(op(max_supply=MAX_2_128)), "integer_out_of_range"),
            (msg(extra=f"03 {MAX_2_128}"), "integer_out_of_range"),
        ],
    )


def u128_max_supply() -> dict[str, Any]:
    v = Vector(
        "cbor-u128-max-supply",
        "Max supply and premine of exactly 2**128-1 (a 16-byte bignum) are accepted.",
        ["4.5", "6.2", "10.1"],
    )
    b = v.block()
    deploy_issuer(v, b, "MAX", U128_MAX, U128_MAX)
    return v.finish()


def map_keys() -> dict[str, Any]:
    return _rejections(
        "cbor-map-keys",
        "Map keys must be major-type-0 integers: a text key, a bignum key (2**64) and a "
        "negative key are forbidden, as is the simple value 32 anywhere.",
        ["4.2"],
        [
            (msg(extra="63 616263 00"), "forbidden_cbor_item"),
            (msg(extra="c2 49 01" + "00" * 8 + " 00"), "forbidden_cbor_item"),
            (raw(f"a3 20 00 0001 01 81 {op()}"), "forbidden_cbor_item"),
            (msg(extra="03 f8 20"), "forbidden_cbor_item"),
        ],
    )


def check_order() -> dict[str, Any]:
    return _rejections(
        "cbor-check-order",
        "Several faults at once name the first check: profile before canonical, well-formed "
        "before profile, canonical before bounds, bounds before message rules.",
        ["4.6"],
        [
            (raw(f"a3 01 81 {op()} 00 01 03 f93c00"), "forbidden_cbor_item"),
            (msg(version="20") + raw("00"), "invalid_cbor"),
            (raw(f"a3 01 81 {op()} 00 01 03 {MAX_2_128}"), "non_canonical_cbor"),
            (msg(version="02", extra=f"03 {MAX_2_128}"), "integer_out_of_range"),
        ],
    )


VECTORS: list[Callable[[], dict[str, Any]]] = [
    not_well_formed,
    trailing_bytes,
    invalid_utf8,
    non_minimal_heads,
    unsorted_keys,
    duplicate_keys,
    bignums,
    floats_and_simple,
    tags,
    indefinite,
    negative_ints,
    depth_8_ok,
    depth_9_forbidden,
    above_u128,
    map_keys,
    u128_max_supply,
    check_order,
]
