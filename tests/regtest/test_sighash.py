"""Signature hashes: BIP341 key-path vectors, BIP143 against python-bitcoinlib."""

from __future__ import annotations

from typing import Any

import pytest
from bitcoin.core import CTransaction
from bitcoin.core.script import SIGVERSION_WITNESS_V0, CScript, SignatureHash
from coincurve import PublicKeyXOnly

from protocol.taproot import TaprootOutput, taproot_tweak
from regtest.keys import Key
from regtest.sighash import (
    SIGHASH_ALL,
    SIGHASH_ANYONECANPAY,
    SIGHASH_NONE,
    SIGHASH_SINGLE,
    TaprootSighasher,
    p2wpkh_script_code,
    segwit_v0_digest,
)
from regtest.spend import key_path_signer
from regtest.tx import OutPoint, Tx, TxIn, TxOut
from tests.protocol.bip341 import load_bip341

KEY_PATH: dict[str, Any] = load_bip341()["keyPathSpending"][0]


def _given() -> tuple[Tx, list[TxOut]]:
    tx = Tx.from_hex(KEY_PATH["given"]["rawUnsignedTx"])
    spent = [
        TxOut(u["amountSats"], bytes.fromhex(u["scriptPubKey"]))
        for u in KEY_PATH["given"]["utxosSpent"]
    ]
    return tx, spent


def test_precomputed_hashes_match_vector() -> None:
    hasher = TaprootSighasher(*_given())
    inter = KEY_PATH["intermediary"]
    assert hasher.hash_prevouts.hex() == inter["hashPrevouts"]
    assert hasher.hash_amounts.hex() == inter["hashAmounts"]
    assert hasher.hash_script_pubkeys.hex() == inter["hashScriptPubkeys"]
    assert hasher.hash_sequences.hex() == inter["hashSequences"]
    assert hasher.hash_outputs.hex() == inter["hashOutputs"]


@pytest.mark.parametrize(
    "spend", KEY_PATH["inputSpending"], ids=lambda s: f"input{s['given']['txinIndex']}"
)
def test_key_path_spend_matches_vector(spend: dict[str, Any]) -> None:
    tx, spent = _given()
    given, inter = spend["given"], spend["intermediary"]
    index, hash_type = given["txinIndex"], given["hashType"]
    internal = Key(bytes.fromhex(given["internalPrivkey"]))
    merkle_root = None if given["merkleRoot"] is None else bytes.fromhex(given["merkleRoot"])

    assert internal.xonly.hex() == inter["internalPubkey"]
    output = TaprootOutput.create(internal.xonly, None)
    if merkle_root is None:
        assert output.tweak.hex() == inter["tweak"]
        signer = key_path_signer(output, internal)
    else:
        # The vectors give only the root, not the tree; tweak directly from it.
        tweak = taproot_tweak(internal.xonly, merkle_root)
        assert tweak.hex() == inter["tweak"]
        signer = internal.tweaked(tweak)
    assert signer.secret.hex() == inter["tweakedPrivkey"]

    hasher = TaprootSighasher(tx, spent)
    assert hasher.message(index, hash_type).hex() == inter["sigMsg"]
    digest = hasher.digest(index, hash_type)
    assert digest.hex() == inter["sigHash"]

    signature = signer.sign_schnorr(digest)
    expected_witness = spend["expected"]["witness"]
    suffix = b"" if hash_type == 0 else bytes((hash_type,))
    assert (signature + suffix).hex() == expected_witness[0]
    assert spent[index].script_pubkey[2:] == signer.xonly
    assert PublicKeyXOnly(signer.xonly).verify(signature, digest)


def _bitcoinlib_digest(tx: Tx, index: int, script_code: bytes, amount: int, ht: int) -> bytes:
    theirs = CTransaction.deserialize(tx.serialize())
    result: bytes = SignatureHash(
        CScript(script_code), theirs, index, ht, amount=amount, sigversion=SIGVERSION_WITNESS_V0
    )
    return result


@pytest.mark.parametrize(
    "hash_type",
    [
        SIGHASH_ALL,
        SIGHASH_NONE,
        SIGHASH_SINGLE,
        SIGHASH_ALL | SIGHASH_ANYONECANPAY,
        SIGHASH_SINGLE | SIGHASH_ANYONECANPAY,
    ],
)
def test_segwit_v0_digest_agrees_with_python_bitcoinlib(hash_type: int) -> None:
    key = Key.derive("bip143")
    tx = Tx(
        inputs=(
            TxIn(OutPoint(bytes(range(32)), 1), sequence=0xFFFFFFFE),
            TxIn(OutPoint(bytes(range(32, 64)), 0)),
        ),
        outputs=(TxOut(12_345, b"\x00\x14" + bytes(20)), TxOut(999, b"\x6a\x01\x01")),
        locktime=77,
    )
    script_code = p2wpkh_script_code(bytes(range(20)))
    ours = segwit_v0_digest(tx, 1, script_code, 50_000, hash_type)
    assert ours == _bitcoinlib_digest(tx, 1, script_code, 50_000, hash_type)
    assert len(key.sign_ecdsa(ours)) in range(68, 73)


def test_invalid_taproot_hash_type_is_refused() -> None:
    hasher = TaprootSighasher(*_given())
    with pytest.raises(ValueError, match="hash type"):
        hasher.message(0, 0x04)
