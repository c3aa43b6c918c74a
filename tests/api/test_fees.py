"""Sizes, fees and dust against figures from Bitcoin Core's policy and BIP141 by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from api.fees import UnknownInputError, dust_threshold, fee_for, input_weight, tx_weight, vsize

P2TR = b"\x51\x20" + bytes(32)
P2WPKH = b"\x00\x14" + bytes(20)
P2PKH = bytes.fromhex("76a914") + bytes(20) + bytes.fromhex("88ac")
P2SH = bytes.fromhex("a914") + bytes(20) + b"\x87"


def test_dust_limits_are_bitcoin_cores() -> None:
    # Core's well-known dust limits at the default 3 sat/vB dust relay fee.
    assert [dust_threshold(s) for s in (P2TR, P2WPKH, P2PKH, P2SH)] == [330, 294, 546, 540]
    assert dust_threshold(b"\x6a\x01\x00") == 0


def test_input_weights() -> None:
    # 41 non-witness bytes x4, then witness: count, push length, 65-byte signature.
    assert input_weight(P2TR) == 164 + 67
    # ... count, 72-byte DER signature push, 33-byte key push.
    assert input_weight(P2WPKH) == 164 + 1 + 73 + 34
    assert input_weight(P2PKH) == (41 + 107) * 4
    with pytest.raises(UnknownInputError, match="input_weight"):
        input_weight(P2SH)


def test_a_one_in_two_out_taproot_transaction() -> None:
    # version 4 + counts 2 + outputs 2x43 + locktime 4 = 96 bytes x4, + input, + marker/flag.
    weight = tx_weight([(input_weight(P2TR), True)], [P2TR, P2TR])
    assert weight == 96 * 4 + 231 + 2
    assert vsize(weight) == 155
    assert fee_for(weight, Fraction(3, 2)) == 233  # 232.5 rounds up
    # A legacy input in a segwit transaction needs an empty witness: one more byte.
    mixed = tx_weight([(input_weight(P2TR), True), (input_weight(P2PKH), False)], [P2TR])
    assert mixed == (4 + 1 + 1 + 43 + 4) * 4 + 231 + 592 + 2 + 1
