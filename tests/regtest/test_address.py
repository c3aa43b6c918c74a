"""Segwit address codec against BIP350's published vectors."""

from __future__ import annotations

import pytest

from regtest.address import (
    AddressError,
    WitnessProgram,
    address_to_script,
    decode_address,
    encode_address,
    script_to_address,
)

# BIP350, "Test vectors for v0-v16 native segregated witness addresses".
VALID = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
]

INVALID = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    "bc1pw5dgrnzv",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    "bc1gmk9yu",
]


@pytest.mark.parametrize(("address", "script_hex"), VALID)
def test_valid_address_decodes_and_reencodes(address: str, script_hex: str) -> None:
    hrp = address[: address.rfind("1")].lower()
    assert address_to_script(address, hrp).hex() == script_hex
    assert script_to_address(bytes.fromhex(script_hex), hrp) == address.lower()


@pytest.mark.parametrize("address", INVALID)
def test_invalid_address_is_refused(address: str) -> None:
    for hrp in ("bc", "tb"):
        with pytest.raises(AddressError):
            decode_address(hrp, address)


def test_wrong_network_names_both_networks() -> None:
    with pytest.raises(AddressError, match=r"'bc'.*expected 'bcrt'"):
        decode_address("bcrt", VALID[0][0])


def test_regtest_p2tr_uses_bech32m_with_bcrt() -> None:
    program = WitnessProgram(1, bytes(range(32)))
    address = encode_address("bcrt", program)
    assert address.startswith("bcrt1p")
    assert decode_address("bcrt", address) == program
    with pytest.raises(AddressError, match="expected 'bc'"):
        decode_address("bc", address)


def test_non_segwit_script_has_no_address() -> None:
    with pytest.raises(AddressError):
        script_to_address(bytes.fromhex("76a914" + "00" * 20 + "88ac"))
