"""Unsigned transactions and their PSBTs (BIP174 version 0), built with embit.

Each input carries ``witness_utxo`` when it spends a segwit output, and
``non_witness_utxo`` when the caller supplied the previous transaction (required for
legacy inputs); outputs carry nothing but the transaction itself. The caller signs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from embit.psbt import PSBT  # type: ignore[import-untyped]
from embit.script import Script  # type: ignore[import-untyped]
from embit.transaction import (  # type: ignore[import-untyped]
    Transaction,
    TransactionInput,
    TransactionOutput,
)

from api.fees import witness_version

#: BIP125 replaceable, and keeps nLockTime enforceable: what wallets use today.
SEQUENCE_RBF = 0xFFFF_FFFD
TX_VERSION = 2


@dataclass(frozen=True)
class SpentOutput:
    """An input: the outpoint (protocol form: txid internal order + vout u32 big-endian)
    and the output it spends."""

    outpoint: bytes
    value: int
    script: bytes
    prev_tx: bytes | None = None


def _transaction(inputs: Sequence[SpentOutput], outputs: Sequence[tuple[int, bytes]]) -> Any:
    vin = [
        TransactionInput(
            spent.outpoint[:32][::-1],  # embit holds txids in display order
            int.from_bytes(spent.outpoint[32:], "big"),
            sequence=SEQUENCE_RBF,
        )
        for spent in inputs
    ]
    vout = [TransactionOutput(value, Script(script)) for value, script in outputs]
    return Transaction(version=TX_VERSION, vin=vin, vout=vout, locktime=0)


def unsigned_tx(inputs: Sequence[SpentOutput], outputs: Sequence[tuple[int, bytes]]) -> bytes:
    """The transaction serialized without witness data (its txid's preimage)."""
    raw: bytes = _transaction(inputs, outputs).serialize()
    return raw


def build_psbt(inputs: Sequence[SpentOutput], outputs: Sequence[tuple[int, bytes]]) -> bytes:
    psbt = PSBT(_transaction(inputs, outputs))
    for scope, spent in zip(psbt.inputs, inputs, strict=True):
        if witness_version(spent.script) is not None:
            scope.witness_utxo = TransactionOutput(spent.value, Script(spent.script))
        if spent.prev_tx is not None:
            scope.non_witness_utxo = Transaction.parse(spent.prev_tx)
    serialized: bytes = psbt.serialize()
    return serialized
