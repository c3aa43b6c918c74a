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
