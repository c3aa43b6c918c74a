"""Script building: numbers, standard output scripts and OP_RETURN carriers (data pushes
are :func:`protocol.script.push_data`, envelopes :mod:`protocol.envelope`)."""

from __future__ import annotations

from protocol.params import MAGIC_PUSH, MAX_CHUNK
from protocol.script import OP_0, OP_RETURN, push_data
from regtest.hashing import hash160

OP_1NEGATE = 0x4F
OP_1 = 0x51


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


def op_return_script(*pushes: bytes) -> bytes:
    return bytes((OP_RETURN,)) + b"".join(push_data(p) for p in pushes)


def rootstate_op_return(payload: bytes, *, chunk_size: int = MAX_CHUNK) -> bytes:
    """Carriage (a): OP_RETURN, the magic pushed with 0x06, then the payload in pushes."""
    return (
        bytes((OP_RETURN,))
        + MAGIC_PUSH
        + b"".join(push_data(chunk) for chunk in chunked(payload, chunk_size))
    )
