"""Short constructors for the expected events of spec §10.2, one per event type."""

from __future__ import annotations

from tests.vectorgen.model import Event, Outpoint, Terms, Tok
from tests.vectorgen.txbuild import Tx


def debit(tx: Tx, spent: Outpoint, tok: Tok, amount: int) -> Event:
    return Event("debit", tx.txid, outpoint=spent, token=tok, amount=amount)


def credit(tx: Tx, vout: int, tok: Tok, amount: int) -> Event:
    return Event("credit", tx.txid, outpoint=tx.out(vout), token=tok, amount=amount)


def deploy(
    tx: Tx,
    tok: Tok,
    ticker: str,
    max_supply: int,
    *,
    decimals: int = 0,
    terms: Terms | None = None,
) -> Event:
    return Event(
        "deploy",
        tx.txid,
        token=tok,
        ticker=ticker,
        decimals=decimals,
        max_supply=max_supply,
        terms=terms,
    )


def mint(tx: Tx, vout: int, tok: Tok, amount: int) -> Event:
    return Event("mint", tx.txid, outpoint=tx.out(vout), token=tok, amount=amount)


def burn(tx: Tx, tok: Tok, amount: int, cause: int) -> Event:
    return Event("burn", tx.txid, token=tok, amount=amount, cause=cause)


def authority(tx: Tx, tok: Tok, vout: int | None) -> Event:
    """An authority bound or moved to ``vout`` of ``tx``, or destroyed when None."""
    return Event("authority", tx.txid, token=tok, outpoint=None if vout is None else tx.out(vout))


def rejected(tx: Tx, reason: str) -> Event:
    return Event("rejected", tx.txid, reason=reason)


# --- contracts (CONTRACTS.md §20) ----------------------------------------------------------


def rejected_detail(tx: Tx, reason: str, detail: int) -> Event:
    return Event("rejected", tx.txid, reason=reason, detail=detail)


def publish(tx: Tx, contract: Tok, code_hash: bytes) -> Event:
    return Event("publish", tx.txid, contract=contract, code_hash=code_hash)


def instantiate(tx: Tx, contract: Tok, code_hash: bytes) -> Event:
    return Event("instantiate", tx.txid, contract=contract, code_hash=code_hash)


def call(tx: Tx, contract: Tok, fuel: int, digest: bytes, caller: Tok | None = None) -> Event:
    return Event("call", tx.txid, contract=contract, fuel=fuel, digest=digest, from_contract=caller)


def deposit(tx: Tx, contract: Tok, asset: Tok, amount: int, caller: Tok | None = None) -> Event:
    return Event(
        "deposit", tx.txid, contract=contract, token=asset, amount=amount, from_contract=caller
    )


def send(tx: Tx, contract: Tok, asset: Tok, amount: int, vout: int) -> Event:
    return Event(
        "send", tx.txid, contract=contract, token=asset, amount=amount, outpoint=tx.out(vout)
    )


def issue(tx: Tx, contract: Tok, asset: Tok, amount: int) -> Event:
    return Event("issue", tx.txid, contract=contract, token=asset, amount=amount)


def log(tx: Tx, contract: Tok, data: bytes) -> Event:
    return Event("log", tx.txid, contract=contract, data=data)


def contract_burn(tx: Tx, contract: Tok, asset: Tok, amount: int) -> Event:
    return Event("burn", tx.txid, token=asset, amount=amount, cause=2, contract=contract)


def returned(tx: Tx, contract: Tok, asset: Tok, amount: int, caller: Tok) -> Event:
    """CONTRACTS.md §17.6: ``contract`` moved ``amount`` to its calling contract ``caller``."""
    return Event(
        "return", tx.txid, contract=contract, token=asset, amount=amount, from_contract=caller
    )
