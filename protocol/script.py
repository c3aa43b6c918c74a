"""Reading Bitcoin scripts as a sequence of operations (spec §3.2), and writing data pushes.

Only what the carriers need: each operation's opcode, its pushed data when it is a data
push, and where it ends; and the shortest push of given data, which builds carriers. Data
pushes are opcodes 0x00 to 0x4e; everything else is a non-push operation, OP_1NEGATE and
OP_1..OP_16 included (spec §3.2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

OP_0 = 0x00
OP_PUSHDATA1 = 0x4C
OP_PUSHDATA2 = 0x4D
OP_PUSHDATA4 = 0x4E
OP_IF = 0x63
OP_ENDIF = 0x68
OP_RETURN = 0x6A


MAX_DIRECT_PUSH = 75


def push_data(data: bytes) -> bytes:
    """Push ``data`` with the shortest length prefix.

    One-byte values are pushed as data (01 xx), never as OP_1..OP_16, so a reader that
    collects data pushes sees every byte; empty data is OP_0.
    """
    size = len(data)
    if size == 0:
        return bytes((OP_0,))
    if size <= MAX_DIRECT_PUSH:
        return bytes((size,)) + data
    if size <= 0xFF:
        return bytes((OP_PUSHDATA1, size)) + data
    if size <= 0xFFFF:
        return bytes((OP_PUSHDATA2,)) + size.to_bytes(2, "little") + data
    return bytes((OP_PUSHDATA4,)) + size.to_bytes(4, "little") + data


class TruncatedScript(Exception):  # noqa: N818 - a script shape, reported as such
    """A push's length or data runs past the end of the script."""


@dataclass(frozen=True)
class ScriptOp:
    opcode: int
    data: bytes | None  # None for a non-push operation
    start: int
    end: int


def _push_length(script: bytes, pos: int, opcode: int) -> tuple[int, int]:
    """The pushed length and where the data starts, for the push opcode at ``pos``."""
    if opcode < OP_PUSHDATA1:
        return opcode, pos + 1
    width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[opcode]
    if pos + 1 + width > len(script):
        raise TruncatedScript(f"push length at offset {pos} runs past the script")
    length = int.from_bytes(script[pos + 1 : pos + 1 + width], "little")
    return length, pos + 1 + width


def iter_ops(script: bytes, start: int = 0) -> Iterator[ScriptOp]:
    """Yield the operations of ``script`` from ``start``; raise TruncatedScript at a short push."""
    pos = start
    end = len(script)
    while pos < end:
        opcode = script[pos]
        if opcode > OP_PUSHDATA4:
            yield ScriptOp(opcode, None, pos, pos + 1)
            pos += 1
            continue
        length, data_start = _push_length(script, pos, opcode)
        data_end = data_start + length
        if data_end > end:
            raise TruncatedScript(f"push at offset {pos} wants {length:,} bytes past the script")
        yield ScriptOp(opcode, script[data_start:data_end], pos, data_end)
        pos = data_end
