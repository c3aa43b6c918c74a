"""Envelope building (spec §3.3): pushes and leaf read back with python-bitcoinlib's script
parser and by hand, the output's tweak recomputed with embit's independent secp256k1 code,
and the envelope decoded again by the carrier finder."""

from __future__ import annotations

import hashlib

import pytest
from bitcoin.core.script import OP_0, OP_CHECKSIG, OP_ENDIF, OP_IF, CScript
from embit.util import secp256k1  # type: ignore[import-untyped]

from protocol.carrier import find_carriers
from protocol.envelope import EnvelopeOutput, envelope_script
from protocol.params import ENVELOPE_HEAD, MAGIC
from protocol.script import push_data
from protocol.taproot import NUMS_INTERNAL_KEY
from protocol.tx import Transaction, TxInput
from regtest.keys import Key
from tests.contracts.sdk import code


def _elements(script: bytes) -> list[object]:
    return list(CScript(script))


def test_empty_push_is_op_0() -> None:
    assert push_data(b"") == b"\x00"


@pytest.mark.parametrize("size", [1, 75, 76, 255, 256, 520, 65_535, 65_536])
def test_push_data_is_read_back_whole(size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    assert _elements(push_data(data)) == [data]


def test_push_data_prefixes_are_the_shortest() -> None:
    assert push_data(b"\x05")[:1] == b"\x01"
    assert push_data(bytes(76))[:2] == b"\x4c\x4c"
    assert push_data(bytes(256))[:3] == b"\x4d\x00\x01"
    assert push_data(bytes(65_536))[:5] == b"\x4e\x00\x00\x01\x00"


def test_envelope_layout() -> None:
    key = bytes(range(32))
    payload = bytes(1_300)
    script = envelope_script(key, payload)
    assert script[33:34] == b"\xac"
    assert script[34:].startswith(ENVELOPE_HEAD)
    assert _elements(script) == [
        key,
        OP_CHECKSIG,
        OP_0,
        OP_IF,
        MAGIC,
        payload[:520],
        payload[520:1040],
        payload[1040:],
        OP_ENDIF,
    ]


def test_envelope_chunk_size_is_configurable() -> None:
    script = envelope_script(bytes(32), b"abcdefg", chunk_size=3)
    assert _elements(script)[5:8] == [b"abc", b"def", b"g"]


def test_envelope_refuses_a_full_public_key() -> None:
    with pytest.raises(ValueError, match="x-only"):
        envelope_script(bytes(33), b"x")


@pytest.mark.parametrize("leaf_key", [bytes(32), b"\xff" * 32])
def test_a_leaf_key_off_the_curve_is_refused(leaf_key: bytes) -> None:
    with pytest.raises(ValueError):
        EnvelopeOutput.create(leaf_key, b"x", NUMS_INTERNAL_KEY)


def _tagged(tag: str, data: bytes) -> bytes:
    prefix = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(prefix + prefix + data).digest()


@pytest.mark.parametrize("internal", ["nums", "leaf key"])
def test_the_amm_envelope_output_matches_bip341_by_hand(internal: str) -> None:
    key = Key.derive("publisher")
    internal_key = NUMS_INTERNAL_KEY if internal == "nums" else key.xonly
    payload = b"\xa2" + code("amm")  # any bytes: the envelope carries them opaquely
    out = EnvelopeOutput.create(key.xonly, payload, internal_key)
    leaf = out.leaf_script
    # <32-byte push of the key> OP_CHECKSIG OP_FALSE OP_IF <6-byte push "rstate"> ... OP_ENDIF
    assert leaf[:36] == b"\x20" + key.xonly + b"\xac\x00\x63"
    assert leaf[36:43] == b"\x06" + MAGIC and leaf[-1] == 0x68
    assert b"".join(e for e in _elements(leaf)[5:-1] if isinstance(e, bytes)) == payload
    length = b"\xfd" + len(leaf).to_bytes(2, "little")  # compact size: the leaf is over 252
    leaf_hash = _tagged("TapLeaf", b"\xc0" + length + leaf)
    assert out.leaf_hash == out.merkle_root == leaf_hash  # one leaf: the root is its hash
    # Q = lift_x(P) + int(TapTweak(P || root))·G, with embit's libsecp256k1 binding.
    tweak = _tagged("TapTweak", internal_key + leaf_hash)
    point = secp256k1.ec_pubkey_add(secp256k1.ec_pubkey_parse(b"\x02" + internal_key), tweak)
    sec = secp256k1.ec_pubkey_serialize(point)
    assert out.script_pubkey == b"\x51\x20" + sec[1:]
    # Control block: leaf version 0xc0 | the output key's parity, the internal key, no path.
    assert out.control_block == bytes([0xC0 | (sec[0] & 1)]) + internal_key
    assert out.internal_key == internal_key


def test_the_carrier_finder_reads_the_envelope_back() -> None:
    key = Key.derive("publisher")
    payload = bytes(range(256)) * 5
    out = EnvelopeOutput.create(key.xonly, payload, NUMS_INTERNAL_KEY)
    witness = (bytes(64), out.leaf_script, out.control_block)
    tx = Transaction(bytes(32), (TxInput(b"\x01" * 32, 0, witness),), ())
    scan = find_carriers(tx)
    assert scan.rejection is None and scan.payload == payload
