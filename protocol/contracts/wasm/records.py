"""Contract state records and keys (spec/CONTRACTS.md §14.3).

All of it lives in the one key/value state of spec §9, so undo, reorgs, the store and the
commitment cover contracts without anything contract-specific.
"""

from __future__ import annotations

from dataclasses import dataclass

import cbor2

from protocol.cbor import encode_canonical
from protocol.overlay import Overlay
from protocol.state import (
    ASSET_PREFIX,
    CODE_PREFIX,
    CUSTODY_PREFIX,
    STORAGE_PREFIX,
    contract_key,
)

TOKEN_ID_LEN = 8
ASSET_ID_LEN = 12
NO_SUB = bytes(4)


def wide_asset(asset: bytes) -> bytes:
    """§14.2: the 12-byte form: a token id gets four zero bytes (sub 0)."""
    return asset if len(asset) == ASSET_ID_LEN else asset + NO_SUB


def narrow_asset(wide: bytes) -> bytes:
    """The inverse of wide_asset: sub 0 names the 8-byte token id."""
    return wide[:TOKEN_ID_LEN] if wide[TOKEN_ID_LEN:] == NO_SUB else wide


def code_key(code_hash: bytes) -> bytes:
    return CODE_PREFIX + code_hash


def storage_key(contract: bytes, key: bytes) -> bytes:
    return STORAGE_PREFIX + contract + key


def custody_key(contract: bytes, asset: bytes) -> bytes:
    return CUSTODY_PREFIX + contract + wide_asset(asset)


def asset_key(asset: bytes) -> bytes:
    return ASSET_PREFIX + asset


@dataclass(frozen=True)
class ContractRecord:
    """§14.3: ``0x04 || contract id`` -> ``{0: code hash, 1: creating txid, 2: op code}``."""

    code_hash: bytes
    txid: bytes
    opcode: int

    def encode(self) -> bytes:
        return encode_canonical({0: self.code_hash, 1: self.txid, 2: self.opcode})

    @classmethod
    def decode(cls, raw: bytes) -> ContractRecord:
        record = cbor2.loads(raw)
        return cls(bytes(record[0]), bytes(record[1]), int(record[2]))


@dataclass(frozen=True)
class AssetRecord:
    """§14.3: ``0x08 || asset id`` -> ``{0: minted, 1: burned}``; the issuer is the id's
    first 8 bytes."""

    minted: int
    burned: int

    def encode(self) -> bytes:
        return encode_canonical({0: self.minted, 1: self.burned})

    @classmethod
    def decode(cls, raw: bytes) -> AssetRecord:
        record = cbor2.loads(raw)
        return cls(int(record[0]), int(record[1]))


def load_contract(state: Overlay, contract: bytes) -> ContractRecord | None:
    raw = state.get(contract_key(contract))
    return None if raw is None else ContractRecord.decode(raw)


def load_asset(state: Overlay, asset: bytes) -> AssetRecord | None:
    raw = state.get(asset_key(asset))
    return None if raw is None else AssetRecord.decode(raw)


def custody(state: Overlay, contract: bytes, asset: bytes) -> int:
    raw = state.get(custody_key(contract, asset))
    return 0 if raw is None else int(cbor2.loads(raw))


def set_custody(state: Overlay, contract: bytes, asset: bytes, amount: int) -> None:
    """§14.3: a zero custody is no entry."""
    state.put(custody_key(contract, asset), encode_canonical(amount) if amount else None)
