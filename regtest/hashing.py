"""Hash functions Bitcoin builds on: double SHA-256 and HASH160 (BIP340 tagged hashes are
:func:`protocol.taproot.tagged_hash`)."""

from __future__ import annotations

import hashlib

from bitcoin.core.contrib.ripemd160 import ripemd160 as _pure_ripemd160


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def hash160(data: bytes) -> bytes:
    digest = hashlib.sha256(data).digest()
    try:
        return hashlib.new("ripemd160", digest).digest()
    except ValueError:
        # OpenSSL 3 builds may leave RIPEMD-160 out; python-bitcoinlib ships a pure fallback.
        result: bytes = _pure_ripemd160(digest)
        return result
