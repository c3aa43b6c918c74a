"""The human-readable JSON forms of events, holdings and token states in the vectors."""

from __future__ import annotations

from typing import Any

from tests.vectorgen.model import REASONS, Event, Holding, Ledger, Terms, TokenState


def terms_json(terms: Terms | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    return {
        "amount": str(terms.amount),
        "cap": str(terms.cap),
        "start": terms.start,
        "end": terms.end,
    }


def event_json(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"type": event.kind, "txid": event.txid[::-1].hex()}
    if event.kind in ("debit", "credit", "mint", "authority"):
        out["outpoint"] = None if event.outpoint is None else event.outpoint.text()
    if event.token is not None:
        out["token"] = event.token.text()
    if event.amount is not None:
        out["amount"] = str(event.amount)
    if event.kind == "deploy":
        out["ticker"] = event.ticker
        out["decimals"] = event.decimals
        out["max_supply"] = str(event.max_supply)
        out["terms"] = terms_json(event.terms)
    if event.cause is not None:
        out["cause"] = event.cause
    if event.reason is not None:
        out["reason"] = event.reason
        out["code"] = REASONS[event.reason]
    return out


def holding_json(holding: Holding) -> dict[str, Any]:
    return {
        "balances": {t.text(): str(a) for t, a in sorted(holding.balances.items()) if a},
        "authorities": [t.text() for t in sorted(holding.authorities)],
    }


def token_json(token: TokenState) -> dict[str, Any]:
    return {
        "ticker": token.ticker,
        "decimals": token.decimals,
        "max_supply": str(token.max_supply),
        "minted": str(token.minted),
        "burned": str(token.burned),
        "mints": str(token.mints),
        "terms": terms_json(token.terms),
        "authority": None if token.authority is None else token.authority.text(),
        "deploy_txid": token.deploy_txid[::-1].hex(),
    }


def ledger_json(ledger: Ledger) -> tuple[dict[str, Any], dict[str, Any]]:
    utxos = {p.text(): holding_json(h) for p, h in sorted(ledger.utxos.items())}
    tokens = {t.text(): token_json(s) for t, s in sorted(ledger.tokens.items())}
    return utxos, tokens
