"""The seller's side of an offer (spec/OFFERS.md): compose the PSBT to sign, and check a
signed one before the offer book takes it.

An offer is a one-input, one-output transaction: the input spends the seller's token UTXO,
the output pays the seller the price. Signed with SIGHASH_SINGLE|ANYONECANPAY (0x83), the
signature holds for any transaction that has this input at some index and this output at
the same index (api.offer_take puts both at index 1). Nothing here trusts the PSBT for what
the outpoint carries: the assets are read from the store at its tip.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from embit.psbt import PSBT  # type: ignore[import-untyped]

from api.errors import ApiError, unprocessable
from api.fees import dust_threshold
from api.offer_book import MAX_OFFER_ASSETS, Offer
from api.offer_sig import (
    OFFER_LOCKTIME,
    OFFER_TX_VERSION,
    SIGHASH_SINGLE_ANYONECANPAY,
    OfferSignatureError,
    SignedInput,
    script_kind,
    segwit_v0_digest,
    taproot_digest,
    verify_witness,
)
from api.params import format_outpoint
from api.psbt import SpentOutput, build_psbt
from indexer.store_view import StoreView
from protocol.records import UtxoAssets
from protocol.state import utxo_key

#: A standard output script is at most 42 bytes; this leaves room and bounds the book.
MAX_PAY_SCRIPT_BYTES = 200
#: A one-input, one-output PSBT with its UTXO and signature is a few hundred bytes.
MAX_PSBT_BYTES = 8_000
#: nSequence bit 31 (BIP68): set, the input has no relative lock time.
SEQUENCE_LOCK_DISABLE = 1 << 31


@dataclass(frozen=True)
class OfferComposition:
    psbt: bytes
    digest: bytes
    assets: UtxoAssets


def assets_at(view: StoreView, outpoint: bytes) -> UtxoAssets | None:
    """The outpoint's assets at the indexed tip; None when it holds none (spent or never)."""
    raw = view.get(utxo_key(outpoint[:32], int.from_bytes(outpoint[32:], "big")))
    return None if raw is None else UtxoAssets.decode(raw)


def is_open(view: StoreView, outpoint: bytes) -> bool:
    return assets_at(view, outpoint) is not None


def asset_ids(assets: UtxoAssets) -> tuple[bytes, ...]:
    return tuple(sorted({t for t, _ in assets.balances} | set(assets.authorities)))


def _check_outpoint(view: StoreView, signed: SignedInput) -> UtxoAssets:
    if view.tip() is None:
        raise ApiError(503, "not_synced", "no block is indexed yet; try again once one is")
    where = format_outpoint(signed.outpoint)
    assets = assets_at(view, signed.outpoint)
    if assets is None:
        raise unprocessable(
            "no_assets",
            f"{where} carries no tokens or authorities in the indexed state (not confirmed "
            "yet, already spent, or never there): there is nothing to offer",
        )
    if len(asset_ids(assets)) > MAX_OFFER_ASSETS:
        raise unprocessable(
            "too_many_assets", f"{where} carries more than {MAX_OFFER_ASSETS} assets"
        )
    known = view.script_of(signed.outpoint)
    if known is not None and known != signed.script:
        raise unprocessable(
            "script_mismatch", f"{where} is an output of script {known.hex()}, not the one given"
        )
    if script_kind(signed.script) is None:
        raise unprocessable(
            "unsupported_script",
            f"{where} pays script {signed.script.hex()}; offers support sellers' P2TR (key "
            "path) and P2WPKH outputs only",
        )
    if signed.pay_script[:1] == b"\x6a" or len(signed.pay_script) > MAX_PAY_SCRIPT_BYTES:
        raise unprocessable(
            "invalid_payment",
            f"the payment must go to a spendable script of at most {MAX_PAY_SCRIPT_BYTES} bytes",
        )
    dust = dust_threshold(signed.pay_script)
    if signed.price < dust:
        raise unprocessable(
            "value_below_dust",
            f"a price of {signed.price:,} sats is below the dust limit of {dust:,} for the "
            "payment address: nodes would not relay the completion",
        )
    return assets


def digest(signed: SignedInput) -> bytes:
    """What the seller signs (BIP341 or BIP143 with hash type 0x83)."""
    return (
        taproot_digest(signed) if script_kind(signed.script) == "p2tr" else segwit_v0_digest(signed)
    )


