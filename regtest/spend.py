"""Spendable coins and how to sign for them: P2WPKH, taproot key path, taproot script path.

`sign_inputs` fills every input's witness from the coin it spends; BIP341 commits to all
spent outputs, so it takes the coins of every input at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from protocol.envelope import EnvelopeOutput
from protocol.params import MAGIC_PUSH, MAX_CHUNK
from protocol.taproot import TapLeaf, TaprootOutput
from regtest.hashing import hash160
from regtest.keys import ZERO_AUX, Key
from regtest.script import p2wpkh_script
from regtest.sighash import (
    SIGHASH_ALL,
    SIGHASH_DEFAULT,
    TaprootSighasher,
    p2wpkh_script_code,
    segwit_v0_digest,
)
from regtest.tx import OutPoint, Tx, TxIn, TxOut

#: BIP341: the first byte of an annex.
ANNEX_TAG = 0x50


@dataclass(frozen=True)
class P2wpkhSpend:
    key: Key

    @property
    def script_pubkey(self) -> bytes:
        return p2wpkh_script(self.key.pubkey)


@dataclass(frozen=True)
class KeyPathSpend:
    """Spend a taproot output with the tweaked output key (one signature in the witness)."""

    output: TaprootOutput
    signer: Key

    @classmethod
    def for_key(cls, internal: Key, output: TaprootOutput | None = None) -> KeyPathSpend:
        output = output or TaprootOutput.create(internal.xonly)
        return cls(output, key_path_signer(output, internal))


@dataclass(frozen=True)
class ScriptPathSpend:
    """Spend a taproot output through a leaf whose script is `<key> OP_CHECKSIG ...`."""

    output: TaprootOutput
    leaf: TapLeaf
    key: Key


Spend = P2wpkhSpend | KeyPathSpend | ScriptPathSpend


@dataclass(frozen=True)
class Coin:
    outpoint: OutPoint
    output: TxOut
    spend: Spend

    @property
    def value(self) -> int:
        return self.output.value


@dataclass(frozen=True)
class Envelope:
    """A taproot output committing to a leaf that carries `payload` (carriage (b)).

    The commit transaction pays to `script_pubkey`; the reveal spends `coin(...)` through
    the leaf, which puts the tapscript and control block into the reveal's witness.
    """

    payload: bytes
    key: Key
    leaf: TapLeaf
    output: TaprootOutput

    @classmethod
    def create(
        cls,
        key: Key,
        payload: bytes,
        *,
        chunk_size: int = MAX_CHUNK,
        magic_push: bytes = MAGIC_PUSH,
        internal_key: bytes | None = None,
    ) -> Envelope:
        built = EnvelopeOutput.create(
            key.xonly,
            payload,
            internal_key or key.xonly,
            chunk_size=chunk_size,
            magic_push=magic_push,
        )
        return cls(payload, key, built.leaf, built.output)

    @property
    def script_pubkey(self) -> bytes:
        return self.output.script_pubkey

    def coin(self, outpoint: OutPoint, value: int) -> Coin:
        return Coin(
            outpoint,
            TxOut(value, self.script_pubkey),
            ScriptPathSpend(self.output, self.leaf, self.key),
        )


def _taproot_sig(signature: bytes, hash_type: int) -> bytes:
    return signature if hash_type == SIGHASH_DEFAULT else signature + bytes((hash_type,))


def sign_inputs(
    tx: Tx,
    coins: Sequence[Coin],
    *,
    annexes: Mapping[int, bytes] | None = None,
    taproot_hash_type: int = SIGHASH_DEFAULT,
    aux: bytes = ZERO_AUX,
) -> Tx:
    """Return `tx` with every input's witness set; `coins[i]` is what input i spends.

    `annexes` maps input index to an annex (taproot inputs only; must start with 0x50),
    which is committed to by the signature and appended to the witness.
    """
    if len(coins) != len(tx.inputs):
        raise ValueError(f"{len(tx.inputs)} inputs but {len(coins)} coins")
    for txin, coin in zip(tx.inputs, coins, strict=True):
        if txin.prevout != coin.outpoint:
            raise ValueError(f"input spends {txin.prevout}, coin is {coin.outpoint}")
    annexes = annexes or {}
    hasher: TaprootSighasher | None = None
    witnesses: list[tuple[bytes, ...]] = []
    for index, coin in enumerate(coins):
        annex = annexes.get(index)
        if annex is not None and (not annex or annex[0] != ANNEX_TAG):
            raise ValueError("an annex must start with 0x50")
        spend = coin.spend
        witness: tuple[bytes, ...]
        if isinstance(spend, P2wpkhSpend):
            if annex is not None:
                raise ValueError(f"input {index} is P2WPKH; only taproot inputs take an annex")
            digest = segwit_v0_digest(
                tx, index, p2wpkh_script_code(hash160(spend.key.pubkey)), coin.value, SIGHASH_ALL
            )
            witness = (spend.key.sign_ecdsa(digest) + bytes((SIGHASH_ALL,)), spend.key.pubkey)
        else:
            if hasher is None:
                hasher = TaprootSighasher(tx, [c.output for c in coins])
            if isinstance(spend, KeyPathSpend):
                digest = hasher.digest(index, taproot_hash_type, annex=annex)
                sig = spend.signer.sign_schnorr(digest, aux)
                witness = (_taproot_sig(sig, taproot_hash_type),)
            else:
                digest = hasher.digest(
                    index, taproot_hash_type, annex=annex, leaf_hash=spend.leaf.leaf_hash
                )
                sig = spend.key.sign_schnorr(digest, aux)
                witness = (
                    _taproot_sig(sig, taproot_hash_type),
                    spend.leaf.script,
                    spend.output.control_block(spend.leaf),
                )
            if annex is not None:
                witness += (annex,)
        witnesses.append(witness)
    inputs = tuple(
        TxIn(txin.prevout, txin.script_sig, txin.sequence, witness)
        for txin, witness in zip(tx.inputs, witnesses, strict=True)
    )
    return Tx(inputs, tx.outputs, tx.version, tx.locktime)


def key_path_script(key: Key) -> bytes:
    """The P2TR output script of `key` with no script tree (BIP86-style)."""
    return TaprootOutput.create(key.xonly).script_pubkey


def key_path_signer(output: TaprootOutput, internal: Key) -> Key:
    """The key that signs key-path spends of ``output``."""
    if internal.xonly != output.internal_key:
        raise ValueError("key does not match this output's internal key")
    return internal.tweaked(output.tweak)
