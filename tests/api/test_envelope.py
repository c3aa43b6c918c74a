"""The publish envelope's leaf and output, decoded by hand and checked against the regtest
harness's independent BIP341 code (which the indexer's tests spend on real nodes)."""

from __future__ import annotations

import hashlib

from api.envelope import envelope_output
from protocol.params import MAGIC
from regtest.keys import Key
from regtest.taproot import TapLeaf, TaprootOutput
from tests.contracts.sdk import code


def test_the_amm_envelope_decodes_by_hand_and_matches_bip341() -> None:
    key = Key.derive("publisher")
    module = code("amm")
    payload = b"\xa2" + module  # any bytes: the envelope carries them opaquely
    out = envelope_output(key.xonly, payload)
    leaf = out.leaf_script
    # <32-byte push of the key> OP_CHECKSIG OP_FALSE OP_IF <6-byte push "rstate">
    assert leaf[0] == 32 and leaf[1:33] == key.xonly
    assert leaf[33:36] == bytes([0xAC, 0x00, 0x63])
    assert leaf[36] == 6 and leaf[37:43] == MAGIC
    pos, chunks = 43, []
    while leaf[pos] != 0x68:  # OP_ENDIF
        head = leaf[pos]  # a direct push (1..75), OP_PUSHDATA1 (0x4c) or OP_PUSHDATA2 (0x4d)
        width = {0x4C: 1, 0x4D: 2}.get(head, 0)
        size = int.from_bytes(leaf[pos + 1 : pos + 1 + width], "little") if width else head
        assert 0 < size <= 520
        chunks.append(leaf[pos + 1 + width : pos + 1 + width + size])
        pos += 1 + width + size
    assert pos == len(leaf) - 1 and b"".join(chunks) == payload
    assert all(len(c) == 520 for c in chunks[:-1])
    # Control block: leaf version 0xc0 | parity, then the internal key, no path (one leaf).
    assert len(out.control_block) == 33 and out.control_block[0] & 0xFE == 0xC0
    assert out.control_block[1:] == key.xonly == out.internal_key
    prefix = hashlib.sha256(b"TapLeaf").digest()
    length = b"\xfd" + len(leaf).to_bytes(2, "little")  # compact size: the leaf is over 252
    assert out.leaf_hash == hashlib.sha256(prefix + prefix + b"\xc0" + length + leaf).digest()
    reference = TaprootOutput.create(key.xonly, TapLeaf(leaf))
    assert out.script_pubkey == reference.script_pubkey
    assert out.control_block == reference.control_block(TapLeaf(leaf))
