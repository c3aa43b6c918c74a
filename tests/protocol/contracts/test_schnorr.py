"""schnorr_verify's verification (CONTRACTS.md §17.5) against BIP340's published vectors."""

from __future__ import annotations

import pytest

from protocol.contracts.wasm.host import bip340_verify
from tests.vectorgen.bip340 import VECTORS, Bip340Vector


@pytest.mark.parametrize("v", VECTORS, ids=[f"bip340-{v.number}" for v in VECTORS])
def test_bip340_vector(v: Bip340Vector) -> None:
    assert bip340_verify(v.pubkey, v.message, v.signature) is v.valid


def test_one_changed_message_byte_fails() -> None:
    v = VECTORS[17]
    assert bip340_verify(v.pubkey, v.message[:-1] + b"\x12", v.signature) is False
    assert bip340_verify(v.pubkey, v.message + b"\x00", v.signature) is False
