"""Real Bitcoin transactions for the vectors, serialized by python-bitcoinlib.

Signatures are 64-byte placeholders: the protocol never checks scripts or signatures
(spec §1), and funding inputs spend fixed fake outpoints since it needs no prevout data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bitcoin.core import (
    CBlock,
    CMutableTransaction,
    COutPoint,
    CTxIn,
    CTxInWitness,
    CTxOut,
    CTxWitness,
)
from bitcoin.core.script import CScript, CScriptWitness

from tests.vectorgen.model import Outpoint
from tests.vectorgen.script import checksig_leaf, envelope, op_return_carrier

SIG_PLACEHOLDER = b"\x5a" * 64
INTERNAL_KEY = b"\x22" * 32
CONTROL_BLOCK = b"\xc0" + INTERNAL_KEY
OUTPUT_VALUE = 10_000


@dataclass(frozen=True)
class In:
    """An input: the outpoint it spends and its witness stack."""

    prevout: Outpoint
    witness: tuple[bytes, ...] = (SIG_PLACEHOLDER,)


@dataclass(frozen=True)
class Tx:
    raw: bytes
    txid: bytes  # internal byte order
    wtxid: bytes
    index: int  # position in its block, coinbase = 0

    def out(self, vout: int) -> Outpoint:
        return Outpoint(self.txid, vout)


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def pay(tag: int = 0x33) -> bytes:
    """A spendable output script (P2TR shape)."""
    return b"\x51\x20" + bytes([tag]) * 32


def carrier(*parts: bytes) -> bytes:
    return op_return_carrier(*parts)


def envelope_witness(
    tapscript_body: bytes, control: bytes = CONTROL_BLOCK, annex: bytes | None = None
) -> tuple[bytes, ...]:
    """A script-path witness: signature, tapscript, control block (and an optional annex)."""
    stack = (SIG_PLACEHOLDER, checksig_leaf(tapscript_body), control)
    return (*stack, annex) if annex is not None else stack


def envelope_in(prevout: Outpoint, payload: bytes, chunk: int = 520) -> In:
    return In(prevout, envelope_witness(envelope(payload, chunk)))


def build(inputs: list[In], outputs: list[bytes], index: int, coinbase_sig: bytes = b"") -> Tx:
    """Serialize a version-2 transaction; ``outputs`` are scriptPubKeys worth 10,000 sat each."""
    if coinbase_sig:
        vin = [CTxIn(COutPoint(b"\x00" * 32, 0xFFFFFFFF), CScript(coinbase_sig), 0xFFFFFFFF)]
    else:
        vin = [
            CTxIn(COutPoint(i.prevout.txid, i.prevout.vout), CScript(), 0xFFFFFFFD) for i in inputs
        ]
    vout = [CTxOut(OUTPUT_VALUE, CScript(script)) for script in outputs]
    witness = CTxWitness([CTxInWitness(CScriptWitness(list(i.witness))) for i in inputs])
    tx = CMutableTransaction(vin, vout, nLockTime=0, nVersion=2, witness=witness)
    return Tx(tx.serialize(), bytes(tx.GetTxid()), sha256d(tx.serialize()), index)


def coinbase(height: int, wtxids: list[bytes], extra_outputs: list[bytes]) -> Tx:
    """BIP34 height push, a BIP141 witness commitment, and any extra outputs."""
    leaves = [b"\x00" * 32, *wtxids]
    witness_root = merkle_root(leaves)
    commitment = sha256d(witness_root + b"\x00" * 32)
    outputs = [pay(0x44), b"\x6a\x24\xaa\x21\xa9\xed" + commitment, *extra_outputs]
    script_sig = bytes(CScript([height, b"rootstate"]))
    reserved = In(Outpoint(b"\x00" * 32, 0xFFFFFFFF), (b"\x00" * 32,))
    return build([reserved], outputs, 0, coinbase_sig=script_sig)


def merkle_root(hashes: list[bytes]) -> bytes:
    root: bytes = CBlock.build_merkle_tree_from_txids(hashes)[-1]
    return root
