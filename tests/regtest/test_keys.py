"""Deterministic keys and their signatures, verified by libsecp256k1."""

from __future__ import annotations

import pytest
from coincurve import PublicKey, PublicKeyXOnly

from regtest.hashing import sha256
from regtest.keys import CURVE_ORDER, Key


def test_derivation_is_deterministic_and_separates_labels_and_indexes() -> None:
    assert Key.derive("alice", 3) == Key.derive("alice", 3)
    secrets = {Key.derive(label, i).secret for label in ("alice", "bob") for i in range(3)}
    assert len(secrets) == 6


@pytest.mark.parametrize("secret", [bytes(32), CURVE_ORDER.to_bytes(32, "big"), bytes(31)])
def test_out_of_range_secret_is_refused(secret: bytes) -> None:
    with pytest.raises(ValueError, match="private key"):
        Key(secret)


def test_schnorr_signature_verifies_under_the_xonly_key() -> None:
    key = Key.derive("signer")
    msg = sha256(b"message")
    signature = key.sign_schnorr(msg)
    assert PublicKeyXOnly(key.xonly).verify(signature, msg)
    assert not PublicKeyXOnly(Key.derive("other").xonly).verify(signature, msg)
    assert key.sign_schnorr(msg, bytes(range(32))) != signature


def test_schnorr_refuses_unhashed_messages() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        Key.derive("signer").sign_schnorr(b"short")


def test_ecdsa_signature_verifies_and_is_low_s() -> None:
    key = Key.derive("ecdsa")
    msg = sha256(b"message")
    der = key.sign_ecdsa(msg)
    assert PublicKey(key.pubkey).verify(der, msg, hasher=None)
    s_len = der[5 + der[3]]
    s = int.from_bytes(der[6 + der[3] : 6 + der[3] + s_len], "big")
    assert s <= CURVE_ORDER // 2


def test_tweaked_key_matches_tweaked_public_key_for_both_parities() -> None:
    tweak = sha256(b"tweak")
    parities = set()
    for i in range(8):
        key = Key.derive("parity", i)
        parities.add(key.has_odd_y)
        expected = PublicKeyXOnly(key.xonly)
        expected.tweak_add(tweak)
        assert key.tweaked(tweak).xonly == expected.format()
    assert parities == {True, False}
