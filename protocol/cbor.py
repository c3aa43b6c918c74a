"""The strict CBOR profile payloads must follow (spec §4).

Checks run in a fixed order over the whole payload, so two implementations always name the
same reason: well-formedness (``invalid_cbor``), then the profile (``forbidden_cbor_item``),
then canonical form (``non_canonical_cbor``), then integer bounds (``integer_out_of_range``).
cbor2 decodes and re-encodes; this module walks the bytes first because cbor2 accepts
trailing bytes, duplicate keys, floats, tags and indefinite lengths, all of which the
profile must see.

Any nesting depth is legal input (spec §4): the walk never recurses, and only runs cbor2 on
payloads already known to be at most MAX_CBOR_DEPTH deep (cbor2 itself gives up at 400).
Definite-length nesting costs no memory per level; indefinite-length nesting 9 bytes.
"""

from __future__ import annotations

from array import array

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
_ARRAY, _MAP_KEY_NEXT, _MAP_VALUE_NEXT = 0, 1, 2


class _MalformedError(Exception):
    pass


def _head(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """Read the item head at ``pos``: (major type, additional info, argument, next position).

    The argument is -1 for an indefinite length (additional info 31).
    """
    if pos >= len(data):
        raise _MalformedError("payload ends inside an item")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    if info < 24:
        return major, info, info, pos + 1
    width = _ARG_WIDTH.get(info)
    if width is not None:
        if pos + 1 + width > len(data):
            raise _MalformedError("payload ends inside an item head")
        return major, info, int.from_bytes(data[pos + 1 : pos + 1 + width], "big"), pos + 1 + width
    if info == AI_INDEFINITE:
        return major, info, -1, pos + 1
    raise _MalformedError(f"reserved additional information {info}")


def _string_end(data: bytes, pos: int, major: int, length: int) -> int:
    """Where a definite string of ``length`` bytes starting at ``pos`` ends; text must be UTF-8.

    spec §4.1: UTF-8 validity belongs to each definite string, so each chunk of an
    indefinite-length text string is checked on its own, never the joined string.
    """
    end = pos + length
    if end > len(data):
        raise _MalformedError("a string runs past the payload")
    if major == MAJOR_TEXT:
        try:
            data[pos:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _MalformedError("text string is not UTF-8") from exc
    return end


def _check_well_formed(data: bytes, pos: int, owed: int, tag_pending: bool) -> None:
    """spec §4.1: ``data`` is exactly one well-formed item, however deep it nests, given that
    it is up to ``pos``, where ``owed`` items are still needed and a tag may await content.

    Iterative, and in memory independent of the depth of definite-length containers (spec §4:
    no recursion per level): ``owed`` counts the items that the open definite-length
    containers, and the top level, still need. Entering an indefinite-length container saves
    ``owed`` and starts from zero inside it; ``owed == 0`` with one open means the next item
    is its direct child or its break.
    """
    end = len(data)
    outer = array("q")  # per open indefinite container: the count owed outside it
    kinds = bytearray()  # per open indefinite container: _ARRAY, _MAP_KEY_NEXT, _MAP_VALUE_NEXT
    while owed or outer:
        if not owed and not tag_pending and pos < end and data[pos] == BREAK:
            if kinds.pop() == _MAP_VALUE_NEXT:
                raise _MalformedError("indefinite map ends after a key")
            owed = outer.pop()
            pos += 1
            continue
        major, info, arg, pos = _head(data, pos)
        if major == MAJOR_TAG:
            if info == AI_INDEFINITE:
                raise _MalformedError("indefinite tag")
            tag_pending = True  # the tag's content fills the same slot
            continue
        if owed:
            owed -= 1
        elif kinds[-1] != _ARRAY:  # a direct child of an indefinite map: key, value, key...
            kinds[-1] = _MAP_VALUE_NEXT if kinds[-1] == _MAP_KEY_NEXT else _MAP_KEY_NEXT
        tag_pending = False
        if major in (MAJOR_UINT, MAJOR_NEGINT):
            if info == AI_INDEFINITE:
                raise _MalformedError("indefinite integer")
        elif major in (MAJOR_BYTES, MAJOR_TEXT):
            if info != AI_INDEFINITE:
                pos = _string_end(data, pos, major, arg)
                continue
            while pos >= end or data[pos] != BREAK:
                chunk_major, chunk_info, chunk_arg, pos = _head(data, pos)
                if chunk_major != major or chunk_info == AI_INDEFINITE:
                    raise _MalformedError("bad chunk inside an indefinite-length string")
                pos = _string_end(data, pos, major, chunk_arg)
            pos += 1
        elif major in (MAJOR_ARRAY, MAJOR_MAP):
            if info == AI_INDEFINITE:
                outer.append(owed)
                kinds.append(_MAP_KEY_NEXT if major == MAJOR_MAP else _ARRAY)
                owed = 0
                continue
            owed += arg * 2 if major == MAJOR_MAP else arg
            if owed > end - pos:
                raise _MalformedError("containers hold more items than bytes remain")
        elif info == AI_INDEFINITE:
            raise _MalformedError("break outside an indefinite-length item")
        elif info == 24 and arg < 32:
            raise _MalformedError("two-byte simple value below 32")
    if tag_pending:
        raise _MalformedError("tag without content")
    if pos != end:
        raise _MalformedError(f"{end - pos:,} bytes after the item")


def _walk(data: bytes) -> str | None:
    """spec §4.1 and §4.2 in one pass: raise _MalformedError if ``data`` is not exactly one
    well-formed item, else return the first item outside the profile (None if there is none).

    While every item so far is inside the profile, all open containers are definite and at
    most MAX_CBOR_DEPTH deep, so a small frame stack tracks map keys and depth. At the first
    item outside the profile the rest of the payload only needs well-formedness, which
    _check_well_formed finishes from that item's head with the count of items still owed.
    """
    end = len(data)
    pos = 0
    # per open container (the top level first): [items left, is a map, items read]
    frames: list[list[int]] = [[1, 0, 0]]
    tag_pending = False
    while frames:
        frame = frames[-1]
        if not frame[0]:
            frames.pop()
            continue
        start = pos
        major, info, arg, pos = _head(data, pos)
        is_key = bool(frame[1]) and not frame[2] % 2 and not tag_pending
        violation = _violation(
            major, info, arg, is_key=is_key, tag_pending=tag_pending, depth=len(frames)
        )
        if violation is not None:
            _check_well_formed(data, start, sum(f[0] for f in frames), tag_pending)
            return violation
        tag_pending = major == MAJOR_TAG  # a bignum tag: its content fills the same slot
        if tag_pending:
            continue
        if info == AI_INDEFINITE:  # only an integer can get here with it
            raise _MalformedError("indefinite integer")
        frame[0] -= 1
        frame[2] += 1
        if major in (MAJOR_BYTES, MAJOR_TEXT):
            pos = _string_end(data, pos, major, arg)
        elif major in (MAJOR_ARRAY, MAJOR_MAP):
            count = arg * 2 if major == MAJOR_MAP else arg
            if count > end - pos:
                raise _MalformedError("container holds more items than bytes remain")
            frames.append([count, int(major == MAJOR_MAP), 0])
    if pos != end:
        raise _MalformedError(f"{end - pos:,} bytes after the item")
    return None


def _violation(
    major: int, info: int, arg: int, *, is_key: bool, tag_pending: bool, depth: int
) -> str | None:
    """spec §4.2: why the item whose head was just read is outside the profile, if it is;
    ``depth`` is the depth a container opened here would have."""
    if is_key and major != MAJOR_UINT:
        return "map key that is not an unsigned integer"
    if tag_pending and (major != MAJOR_BYTES or info == AI_INDEFINITE):
        return "tag 2 around something other than a definite byte string"
    if major == MAJOR_TAG and arg != TAG_UNSIGNED_BIGNUM:
        return f"tag {arg}" if info != AI_INDEFINITE else "indefinite tag"
    if major == MAJOR_NEGINT:
        return "negative integer"
    if major in (MAJOR_BYTES, MAJOR_TEXT) and info == AI_INDEFINITE:
        return "indefinite-length string"
    if major in (MAJOR_ARRAY, MAJOR_MAP):
        if depth > MAX_CBOR_DEPTH:
            return f"nesting deeper than {MAX_CBOR_DEPTH}"
        if info == AI_INDEFINITE:
            return "indefinite-length container"
    if major == MAJOR_SIMPLE:
        return "float or simple value"
    return None


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
    if forbidden is not None:
        raise Rejection(Reason.FORBIDDEN_CBOR_ITEM, forbidden)
    value: CborValue = cbor2.loads(payload)
    if cbor2.dumps(value, canonical=True) != payload:
        raise Rejection(Reason.NON_CANONICAL_CBOR, "re-encoding gives other bytes")
    _check_bounds(value)
    return value


def encode_canonical(value: object) -> bytes:
    """Deterministic encoding (RFC 8949 §4.2) for events and state records."""
    encoded: bytes = cbor2.dumps(value, canonical=True)
    return encoded
