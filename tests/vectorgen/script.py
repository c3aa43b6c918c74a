"""Raw script pieces: pushes, carriers and envelopes, byte for byte (spec §3)."""

from __future__ import annotations

MAGIC = b"rstate"
MAGIC_PUSH = b"\x06" + MAGIC
OP_FALSE, OP_IF, OP_ENDIF, OP_RETURN, OP_CHECKSIG = b"\x00", b"\x63", b"\x68", b"\x6a", b"\xac"
ENVELOPE_OPEN = OP_FALSE + OP_IF + MAGIC_PUSH
CHUNK = 520


def push(data: bytes) -> bytes:
    """The shortest push of ``data``."""
    size = len(data)
    if size <= 0x4B:
        return bytes([size]) + data
    if size <= 0xFF:
        return b"\x4c" + bytes([size]) + data
    if size <= 0xFFFF:
        return b"\x4d" + size.to_bytes(2, "little") + data
    return b"\x4e" + size.to_bytes(4, "little") + data


def pushdata1(data: bytes) -> bytes:
    """A deliberately non-minimal push (allowed by spec §3.2.1)."""
    return b"\x4c" + bytes([len(data)]) + data


def chunks(payload: bytes, size: int = CHUNK) -> list[bytes]:
    return [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]


def op_return_carrier(*parts: bytes) -> bytes:
    """OP_RETURN, the magic, then one shortest push per part."""
    return OP_RETURN + MAGIC_PUSH + b"".join(push(part) for part in parts)


def envelope(payload: bytes, size: int = CHUNK) -> bytes:
    """OP_FALSE OP_IF <magic> <chunks of at most ``size`` bytes> OP_ENDIF."""
    return ENVELOPE_OPEN + b"".join(push(c) for c in chunks(payload, size)) + OP_ENDIF


def checksig_leaf(body: bytes, key: bytes = b"\x11" * 32) -> bytes:
    """A tapscript in the usual inscription shape: <x-only key> OP_CHECKSIG, then ``body``."""
    return push(key) + OP_CHECKSIG + body
