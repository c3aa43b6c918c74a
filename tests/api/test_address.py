"""Addresses per network, against the BIP173/BIP350 test vectors and well-known addresses."""

from __future__ import annotations

import pytest

from api.address import AddressError, address_to_script, script_to_address
from protocol.params import Network
from regtest.address import REGTEST_HRP, encode_address
from regtest.address import WitnessProgram as HarnessProgram

MAIN, TEST, SIGNET, REG = Network.MAINNET, Network.TESTNET4, Network.SIGNET, Network.REGTEST
P2WPKH = "0014751e76e8199196d454941c45d1b3a323f1433bd6"

# (address, network, scriptPubKey hex): BIP173 and BIP350 valid vectors, and Bitcoin wiki
# base58 examples.
VALID = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", MAIN, P2WPKH),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", MAIN, P2WPKH),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        TEST,
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        MAIN,
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", MAIN, "6002751e"),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        SIGNET,
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        MAIN,
        "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac",
    ),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", MAIN, "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87"),
    (
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
        TEST,
        "76a914243f1394f44554f4ce3fd68649c19adc483ce92488ac",
    ),
]


@pytest.mark.parametrize(("address", "network", "script"), VALID)
def test_valid_addresses(address: str, network: Network, script: str) -> None:
    assert address_to_script(address, network).hex() == script
    assert (
        script_to_address(bytes.fromhex(script), network) == address.lower() or address[0] in "13m"
    )
    if address[0] in "13m":
        assert script_to_address(bytes.fromhex(script), network) == address


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", MAIN),  # unknown hrp
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", MAIN),  # bad checksum
        ("BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", MAIN),  # invalid witness version
        ("bc1rw5uspcuh", MAIN),  # program too short
        ("bc1zw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", MAIN),  # bad checksum (bech32, v16)
        ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", TEST),  # mixed case
        (
            "bc1zw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
            MAIN,
        ),  # v1+ in bech32
        ("tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", TEST),  # v0 in bech32m
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", REG),  # mainnet on regtest
        ("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", MAIN),  # testnet on mainnet
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", TEST),  # mainnet base58 on testnet
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", MAIN),  # bad base58 checksum
        ("", MAIN),
        ("bc1" + "q" * 100, MAIN),
        ("bc1qé508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", MAIN),
    ],
)
def test_invalid_addresses(address: str, network: Network) -> None:
    with pytest.raises(AddressError):
        address_to_script(address, network)


def test_regtest_addresses_agree_with_the_harness() -> None:
    for version, program in ((0, bytes(range(20))), (0, bytes(range(32))), (1, bytes(range(32)))):
        expected = encode_address(REGTEST_HRP, HarnessProgram(version, program))
        script = HarnessProgram(version, program).script_pubkey
        assert script_to_address(script, REG) == expected
        assert address_to_script(expected, REG) == script
    # Testnet4 and signet share the tb prefix; regtest has its own.
    p2wpkh = bytes.fromhex(P2WPKH)
    assert script_to_address(p2wpkh, SIGNET) == script_to_address(p2wpkh, TEST)
    assert script_to_address(p2wpkh, REG) != script_to_address(p2wpkh, TEST)


def test_scripts_without_an_address() -> None:
    for script in (b"\x6a\x04abcd", b"", b"\x51", bytes.fromhex("0013") + bytes(19)):
        assert script_to_address(script, MAIN) is None
