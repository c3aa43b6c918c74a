"""spec/vectors/snapshot.bin: the snapshot (STATE_ROOT.md §26.1) of one vector's last block,
written from the vector's own expectations by this encoder, not by the indexer's, so a
second implementation can check its writer and reader byte for byte against it."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

from bitcoin.core import CTransaction

#: The vector whose final state the snapshot holds, and the chain it claims.
SOURCE = "transfer-split"
NETWORK = b"regtest"
PROTOCOL_VERSION = 1
#: Bitcoin's regtest genesis block hash, in internal byte order.
REGTEST_GENESIS = bytes.fromhex("0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206")[
    ::-1
]
MAGIC = b"RSTSNAP\x01"
UTXO_PREFIX = 0x01


def _scripts(vector: dict[str, Any]) -> dict[bytes, bytes]:
    """Every output's scriptPubKey in the vector, by outpoint (txid || vout u32 BE)."""
    scripts = {}
    for block in vector["blocks"]:
        for raw in block["transactions"]:
            tx = CTransaction.deserialize(bytes.fromhex(raw))
            txid = tx.GetTxid()
            for vout, output in enumerate(tx.vout):
                scripts[txid + vout.to_bytes(4, "big")] = bytes(output.scriptPubKey)
    return scripts


def build_snapshot(vector: dict[str, Any]) -> bytes:
    """§26.1, field by field, for the state after ``vector``'s last block."""
    last = vector["blocks"][-1]
    expected = last["expected"]
    previous = (
        bytes.fromhex(vector["blocks"][-2]["expected"]["state_hash"])
        if len(vector["blocks"]) > 1
        else bytes(32)
    )
    state = sorted((bytes.fromhex(k), bytes.fromhex(v)) for k, v in expected["state"].items())
    scripts = _scripts(vector)
    outputs = [(key[1:], scripts[key[1:]]) for key, _ in state if key[0] == UTXO_PREFIX]
    out = bytearray(MAGIC)
    out += NETWORK.ljust(16, b"\x00")
    out += struct.pack(">II", vector["activation_height"], PROTOCOL_VERSION)
    out += REGTEST_GENESIS
    out += struct.pack(">I", last["height"])
    out += bytes.fromhex(last["hash"])[::-1]  # the display hex, back to internal order
    out += previous + bytes.fromhex(expected["events_hash"])
    out += struct.pack(">I", len(expected["events_cbor"]))
    out += bytes.fromhex(expected["state_hash"]) + bytes.fromhex(expected["state_root"])
    out += struct.pack(">QQ", len(state), len(outputs))
    for key, value in state:
        out += struct.pack(">HI", len(key), len(value)) + key + value
    for outpoint, script in outputs:
        out += outpoint + struct.pack(">I", len(script)) + script
    out += hashlib.sha256(out).digest()
    return bytes(out)
