"""Script building: data pushes, standard output scripts, OP_RETURN and envelope tapscripts."""

from __future__ import annotations

import struct

from protocol.params import MAGIC_PUSH, MAX_CHUNK
from regtest.hashing import hash160

OP_0 = 0x00
OP_PUSHDATA1 = 0x4C
OP_PUSHDATA2 = 0x4D
OP_PUSHDATA4 = 0x4E
OP_1NEGATE = 0x4F
OP_1 = 0x51
OP_IF = 0x63
OP_ENDIF = 0x68
OP_RETURN = 0x6A
OP_CHECKSIG = 0xAC

MAX_DIRECT_PUSH = 75
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")


def push_data(data: bytes) -> bytes:
    """Push `data` with the shortest length prefix.

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
        return bytes((OP_PUSHDATA2,)) + _U16.pack(size) + data
    return bytes((OP_PUSHDATA4,)) + _U32.pack(size) + data


def script_num(n: int) -> bytes:
    """CScriptNum encoding: little-endian magnitude, sign in the top bit, minimal."""
    if n == 0:
        return b""
    magnitude = abs(n)
    out = bytearray()
    while magnitude:
        out.append(magnitude & 0xFF)
        magnitude >>= 8
    if out[-1] & 0x80:
        out.append(0x80 if n < 0 else 0x00)
    elif n < 0:
        out[-1] |= 0x80
    return bytes(out)


def push_int(n: int) -> bytes:
    """Push a number the way Bitcoin Core's `CScript() << n` does (OP_N for -1..16)."""
    if n == 0:
        return bytes((OP_0,))
    if n == -1:
        return bytes((OP_1NEGATE,))
    if 1 <= n <= 16:
        return bytes((OP_1 + n - 1,))
    return push_data(script_num(n))


def chunked(data: bytes, size: int) -> list[bytes]:
    if size < 1:
        raise ValueError(f"chunk size must be positive, got {size}")
    return [data[i : i + size] for i in range(0, len(data), size)]


def p2wpkh_script(pubkey: bytes) -> bytes:
    if len(pubkey) != 33:
        raise ValueError(f"P2WPKH needs a 33-byte compressed public key, got {len(pubkey)} bytes")
    return b"\x00\x14" + hash160(pubkey)


def p2tr_script(output_key: bytes) -> bytes:
    if len(output_key) != 32:
        raise ValueError(f"P2TR needs a 32-byte x-only key, got {len(output_key)} bytes")
    return b"\x51\x20" + output_key


def op_return_script(*pushes: bytes) -> bytes:
    return bytes((OP_RETURN,)) + b"".join(push_data(p) for p in pushes)


def rootstate_op_return(payload: bytes, *, chunk_size: int = MAX_CHUNK) -> bytes:
    """Carriage (a): OP_RETURN, the magic pushed with 0x06, then the payload in pushes."""
    return (
        bytes((OP_RETURN,))
        + MAGIC_PUSH
        + b"".join(push_data(chunk) for chunk in chunked(payload, chunk_size))
    )


def envelope_script(
    xonly_key: bytes,
    payload: bytes,
    *,
    chunk_size: int = MAX_CHUNK,
    magic_push: bytes = MAGIC_PUSH,
) -> bytes:
    """Carriage (b) tapscript: `<key> OP_CHECKSIG OP_FALSE OP_IF <magic> <chunks> OP_ENDIF`.

    The dead OP_IF branch never executes, so only the signature decides whether the leaf
    can be spent. `magic_push` lets hostile tests build look-alike envelopes.
    """
    if len(xonly_key) != 32:
        raise ValueError(f"envelope key must be 32-byte x-only, got {len(xonly_key)} bytes")
    body = b"".join(push_data(chunk) for chunk in chunked(payload, chunk_size))
    return (
        push_data(xonly_key)
        + bytes((OP_CHECKSIG, OP_0, OP_IF))
        + magic_push
        + body
        + bytes((OP_ENDIF,))
    )
