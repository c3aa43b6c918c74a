"""Hash functions Bitcoin builds on: double SHA-256, HASH160 and BIP340 tagged hashes."""

from __future__ import annotations

import hashlib
from functools import cache

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


@cache
def _tag_prefix(tag: str) -> bytes:
    tag_hash = hashlib.sha256(tag.encode()).digest()
    return tag_hash + tag_hash


def tagged_hash(tag: str, data: bytes) -> bytes:
    """BIP340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || data)."""
    return hashlib.sha256(_tag_prefix(tag) + data).digest()
