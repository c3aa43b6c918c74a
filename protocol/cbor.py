"""The strict CBOR profile payloads must follow (spec §4).

Checks run in a fixed order over the whole payload, so two implementations always name the
same reason: well-formedness (``invalid_cbor``), then the profile (``forbidden_cbor_item``),
then canonical form (``non_canonical_cbor``), then integer bounds (``integer_out_of_range``).
cbor2 decodes and re-encodes; this module walks the bytes first because cbor2 accepts
trailing bytes, duplicate keys, floats, tags and indefinite lengths, all of which the
profile must see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cbor2

from protocol.params import MAX_CBOR_DEPTH, U128_MAX
from protocol.reasons import Reason, Rejection

CborValue = int | bytes | str | list["CborValue"] | dict[int, "CborValue"]

MAJOR_UINT, MAJOR_NEGINT, MAJOR_BYTES, MAJOR_TEXT = 0, 1, 2, 3
MAJOR_ARRAY, MAJOR_MAP, MAJOR_TAG, MAJOR_SIMPLE = 4, 5, 6, 7
AI_INDEFINITE = 31
BREAK = 0xFF
TAG_UNSIGNED_BIGNUM = 2
_ARG_WIDTH = {24: 1, 25: 2, 26: 4, 27: 8}


class _MalformedError(Exception):
    pass


@dataclass
class _Frame:
    remaining: int  # items still to read; -1 while an indefinite container is open
    is_map: bool
    depth: int
    read: int = 0


@dataclass
class _Walk:
    data: bytes
    pos: int = 0
    forbidden: list[str] = field(default_factory=list)

    def head(self) -> tuple[int, int, int]:
        """Read one initial byte and its argument: (major, additional info, argument)."""
        if self.pos >= len(self.data):
            raise _MalformedError("payload ends inside an item")
        initial = self.data[self.pos]
        self.pos += 1
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, info
        if info in _ARG_WIDTH:
            width = _ARG_WIDTH[info]
            if self.pos + width > len(self.data):
                raise _MalformedError("payload ends inside an item head")
            arg = int.from_bytes(self.data[self.pos : self.pos + width], "big")
            self.pos += width
            return major, info, arg
        if info == AI_INDEFINITE:
            return major, info, -1
        raise _MalformedError(f"reserved additional information {info}")

    def skip(self, length: int) -> bytes:
        if length > len(self.data) - self.pos:
            raise _MalformedError("a string runs past the payload")
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return chunk

    def string(self, major: int, info: int, arg: int) -> None:
        """A byte or text string, definite or (forbidden) indefinite made of definite chunks."""
        if info != AI_INDEFINITE:
            chunk = self.skip(arg)
            if major == MAJOR_TEXT:
                _check_utf8(chunk)
            return
        self.forbidden.append("indefinite-length string")
        while True:
            if self.pos < len(self.data) and self.data[self.pos] == BREAK:
                self.pos += 1
                return
            chunk_major, chunk_info, chunk_arg = self.head()
            if chunk_major != major or chunk_info == AI_INDEFINITE:
                raise _MalformedError("bad chunk inside an indefinite-length string")
            chunk = self.skip(chunk_arg)
            if major == MAJOR_TEXT:
                _check_utf8(chunk)


def _check_utf8(chunk: bytes) -> None:
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _MalformedError("text string is not UTF-8") from exc


def _walk(data: bytes) -> list[str]:
    """Check that ``data`` is exactly one well-formed item; return the profile violations."""
    walk = _Walk(data)
    stack: list[_Frame] = [_Frame(remaining=1, is_map=False, depth=0)]
    tag_pending = False
    while stack:
        frame = stack[-1]
        if frame.remaining == 0:
            stack.pop()
            continue
        closing = walk.pos < len(data) and data[walk.pos] == BREAK
        if frame.remaining < 0 and closing and not tag_pending:
            if frame.is_map and frame.read % 2:
                raise _MalformedError("indefinite map ends after a key")
            walk.pos += 1
            stack.pop()
            continue
        is_key = frame.is_map and frame.read % 2 == 0 and not tag_pending
        major, info, arg = walk.head()
        if is_key and major != MAJOR_UINT:
            walk.forbidden.append("map key that is not an unsigned integer")
        if tag_pending and (major != MAJOR_BYTES or info == AI_INDEFINITE):
            walk.forbidden.append("tag 2 around something other than a definite byte string")
        tag_pending = False
        if major == MAJOR_TAG:
            if info == AI_INDEFINITE:
                raise _MalformedError("indefinite tag")
            if arg != TAG_UNSIGNED_BIGNUM:
                walk.forbidden.append(f"tag {arg}")
            tag_pending = True
            continue  # the tag's content is the same slot's item
        frame.read += 1
        if frame.remaining > 0:
            frame.remaining -= 1
        if major in (MAJOR_UINT, MAJOR_NEGINT):
            if info == AI_INDEFINITE:
                raise _MalformedError("indefinite integer")
            if major == MAJOR_NEGINT:
                walk.forbidden.append("negative integer")
        elif major in (MAJOR_BYTES, MAJOR_TEXT):
            walk.string(major, info, arg)
        elif major in (MAJOR_ARRAY, MAJOR_MAP):
            depth = frame.depth + 1
            if depth > MAX_CBOR_DEPTH:
                walk.forbidden.append(f"nesting deeper than {MAX_CBOR_DEPTH}")
            if info == AI_INDEFINITE:
                walk.forbidden.append("indefinite-length container")
                stack.append(_Frame(-1, major == MAJOR_MAP, depth))
            else:
                count = arg * 2 if major == MAJOR_MAP else arg
                if count > len(data) - walk.pos:
                    raise _MalformedError("container holds more items than bytes remain")
                stack.append(_Frame(count, major == MAJOR_MAP, depth))
        else:  # major 7: floats, simple values, or a stray break
            if info == AI_INDEFINITE:
                raise _MalformedError("break outside an indefinite-length item")
            if info == 24 and arg < 32:
                raise _MalformedError("two-byte simple value below 32")
            walk.forbidden.append("float or simple value")
    if tag_pending:
        raise _MalformedError("tag without content")
    if walk.pos != len(data):
        raise _MalformedError(f"{len(data) - walk.pos:,} bytes after the item")
    return walk.forbidden


def _check_bounds(value: object) -> None:
    """spec §4.5: every integer anywhere in the payload is at most 2**128 - 1."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, int) and item > U128_MAX:
            raise Rejection(Reason.INTEGER_OUT_OF_RANGE, "integer above 2**128 - 1")
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())


def decode_payload(payload: bytes) -> CborValue:
    """spec §4: decode a payload that follows the profile, or raise Rejection."""
    try:
        forbidden = _walk(payload)
    except _MalformedError as exc:
        raise Rejection(Reason.INVALID_CBOR, str(exc)) from None
    if forbidden:
        raise Rejection(Reason.FORBIDDEN_CBOR_ITEM, forbidden[0])
    value: CborValue = cbor2.loads(payload)
    if cbor2.dumps(value, canonical=True) != payload:
        raise Rejection(Reason.NON_CANONICAL_CBOR, "re-encoding gives other bytes")
    _check_bounds(value)
    return value


def encode_canonical(value: object) -> bytes:
    """Deterministic encoding (RFC 8949 §4.2) for events and state records."""
    encoded: bytes = cbor2.dumps(value, canonical=True)
    return encoded
