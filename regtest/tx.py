"""Bitcoin transactions as immutable values: build, serialize (BIP144), parse, ids.

Byte order: `OutPoint.txid` and `Tx.txid` hold the hash as serialized (internal order);
`*_hex` properties give the reversed display form that RPC uses.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from functools import cached_property

from protocol.tx import compact_size, read_compact_size, read_witness_stack
from regtest.hashing import sha256d

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")

SEQUENCE_FINAL = 0xFFFFFFFF
#: Signals replaceability (BIP125) and keeps locktime enforceable; what wallets use today.
SEQUENCE_RBF = 0xFFFFFFFD
WITNESS_SCALE = 4


class TxParseError(ValueError):
    """The bytes are not one well-formed transaction."""


def ser_bytes(data: bytes) -> bytes:
    return compact_size(len(data)) + data


@dataclass(frozen=True)
class OutPoint:
    txid: bytes
    vout: int

    @classmethod
    def from_hex(cls, txid_hex: str, vout: int) -> OutPoint:
        return cls(bytes.fromhex(txid_hex)[::-1], vout)

    @property
    def txid_hex(self) -> str:
        return self.txid[::-1].hex()

    def serialize(self) -> bytes:
        return self.txid + _U32.pack(self.vout)


COINBASE_PREVOUT = OutPoint(bytes(32), 0xFFFFFFFF)


@dataclass(frozen=True)
class TxOut:
    value: int
    script_pubkey: bytes

    def serialize(self) -> bytes:
        return _I64.pack(self.value) + ser_bytes(self.script_pubkey)


@dataclass(frozen=True)
class TxIn:
    prevout: OutPoint
    script_sig: bytes = b""
    sequence: int = SEQUENCE_RBF
    witness: tuple[bytes, ...] = ()

    def serialize(self) -> bytes:
        return self.prevout.serialize() + ser_bytes(self.script_sig) + _U32.pack(self.sequence)


@dataclass(frozen=True)
class Tx:
    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    version: int = 2
    locktime: int = 0

    @property
    def has_witness(self) -> bool:
        return any(txin.witness for txin in self.inputs)

    @property
    def is_coinbase(self) -> bool:
        return len(self.inputs) == 1 and self.inputs[0].prevout == COINBASE_PREVOUT

    @cached_property
    def _legacy_bytes(self) -> bytes:
        parts = [_I32.pack(self.version), compact_size(len(self.inputs))]
        parts += [txin.serialize() for txin in self.inputs]
        parts.append(compact_size(len(self.outputs)))
        parts += [txout.serialize() for txout in self.outputs]
        parts.append(_U32.pack(self.locktime))
        return b"".join(parts)

    @cached_property
    def _witness_bytes(self) -> bytes:
        legacy = self._legacy_bytes
        if not self.has_witness:
            return legacy
        stacks = [
            compact_size(len(txin.witness)) + b"".join(ser_bytes(item) for item in txin.witness)
            for txin in self.inputs
        ]
        return legacy[:4] + b"\x00\x01" + legacy[4:-4] + b"".join(stacks) + legacy[-4:]

    def serialize(self, *, include_witness: bool = True) -> bytes:
        return self._witness_bytes if include_witness else self._legacy_bytes

    def hex(self) -> str:
        return self._witness_bytes.hex()

    @cached_property
    def txid(self) -> bytes:
        return sha256d(self._legacy_bytes)

    @cached_property
    def wtxid(self) -> bytes:
        return sha256d(self._witness_bytes)

    @property
    def txid_hex(self) -> str:
        return self.txid[::-1].hex()

    @property
    def weight(self) -> int:
        legacy = len(self._legacy_bytes)
        return legacy * (WITNESS_SCALE - 1) + len(self._witness_bytes)

    @property
    def vsize(self) -> int:
        return -(-self.weight // WITNESS_SCALE)

    def outpoint(self, vout: int) -> OutPoint:
        if not 0 <= vout < len(self.outputs):
            raise IndexError(f"transaction {self.txid_hex} has no output {vout}")
        return OutPoint(self.txid, vout)

    def with_witness(self, index: int, witness: tuple[bytes, ...]) -> Tx:
        inputs = list(self.inputs)
        inputs[index] = replace(inputs[index], witness=witness)
        return replace(self, inputs=tuple(inputs))

    @classmethod
    def from_hex(cls, raw_hex: str) -> Tx:
        return cls.parse(bytes.fromhex(raw_hex))

    @classmethod
    def parse(cls, raw: bytes) -> Tx:
        try:
            tx, end = parse_tx(raw, 0)
        except (IndexError, struct.error) as exc:
            raise TxParseError(f"truncated transaction: {exc}") from exc
        if end != len(raw):
            raise TxParseError(f"{len(raw) - end:,} trailing bytes after the transaction")
        return tx


def parse_tx(buf: bytes, pos: int) -> tuple[Tx, int]:
    """Parse one transaction starting at `pos`; return it and the position after it."""
    version = _I32.unpack_from(buf, pos)[0]
    pos += 4
    segwit = buf[pos] == 0 and buf[pos + 1] == 1
    if segwit:
        pos += 2
    n_in, pos = read_compact_size(buf, pos)
    raw_inputs: list[tuple[OutPoint, bytes, int]] = []
    for _ in range(n_in):
        prevout = OutPoint(buf[pos : pos + 32], _U32.unpack_from(buf, pos + 32)[0])
        size, pos = read_compact_size(buf, pos + 36)
        script_sig = buf[pos : pos + size]
        pos += size
        raw_inputs.append((prevout, script_sig, _U32.unpack_from(buf, pos)[0]))
        pos += 4
    n_out, pos = read_compact_size(buf, pos)
    outputs = []
    for _ in range(n_out):
        value = _I64.unpack_from(buf, pos)[0]
        size, pos = read_compact_size(buf, pos + 8)
        outputs.append(TxOut(value, buf[pos : pos + size]))
        pos += size
    witnesses: list[tuple[bytes, ...]] = [()] * n_in
    if segwit:
        for index in range(n_in):
            witnesses[index], pos = read_witness_stack(buf, pos)
    locktime = _U32.unpack_from(buf, pos)[0]
    inputs = tuple(
        TxIn(prevout, script_sig, sequence, witness)
        for (prevout, script_sig, sequence), witness in zip(raw_inputs, witnesses, strict=True)
    )
    return Tx(inputs, tuple(outputs), version, locktime), pos + 4
