"""The seller's signature of an offer (spec/OFFERS.md §2): SIGHASH_SINGLE|ANYONECANPAY over
one input and the one output at its index, for P2TR key-path and P2WPKH inputs.

The signature messages are written out here from BIP341 and BIP143 rather than taken from
embit: embit 0.8.0 hashes the whole serialized input (outpoint, empty scriptSig, sequence)
where BIP341 puts only the outpoint for ANYONECANPAY, so its P2TR digest for 0x83 is not the
one nodes check. Both messages below name no input index and no other input or output, which
is what lets a buyer move the signed input to index 1 of a bigger transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from embit import hashes  # type: ignore[import-untyped]
from embit.ec import PublicKey, SchnorrSig, Signature  # type: ignore[import-untyped]

from api.fees import witness_version
from protocol.taproot import tagged_hash
from protocol.tx import compact_size

SIGHASH_SINGLE_ANYONECANPAY = 0x83
#: The transaction fields an offer's signature commits to and the completion must repeat.
OFFER_TX_VERSION = 2
OFFER_LOCKTIME = 0


class OfferSignatureError(ValueError):
    """The witness is not a valid 0x83 signature of the offer; ``code`` names why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SignedInput:
    """The seller's input as signed: outpoint (protocol form), the output it spends, its
    nSequence, and the output at its index that the signature commits to."""

    outpoint: bytes
    value: int
    script: bytes
    sequence: int
    price: int
    pay_script: bytes


def script_kind(script: bytes) -> str | None:
    """``p2tr`` or ``p2wpkh``, the seller scripts offers support; None for any other."""
    version = witness_version(script)
    if version == 1 and len(script) == 34:
        return "p2tr"
    if version == 0 and len(script) == 22:
        return "p2wpkh"
    return None


def _output(value: int, script: bytes) -> bytes:
    return value.to_bytes(8, "little") + compact_size(len(script)) + script


def _outpoint(outpoint: bytes) -> bytes:
    """Wire form: txid in internal order, vout little-endian."""
    return outpoint[:32] + int.from_bytes(outpoint[32:], "big").to_bytes(4, "little")


def taproot_digest(signed: SignedInput) -> bytes:
    """BIP341 SigMsg for hash type 0x83, key path, no annex, then TapSighash."""
    message = b"".join(
        [
            b"\x00",  # epoch
            bytes((SIGHASH_SINGLE_ANYONECANPAY,)),
            OFFER_TX_VERSION.to_bytes(4, "little"),
            OFFER_LOCKTIME.to_bytes(4, "little"),
            b"\x00",  # spend_type: key path, no annex
            _outpoint(signed.outpoint),
            signed.value.to_bytes(8, "little"),
            compact_size(len(signed.script)) + signed.script,
            signed.sequence.to_bytes(4, "little"),
            hashlib.sha256(_output(signed.price, signed.pay_script)).digest(),
        ]
    )
    return tagged_hash("TapSighash", message)


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def segwit_v0_digest(signed: SignedInput) -> bytes:
    """BIP143 for a P2WPKH input and hash type 0x83: no prevouts, no sequences, only the
    output at the input's index."""
    script_code = b"\x76\xa9\x14" + signed.script[2:] + b"\x88\xac"
    preimage = b"".join(
        [
            OFFER_TX_VERSION.to_bytes(4, "little"),
            bytes(32),  # hashPrevouts: ANYONECANPAY
            bytes(32),  # hashSequence: ANYONECANPAY (and SINGLE)
            _outpoint(signed.outpoint),
            compact_size(len(script_code)) + script_code,
            signed.value.to_bytes(8, "little"),
            signed.sequence.to_bytes(4, "little"),
            _sha256d(_output(signed.price, signed.pay_script)),
            OFFER_LOCKTIME.to_bytes(4, "little"),
            SIGHASH_SINGLE_ANYONECANPAY.to_bytes(4, "little"),
        ]
    )
    return _sha256d(preimage)


def _hash_type(signature: bytes, *, taproot: bool) -> None:
    if taproot and len(signature) == 64:
        raise OfferSignatureError(
            "wrong_sighash",
            "the signature has no hash type byte (SIGHASH_DEFAULT, which commits to the whole "
            "transaction): an offer must be signed with SIGHASH_SINGLE|ANYONECANPAY (0x83)",
        )
    if not signature or signature[-1] != SIGHASH_SINGLE_ANYONECANPAY:
        found = f"{signature[-1]:#04x}" if signature else "none"
        raise OfferSignatureError(
            "wrong_sighash",
            f"the signature's hash type is {found}; an offer must be signed with "
            "SIGHASH_SINGLE|ANYONECANPAY (0x83), which commits to this input and the payment "
            "output only",
        )


def verify_witness(signed: SignedInput, witness: tuple[bytes, ...]) -> None:
    """Check ``witness`` spends ``signed.script`` with a valid 0x83 signature, or raise."""
    kind = script_kind(signed.script)
    if kind == "p2tr":
        if len(witness) != 1:
            raise OfferSignatureError(
                "unsupported_witness",
                f"a P2TR key-path offer's witness is one signature, not {len(witness)} items "
                "(script paths and annexes are not supported)",
            )
        [signature] = witness
        _hash_type(signature, taproot=True)
        if len(signature) != 65:
            raise OfferSignatureError("invalid_signature", "a BIP340 signature is 64 bytes")
        key = _parse(lambda: PublicKey.from_xonly(signed.script[2:]))
        sig = _parse(lambda: SchnorrSig.parse(signature[:64]))
        valid = key is not None and sig is not None
        valid = valid and bool(key.schnorr_verify(sig, taproot_digest(signed)))
    elif kind == "p2wpkh":
        if len(witness) != 2:
            raise OfferSignatureError(
                "unsupported_witness",
                f"a P2WPKH witness is a signature and a public key, not {len(witness)} items",
            )
        signature, pubkey = witness
        _hash_type(signature, taproot=False)
        if len(pubkey) != 33 or hashes.hash160(pubkey) != signed.script[2:]:
            raise OfferSignatureError(
                "invalid_signature", "the witness's public key is not the one the script pays"
            )
        key = _parse(lambda: PublicKey.parse(pubkey))
        sig = _parse(lambda: Signature.parse(signature[:-1]))
        # Strict DER only (BIP66): anything else would not relay even if it verified.
        valid = key is not None and sig is not None and sig.serialize() == signature[:-1]
        valid = valid and bool(key.verify(sig, segwit_v0_digest(signed)))
    else:
        raise OfferSignatureError(
            "unsupported_script",
            "offers support sellers' P2TR (key path) and P2WPKH outputs only",
        )
    if not valid:
        raise OfferSignatureError(
            "invalid_signature",
            "the signature does not verify under SIGHASH_SINGLE|ANYONECANPAY for this input "
            "(its outpoint, value, script and sequence) and this payment output",
        )


def _parse(make: Callable[[], Any]) -> Any:
    """embit's parsers raise assorted exceptions on bad bytes; any of them means invalid."""
    try:
        return make()
    except Exception:  # embit raises ValueError, ECError, AssertionError...
        return None