def compose_offer(view: StoreView, signed: SignedInput) -> OfferComposition:
    assets = _check_outpoint(view, signed)
    spent = SpentOutput(signed.outpoint, signed.value, signed.script, sequence=signed.sequence)
    psbt = PSBT.parse(build_psbt([spent], [(signed.price, signed.pay_script)]))
    # PSBT_IN_SIGHASH_TYPE: a signer must use 0x83 (BIP174 lets it refuse another).
    psbt.inputs[0].sighash_type = SIGHASH_SINGLE_ANYONECANPAY
    return OfferComposition(psbt.serialize(), digest(signed), assets)


def _psbt(text: str) -> PSBT:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise unprocessable("invalid_psbt", "psbt is not base64") from None
    if len(raw) > MAX_PSBT_BYTES:
        raise unprocessable("invalid_psbt", f"an offer's PSBT is at most {MAX_PSBT_BYTES:,} bytes")
    try:
        return PSBT.parse(raw)
    except Exception:  # embit's parser raises many kinds on bad bytes
        raise unprocessable("invalid_psbt", "psbt is not a BIP174 PSBT") from None


def _signed_input(psbt: PSBT) -> SignedInput:
    tx = psbt.tx
    if len(tx.vin) != 1 or len(tx.vout) != 1:
        raise unprocessable(
            "offer_shape",
            f"an offer has exactly one input (the token UTXO) and one output (the payment); "
            f"this PSBT has {len(tx.vin)} and {len(tx.vout)}",
        )
    if tx.version != OFFER_TX_VERSION or tx.locktime != OFFER_LOCKTIME:
        raise unprocessable(
            "offer_shape",
            f"an offer is signed as version {OFFER_TX_VERSION} with nLockTime "
            f"{OFFER_LOCKTIME} (the completion repeats both); got {tx.version} and {tx.locktime}",
        )
    vin = tx.vin[0]
    if not vin.sequence & SEQUENCE_LOCK_DISABLE:
        raise unprocessable(
            "offer_shape", "the input's nSequence sets a relative lock time (BIP68): not supported"
        )
    utxo = psbt.inputs[0].witness_utxo
    if utxo is None:
        raise unprocessable(
            "missing_utxo", "the input needs its witness_utxo: the value and script it spends"
        )
    outpoint = bytes(vin.txid)[::-1] + vin.vout.to_bytes(4, "big")
    out = tx.vout[0]
    return SignedInput(
        outpoint,
        utxo.value,
        utxo.script_pubkey.data,
        vin.sequence,
        out.value,
        out.script_pubkey.data,
    )


def _witness(psbt: PSBT) -> tuple[bytes, ...]:
    """The input's final witness, or one built from its single partial signature."""
    scope = psbt.inputs[0]
    requested = scope.sighash_type
    if requested is not None and requested != SIGHASH_SINGLE_ANYONECANPAY:
        raise unprocessable(
            "wrong_sighash",
            f"the PSBT asks for hash type {requested:#04x}; an offer must be signed with "
            "SIGHASH_SINGLE|ANYONECANPAY (0x83)",
        )
    if scope.final_scriptsig is not None and scope.final_scriptsig.data:
        raise unprocessable("unsupported_witness", "a segwit input's scriptSig must be empty")
    if scope.final_scriptwitness is not None:
        return tuple(bytes(item) for item in scope.final_scriptwitness.items)
    if len(scope.partial_sigs) == 1:
        [(pubkey, signature)] = scope.partial_sigs.items()
        return (bytes(signature), pubkey.sec())
    tap_key_sig = scope.unknown.get(b"\x13")  # PSBT_IN_TAP_KEY_SIG (BIP371)
    if tap_key_sig is not None:
        return (bytes(tap_key_sig),)
    raise unprocessable("unsigned_offer", "the offer's input carries no signature")


def check_offer(view: StoreView, text: str) -> Offer:
    """A signed offer checked against the tip: the assets, the script, the signature."""
    psbt = _psbt(text)
    signed = _signed_input(psbt)
    witness = _witness(psbt)
    if len(witness) > 2 or any(len(item) > 80 for item in witness):
        raise unprocessable("unsupported_witness", "the witness is not a single-key spend")
    assets = _check_outpoint(view, signed)
    try:
        verify_witness(signed, witness)
    except OfferSignatureError as exc:
        raise unprocessable(exc.code, str(exc)) from None
    return Offer(signed, witness, asset_ids(assets))
