"""Signing inputs: argument checks that need no node (nodes judge the signatures)."""

from __future__ import annotations

import pytest

from regtest.keys import Key
from regtest.spend import Coin, Envelope, KeyPathSpend, P2wpkhSpend, sign_inputs
from regtest.tx import OutPoint, Tx, TxIn, TxOut

KEY = Key.derive("spend-unit")
KEY_PATH = KeyPathSpend.for_key(KEY)
COIN = Coin(OutPoint(bytes(32), 0), TxOut(10_000, KEY_PATH.output.script_pubkey), KEY_PATH)
UNSIGNED = Tx((TxIn(COIN.outpoint),), (TxOut(9_000, b"\x51"),))


def test_key_path_witness_is_one_64_byte_signature() -> None:
    signed = sign_inputs(UNSIGNED, [COIN])
    assert [len(item) for item in signed.inputs[0].witness] == [64]
    assert signed.txid == UNSIGNED.txid


def test_script_path_witness_is_signature_script_control_block() -> None:
    envelope = Envelope.create(KEY, b"payload")
    coin = envelope.coin(OutPoint(bytes(32), 1), 5_000)
    signed = sign_inputs(Tx((TxIn(coin.outpoint),), (TxOut(4_000, b"\x51"),)), [coin])
    signature, script, control = signed.inputs[0].witness
    assert len(signature) == 64
    assert script == envelope.leaf.script
    assert control[0] & 0xFE == 0xC0
    assert control[1:33] == KEY.xonly


def test_non_default_hash_type_is_appended() -> None:
    signed = sign_inputs(UNSIGNED, [COIN], taproot_hash_type=0x83)
    assert len(signed.inputs[0].witness[0]) == 65
    assert signed.inputs[0].witness[0][-1] == 0x83


def test_coins_must_match_inputs() -> None:
    other = Coin(OutPoint(bytes(32), 9), COIN.output, COIN.spend)
    with pytest.raises(ValueError, match="spends"):
        sign_inputs(UNSIGNED, [other])
    with pytest.raises(ValueError, match="coins"):
        sign_inputs(UNSIGNED, [COIN, COIN])


def test_annex_only_on_taproot_inputs() -> None:
    p2wpkh = Coin(COIN.outpoint, TxOut(10_000, b"\x00\x14" + bytes(20)), P2wpkhSpend(KEY))
    with pytest.raises(ValueError, match="taproot"):
        sign_inputs(UNSIGNED, [p2wpkh], annexes={0: b"\x50"})
    with pytest.raises(ValueError, match="0x50"):
        sign_inputs(UNSIGNED, [COIN], annexes={0: b""})
