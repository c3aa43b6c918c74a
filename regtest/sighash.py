"""Signature hashes: BIP341/BIP342 (taproot) and BIP143 (segwit v0)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

from protocol.taproot import tagged_hash
from regtest.hashing import sha256, sha256d
from regtest.tx import Tx, TxOut, ser_bytes

SIGHASH_DEFAULT = 0x00
SIGHASH_ALL = 0x01
SIGHASH_NONE = 0x02
SIGHASH_SINGLE = 0x03
SIGHASH_ANYONECANPAY = 0x80

#: BIP342: no OP_CODESEPARATOR executed.
NO_CODESEPARATOR = 0xFFFFFFFF
#: BIP342: the only key version defined so far.
KEY_VERSION_0 = 0x00

_VALID_TAPROOT_HASH_TYPES = frozenset({0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83})
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")


def _sha256_concat(parts: Sequence[bytes]) -> bytes:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.digest()


class TaprootSighasher:
    """BIP341 signature messages for one transaction; the per-tx hashes are computed once.

    `spent` lists the outputs every input spends, in input order (BIP341 commits to all).
    """

    def __init__(self, tx: Tx, spent: Sequence[TxOut]) -> None:
        if len(spent) != len(tx.inputs):
            raise ValueError(f"{len(tx.inputs)} inputs but {len(spent)} spent outputs given")
        self.tx = tx
        self.spent = spent
        self.hash_prevouts = _sha256_concat([i.prevout.serialize() for i in tx.inputs])
        self.hash_amounts = _sha256_concat([_I64.pack(o.value) for o in spent])
        self.hash_script_pubkeys = _sha256_concat([ser_bytes(o.script_pubkey) for o in spent])
        self.hash_sequences = _sha256_concat([_U32.pack(i.sequence) for i in tx.inputs])
        self.hash_outputs = _sha256_concat([o.serialize() for o in tx.outputs])

    def message(
        self,
        index: int,
        hash_type: int = SIGHASH_DEFAULT,
        *,
        annex: bytes | None = None,
        leaf_hash: bytes | None = None,
        codeseparator_pos: int = NO_CODESEPARATOR,
    ) -> bytes:
        """SigMsg with the leading epoch byte, as BIP341's test vectors print it."""
        if hash_type not in _VALID_TAPROOT_HASH_TYPES:
            raise ValueError(f"invalid taproot hash type {hash_type:#x}")
        tx = self.tx
        base_type = hash_type & 0x03
        anyone_can_pay = bool(hash_type & SIGHASH_ANYONECANPAY)
        parts = [b"\x00", bytes((hash_type,)), _I32.pack(tx.version), _U32.pack(tx.locktime)]
        if not anyone_can_pay:
            parts += [
                self.hash_prevouts,
                self.hash_amounts,
                self.hash_script_pubkeys,
                self.hash_sequences,
            ]
        if base_type not in (SIGHASH_NONE, SIGHASH_SINGLE):
            parts.append(self.hash_outputs)
        ext_flag = 0 if leaf_hash is None else 1
        parts.append(bytes((2 * ext_flag + (annex is not None),)))
        if anyone_can_pay:
            txin = tx.inputs[index]
            spent = self.spent[index]
            parts += [
                txin.prevout.serialize(),
                _I64.pack(spent.value),
                ser_bytes(spent.script_pubkey),
                _U32.pack(txin.sequence),
            ]
        else:
            parts.append(_U32.pack(index))
        if annex is not None:
            parts.append(sha256(ser_bytes(annex)))
        if base_type == SIGHASH_SINGLE:
            if index >= len(tx.outputs):
                raise ValueError(f"SIGHASH_SINGLE for input {index} without a matching output")
            parts.append(sha256(tx.outputs[index].serialize()))
        if leaf_hash is not None:
            parts += [leaf_hash, bytes((KEY_VERSION_0,)), _U32.pack(codeseparator_pos)]
        return b"".join(parts)

    def digest(
        self,
        index: int,
        hash_type: int = SIGHASH_DEFAULT,
        *,
        annex: bytes | None = None,
        leaf_hash: bytes | None = None,
    ) -> bytes:
        msg = self.message(index, hash_type, annex=annex, leaf_hash=leaf_hash)
        return tagged_hash("TapSighash", msg)


def p2wpkh_script_code(pubkey_hash: bytes) -> bytes:
    """BIP143 scriptCode for P2WPKH: the P2PKH script of the same key hash."""
    return b"\x76\xa9\x14" + pubkey_hash + b"\x88\xac"


def segwit_v0_digest(
    tx: Tx, index: int, script_code: bytes, amount: int, hash_type: int = SIGHASH_ALL
) -> bytes:
    """BIP143 signature hash for witness v0 inputs."""
    base_type = hash_type & 0x1F
    anyone_can_pay = bool(hash_type & SIGHASH_ANYONECANPAY)
    zero = bytes(32)
    hash_prevouts = (
        zero if anyone_can_pay else sha256d(b"".join(i.prevout.serialize() for i in tx.inputs))
    )
    hash_sequence = (
        zero
        if anyone_can_pay or base_type in (SIGHASH_NONE, SIGHASH_SINGLE)
        else sha256d(b"".join(_U32.pack(i.sequence) for i in tx.inputs))
    )
    if base_type not in (SIGHASH_NONE, SIGHASH_SINGLE):
        hash_outputs = sha256d(b"".join(o.serialize() for o in tx.outputs))
    elif base_type == SIGHASH_SINGLE and index < len(tx.outputs):
        hash_outputs = sha256d(tx.outputs[index].serialize())
    else:
        hash_outputs = zero
    txin = tx.inputs[index]
    preimage = b"".join(
        [
            _I32.pack(tx.version),
            hash_prevouts,
            hash_sequence,
            txin.prevout.serialize(),
            ser_bytes(script_code),
            _I64.pack(amount),
            _U32.pack(txin.sequence),
            hash_outputs,
            _U32.pack(tx.locktime),
            _U32.pack(hash_type),
        ]
    )
    return sha256d(preimage)
