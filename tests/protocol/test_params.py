"""Protocol constants against the values the spec fixes (spec §3.1, §3.3, §4.4, §5.1, §11)."""

from __future__ import annotations

from protocol.params import (
    ACTIVATION_HEIGHTS,
    ENVELOPE_HEAD,
    GENESIS_STATE_HASH,
    MAGIC,
    MAGIC_PUSH,
    MAX_CBOR_DEPTH,
    MAX_CHUNK,
    MAX_DECIMALS,
    MAX_OPERATIONS,
    PROTOCOL_VERSION,
    Network,
    NetworkParams,
)


def test_carrier_constants() -> None:
    assert bytes.fromhex("727374617465") == MAGIC
    assert MAGIC_PUSH == b"\x06rstate"
    assert bytes.fromhex("0063067273746174 65".replace(" ", "")) == ENVELOPE_HEAD
    assert MAX_CHUNK == 520


def test_limits() -> None:
    assert (PROTOCOL_VERSION, MAX_CBOR_DEPTH, MAX_OPERATIONS, MAX_DECIMALS) == (1, 8, 64, 18)
    assert bytes(32) == GENESIS_STATE_HASH


def test_activation_heights_follow_the_spec_table() -> None:
    assert {n.value: h for n, h in ACTIVATION_HEIGHTS.items()} == {
        "mainnet": 985_000,
        "testnet4": 130_000,
        "signet": 300_000,
        "regtest": 1,
    }
    assert NetworkParams.for_network(Network.SIGNET).activation_height == 300_000
