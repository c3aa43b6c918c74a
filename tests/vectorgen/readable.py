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
    if event.kind in ("debit", "credit", "mint", "authority", "send"):
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
    contract_fields = {
        "detail": event.detail,
        "contract": None if event.contract is None else event.contract.text(),
        "code_hash": None if event.code_hash is None else event.code_hash.hex(),
        "fuel": None if event.fuel is None else str(event.fuel),
        "storage_digest": None if event.digest is None else event.digest.hex(),
        "from": None if event.from_contract is None else event.from_contract.text(),
        "data": None if event.data is None else event.data.hex(),
    }
    out.update({key: value for key, value in contract_fields.items() if value is not None})
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


def contracts_json(ledger: Ledger) -> tuple[dict[str, Any], dict[str, Any]]:
    """Readable contracts (record, storage, custody) and contract assets (§14.3)."""
    contracts = {
        cid.text(): {
            "code_hash": c.code_hash.hex(),
            "txid": c.txid[::-1].hex(),
            "op": c.opcode,
            "storage": {k.hex(): v.hex() for k, v in sorted(c.storage.items())},
            "custody": {a.text(): str(n) for a, n in sorted(c.custody.items()) if n},
        }
        for cid, c in sorted(ledger.contracts.items())
    }
    assets = {
        a.text(): {"minted": str(minted), "burned": str(burned)}
        for a, (minted, burned) in sorted(ledger.assets.items())
    }
    return contracts, assets


def ledger_json(ledger: Ledger) -> tuple[dict[str, Any], dict[str, Any]]:
    utxos = {p.text(): holding_json(h) for p, h in sorted(ledger.utxos.items())}
    tokens = {t.text(): token_json(s) for t, s in sorted(ledger.tokens.items())}
    return utxos, tokens
