"""Inputs of the example contracts (contracts/examples), from the tables of contracts/README.md.

Written out by hand, independently of the contracts' AssemblyScript and of the protocol
package: every integer is little-endian at fixed width, amounts are u128, an asset is its
12-byte id (8-byte token or contract id, then the sub id u32 big-endian, 0 for a token) and
a script is a u16 length then its bytes. An entry point's input is one fixed sequence of
fields, so each request has exactly one encoding.
"""

from __future__ import annotations

from pathlib import Path

from regtest.payloads import AssetRef, asset_id

#: The committed build outputs of contracts/build.sh.
WASM_DIR = Path(__file__).resolve().parents[1] / "contracts" / "wasm"
EXAMPLES = ("amm", "otc", "vesting")

AMM_ADD, AMM_SWAP, AMM_REMOVE, AMM_RESERVES = 1, 2, 3, 4
OTC_OFFER, OTC_TAKE, OTC_RECLAIM, OTC_VIEW = 1, 2, 3, 4
VESTING_FUND, VESTING_RELEASE, VESTING_VIEW = 1, 2, 3
#: The AMM's LP shares are its own asset with this sub id.
LP_SUB = 1


def example_module(name: str) -> bytes:
    """The committed module of an example contract (``amm``, ``otc``, ``vesting``)."""
    if name not in EXAMPLES:
        raise ValueError(f"no example contract {name!r}; the examples are {', '.join(EXAMPLES)}")
    return (WASM_DIR / f"{name}.wasm").read_bytes()


def u16(value: int) -> bytes:
    return value.to_bytes(2, "little")


def u32(value: int) -> bytes:
    return value.to_bytes(4, "little")


def u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def u128(value: int) -> bytes:
    return value.to_bytes(16, "little")


def asset12(ref: AssetRef) -> bytes:
    """An asset id as contract memory holds it: always 12 bytes (a token's sub is 0)."""
    return asset_id(ref).ljust(12, b"\x00")


def script_field(script: bytes) -> bytes:
    return u16(len(script)) + script


def amm_init(asset_a: AssetRef, asset_b: AssetRef, fee_bps: int) -> bytes:
    return asset12(asset_a) + asset12(asset_b) + u16(fee_bps)


def amm_add(min_lp: int, vout: int) -> bytes:
    """Sent in: both assets. Mints shares to ``vout`` and refunds the excess there."""
    return bytes([AMM_ADD]) + u128(min_lp) + u32(vout)


def amm_swap(min_out: int, vout: int) -> bytes:
    """Sent in: one of the two assets. Sends the other to ``vout``."""
    return bytes([AMM_SWAP]) + u128(min_out) + u32(vout)


def amm_remove(min_a: int, min_b: int, vout: int) -> bytes:
    """Sent in: LP shares. Burns them and sends both assets to ``vout``."""
    return bytes([AMM_REMOVE]) + u128(min_a) + u128(min_b) + u32(vout)


def amm_reserves() -> bytes:
    return bytes([AMM_RESERVES])


def otc_offer(price_sats: int, expiry_height: int, seller_script: bytes) -> bytes:
    """Sent in: the one asset offered."""
    return bytes([OTC_OFFER]) + u64(price_sats) + u64(expiry_height) + script_field(seller_script)


def otc_take(offer_id: int, vout: int) -> bytes:
    """Another output of the same transaction pays the price to the seller's script."""
    return bytes([OTC_TAKE]) + u32(offer_id) + u32(vout)


def otc_reclaim(offer_id: int, vout: int) -> bytes:
    return bytes([OTC_RECLAIM]) + u32(offer_id) + u32(vout)


def otc_view(offer_id: int) -> bytes:
    return bytes([OTC_VIEW]) + u32(offer_id)


def vesting_init(asset: AssetRef, start: int, cliff: int, end: int, beneficiary: bytes) -> bytes:
    return asset12(asset) + u64(start) + u64(cliff) + u64(end) + script_field(beneficiary)


def vesting_fund() -> bytes:
    """Sent in: the schedule's asset."""
    return bytes([VESTING_FUND])


def vesting_release(vout: int) -> bytes:
    """``vout`` must pay the beneficiary's script."""
    return bytes([VESTING_RELEASE]) + u32(vout)


def vesting_view() -> bytes:
    return bytes([VESTING_VIEW])
