"""A reader of BIP174 (version 0) PSBTs written from the BIP for the tests, independent of
the library the API builds them with."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from protocol.tx import Transaction, parse_transaction

MAGIC = b"psbt\xff"
GLOBAL_UNSIGNED_TX = 0x00
IN_NON_WITNESS_UTXO, IN_WITNESS_UTXO = 0x00, 0x01


def _compact(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    if first < 0xFD:
        return first, pos + 1
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    return int.from_bytes(data[pos + 1 : pos + 1 + width], "little"), pos + 1 + width


def _map(data: bytes, pos: int) -> tuple[dict[bytes, bytes], int]:
    entries: dict[bytes, bytes] = {}
    while True:
        key_len, pos = _compact(data, pos)
        if key_len == 0:
            return entries, pos
        key = data[pos : pos + key_len]
        pos += key_len
        value_len, pos = _compact(data, pos)
        assert key not in entries, f"duplicate PSBT key {key.hex()}"
        entries[key] = data[pos : pos + value_len]
        pos += value_len


@dataclass(frozen=True)
class Psbt:
    unsigned: bytes
    tx: Transaction
    inputs: list[dict[bytes, bytes]]
    outputs: list[dict[bytes, bytes]]

    def witness_utxo(self, index: int) -> tuple[int, bytes]:
        """(value, scriptPubKey) of the output input ``index`` spends."""
        raw = self.inputs[index][bytes([IN_WITNESS_UTXO])]
        value = int.from_bytes(raw[:8], "little")
        length, pos = _compact(raw, 8)
        assert pos + length == len(raw)
        return value, raw[pos:]


def read_psbt(text: str) -> Psbt:
    data = base64.b64decode(text, validate=True)
    assert data[:5] == MAGIC, "not a PSBT"
    globals_, pos = _map(data, 5)
    unsigned = globals_[bytes([GLOBAL_UNSIGNED_TX])]
    tx = parse_transaction(unsigned)
    # BIP174: the unsigned transaction has empty scriptSigs and no witnesses.
    assert unsigned[4:6] != b"\x00\x01", "the unsigned transaction carries witness data"
    inputs, outputs = [], []
    for _ in tx.inputs:
        entries, pos = _map(data, pos)
        inputs.append(entries)
    for _ in tx.outputs:
        entries, pos = _map(data, pos)
        outputs.append(entries)
    assert pos == len(data), "trailing bytes after the PSBT"
    return Psbt(unsigned, tx, inputs, outputs)
