"""Blocks built with python-bitcoinlib, a serializer independent of the scanner under test."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bitcoin.core import (
    CBlock,
    CMutableTransaction,
    CMutableTxIn,
    CMutableTxOut,
    COutPoint,
    CScriptWitness,
    CTransaction,
    CTxInWitness,
    CTxWitness,
    Hash,
)
from bitcoin.core.script import OP_0, OP_CHECKSIG, OP_ENDIF, OP_IF, OP_RETURN, CScript

SHARED_BLOCKS = Path(__file__).resolve().parents[3] / "shared" / "data" / "blocks"

#: A 32-byte x-only key, a 64-byte signature and a control block (leaf version 0xc0, no path):
#: shapes only, nothing here is ever verified.
PUBKEY = bytes(range(1, 33))
SIGNATURE = bytes(range(64))
CONTROL_BLOCK = b"\xc0" + PUBKEY
P2TR_SCRIPT = bytes(CScript([1, PUBKEY]))
RESERVED_VALUE = b"\x11" * 32


def op_return_script(*pushes: bytes) -> bytes:
    return bytes(CScript([OP_RETURN, *pushes]))


def envelope_tapscript(*chunks: bytes, magic: bytes = b"rstate") -> bytes:
    """A tapscript that checks a key and holds ``OP_FALSE OP_IF <magic> <chunks> OP_ENDIF``."""
    return bytes(CScript([PUBKEY, OP_CHECKSIG, OP_0, OP_IF, magic, *chunks, OP_ENDIF]))


def transaction(
    prevouts: Sequence[tuple[bytes, int]],
    scripts: Sequence[bytes] = (P2TR_SCRIPT,),
    witnesses: Sequence[Sequence[bytes]] = (),
    script_sig: bytes = b"",
) -> CTransaction:
    """A transaction spending ``prevouts`` (txid internal order, vout) to ``scripts``."""
    vin = [CMutableTxIn(COutPoint(txid, vout), CScript(script_sig)) for txid, vout in prevouts]
    vout = [CMutableTxOut(1_000 + n, CScript(script)) for n, script in enumerate(scripts)]
    stacks = list(witnesses) + [()] * (len(vin) - len(witnesses))
    wit = CTxWitness([CTxInWitness(CScriptWitness(list(stack))) for stack in stacks])
    return CTransaction.from_tx(CMutableTransaction(vin, vout, witness=wit, nVersion=2))


def coinbase(
    scripts: Sequence[bytes] = (P2TR_SCRIPT,), script_sig: bytes = b"\x03\x01\x02\x03"
) -> CTransaction:
    vin = [CMutableTxIn(COutPoint(), CScript(script_sig))]
    vout = [CMutableTxOut(50_0000_0000, CScript(script)) for script in scripts]
    wit = CTxWitness([CTxInWitness(CScriptWitness([RESERVED_VALUE]))])
    return CTransaction.from_tx(CMutableTransaction(vin, vout, witness=wit))


def committed_coinbase(
    txs: Sequence[CTransaction], reserved: bytes = RESERVED_VALUE
) -> CTransaction:
    """A coinbase committing to the wtxids of ``txs`` as BIP141 says, computed by bitcoinlib."""
    root = CBlock.build_witness_merkle_tree_from_txs([coinbase(), *txs])[-1]
    commitment = bytes.fromhex("6a24aa21a9ed") + Hash(root + RESERVED_VALUE)
    vin = [CMutableTxIn(COutPoint(), CScript(b"\x03\x01\x02\x03"))]
    vout = [CMutableTxOut(50_0000_0000, CScript(P2TR_SCRIPT)), CMutableTxOut(0, commitment)]
    wit = CTxWitness([CTxInWitness(CScriptWitness([reserved]))])
    return CTransaction.from_tx(CMutableTransaction(vin, vout, witness=wit))


def block_bytes(txs: Sequence[CTransaction]) -> bytes:
    """The serialized block of ``txs`` (coinbase first), with bitcoinlib's merkle root."""
    return bytes(CBlock(nTime=1_700_000_000, nBits=0x207FFFFF, vtx=list(txs)).serialize())


def txid(tx: CTransaction) -> bytes:
    return bytes(tx.GetTxid())
