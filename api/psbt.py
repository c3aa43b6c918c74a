"""Unsigned transactions and their PSBTs (BIP174 version 0), built with embit.

Each input carries ``witness_utxo`` when it spends a segwit output, and
``non_witness_utxo`` when the caller supplied the previous transaction (required for
legacy inputs). The caller signs.

An input spending a taproot output by script path (a publish's reveal) carries BIP371's
fields, so a signer needs nothing but the PSBT: ``PSBT_IN_TAP_LEAF_SCRIPT`` (control block
-> leaf script ‖ leaf version), ``PSBT_IN_TAP_INTERNAL_KEY`` and ``PSBT_IN_TAP_MERKLE_ROOT``
(with which it checks the output key it signs for). A taproot output we build (a publish's
commit) carries ``PSBT_OUT_TAP_INTERNAL_KEY`` and ``PSBT_OUT_TAP_TREE``, so a signer can
check the output it pays before it signs. ``PSBT_IN/OUT_TAP_BIP32_DERIVATION`` are left
out: the API is given a bare x-only key, not the master fingerprint and path BIP371's
value needs, and a made-up origin would mislead a wallet; a signer holding the key finds
it in the leaf script (embit's signer and Bitcoin Core's look a key up by its x-only form).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from embit.ec import PublicKey  # type: ignore[import-untyped]
from embit.psbt import PSBT  # type: ignore[import-untyped]
from embit.script import Script  # type: ignore[import-untyped]
from embit.transaction import (  # type: ignore[import-untyped]
    Transaction,
    TransactionInput,
    TransactionOutput,
)

from api.fees import witness_version
from protocol.taproot import TapLeaf, TaprootOutput
from protocol.tx import compact_size

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
    #: A taproot output spent by script path: the output and the leaf the signer signs.
    tap_leaf: tuple[TaprootOutput, TapLeaf] | None = None
    #: An input someone else signed already (an offer's, api.offers) keeps its own.
    sequence: int = SEQUENCE_RBF


def _transaction(inputs: Sequence[SpentOutput], outputs: Sequence[tuple[int, bytes]]) -> Any:
    vin = [
        TransactionInput(
            spent.outpoint[:32][::-1],  # embit holds txids in display order
            int.from_bytes(spent.outpoint[32:], "big"),
            sequence=spent.sequence,
        )
        for spent in inputs
    ]
    vout = [TransactionOutput(value, Script(script)) for value, script in outputs]
    return Transaction(version=TX_VERSION, vin=vin, vout=vout, locktime=0)


def unsigned_tx(inputs: Sequence[SpentOutput], outputs: Sequence[tuple[int, bytes]]) -> bytes:
    """The transaction serialized without witness data (its txid's preimage)."""
    raw: bytes = _transaction(inputs, outputs).serialize()
    return raw


#: BIP371's output key type embit keeps no attribute for: written as an unknown key.
PSBT_OUT_TAP_TREE = b"\x06"


def tap_tree(output: TaprootOutput) -> bytes:
    """BIP371 ``PSBT_OUT_TAP_TREE``: per leaf in depth-first order, its depth, leaf version
    and script (with its compact size)."""
    return b"".join(
        bytes((len(path), leaf.version)) + compact_size(len(leaf.script)) + leaf.script
        for leaf, path in output.leaf_paths
    )


def build_psbt(
    inputs: Sequence[SpentOutput],
    outputs: Sequence[tuple[int, bytes]],
    tap_outputs: Mapping[int, TaprootOutput] | None = None,
) -> bytes:
    """The PSBT; ``tap_outputs`` maps output indexes to the taproot outputs they pay."""
    psbt = PSBT(_transaction(inputs, outputs))
    for scope, spent in zip(psbt.inputs, inputs, strict=True):
        if witness_version(spent.script) is not None:
            scope.witness_utxo = TransactionOutput(spent.value, Script(spent.script))
        if spent.prev_tx is not None:
            scope.non_witness_utxo = Transaction.parse(spent.prev_tx)
        if spent.tap_leaf is not None:
            output, leaf = spent.tap_leaf
            scope.taproot_internal_key = PublicKey.from_xonly(output.internal_key)
            scope.taproot_merkle_root = output.merkle_root
            scope.taproot_scripts[output.control_block(leaf)] = leaf.script + bytes((leaf.version,))
    for index, output in (tap_outputs or {}).items():
        scope = psbt.outputs[index]
        scope.taproot_internal_key = PublicKey.from_xonly(output.internal_key)
        if output.leaf_paths:
            # A new dict, never an update: embit's scopes share one mutable default.
            scope.unknown = {**scope.unknown, PSBT_OUT_TAP_TREE: tap_tree(output)}
    serialized: bytes = psbt.serialize()
    return serialized
