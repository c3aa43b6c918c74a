"""Deterministic secp256k1 keys for tests and demos, with BIP340 and ECDSA signing.

The curve arithmetic is libsecp256k1 through coincurve; this module only adds
deterministic derivation and the x-only views taproot needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from coincurve import PrivateKey, PublicKey

# coincurve's PrivateKey.sign_schnorr rebuilds the keypair and re-verifies the signature on
# every call, about three times the cost of signing; big-block generation signs thousands of
# inputs per block, so Key keeps its keypair and calls libsecp256k1 through coincurve's own
# cffi binding (a compiled module without type stubs).
from coincurve._libsecp256k1 import ffi, lib  # type: ignore[import-not-found]
from coincurve.context import GLOBAL_CONTEXT

from regtest.hashing import sha256

#: Order of the secp256k1 group.
CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

#: BIP340 allows any aux randomness; a fixed value keeps generated chains reproducible.
ZERO_AUX = bytes(32)


@dataclass(frozen=True)
class Key:
    """A private key. Never use one derived here for real funds: derivation is public."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != 32 or not 0 < int.from_bytes(self.secret, "big") < CURVE_ORDER:
            raise ValueError("a private key is 32 bytes encoding an integer in 1..n-1")

    @classmethod
    def derive(cls, label: str, index: int = 0) -> Key:
        """The same (label, index) always gives the same key."""
        counter = 0
        while True:
            seed = f"rootstate-regtest-key\x00{label}\x00{index}\x00{counter}".encode()
            candidate = sha256(seed)
            if 0 < int.from_bytes(candidate, "big") < CURVE_ORDER:
                return cls(candidate)
            counter += 1

    @cached_property
    def _private(self) -> PrivateKey:
        return PrivateKey(self.secret)

    @cached_property
    def pubkey(self) -> bytes:
        """Compressed SEC1 public key (33 bytes)."""
        return self._private.public_key.format(compressed=True)

    @property
    def xonly(self) -> bytes:
        """BIP340 x-only public key (32 bytes)."""
        return self.pubkey[1:]

    @property
    def has_odd_y(self) -> bool:
        return self.pubkey[0] == 3

    @cached_property
    def _keypair(self) -> Any:
        keypair = ffi.new("secp256k1_keypair *")
        if not lib.secp256k1_keypair_create(GLOBAL_CONTEXT.ctx, keypair, self.secret):
            raise ValueError("libsecp256k1 refused the secret")
        return keypair

    def sign_schnorr(self, msg32: bytes, aux: bytes = ZERO_AUX) -> bytes:
        """BIP340 signature over a 32-byte message with 32 bytes of aux randomness."""
        if len(msg32) != 32 or len(aux) != 32:
            raise ValueError("BIP340 signing takes a 32-byte message and 32-byte aux data")
        signature = ffi.new("unsigned char[64]")
        if not lib.secp256k1_schnorrsig_sign32(
            GLOBAL_CONTEXT.ctx, signature, msg32, self._keypair, aux
        ):
            raise ValueError("BIP340 signing failed")
        return bytes(ffi.buffer(signature))

    def sign_ecdsa(self, msg32: bytes) -> bytes:
        """DER-encoded, low-S ECDSA signature over an already hashed message."""
        return self._private.sign(msg32, hasher=None)

    def tweaked(self, tweak: bytes) -> Key:
        """The BIP341 tweaked key: negate if the public key has odd y, then add `tweak`."""
        t = int.from_bytes(tweak, "big")
        if t >= CURVE_ORDER:
            raise ValueError("taproot tweak is not below the curve order")
        d = int.from_bytes(self.secret, "big")
        if self.has_odd_y:
            d = CURVE_ORDER - d
        return Key(((d + t) % CURVE_ORDER).to_bytes(32, "big"))


def lift_x(xonly: bytes) -> PublicKey:
    """The point with even y and the given x coordinate (BIP340 lift_x)."""
    return PublicKey(b"\x02" + xonly)
