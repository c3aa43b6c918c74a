"""Canonical bytes of the hand-written expectations (spec §9, §10, §11), on cbor2 + hashlib."""

from __future__ import annotations

import hashlib

import cbor2

from tests.vectorgen.model import EVENT_TYPES, REASONS, Event, Holding, Ledger, Terms, TokenState

GENESIS_STATE_HASH = b"\x00" * 32


def canonical(value: object) -> bytes:
    encoded: bytes = cbor2.dumps(value, canonical=True)
    return encoded


def terms_map(terms: Terms) -> dict[int, int]:
    out = {0: terms.amount, 1: terms.cap}
    if terms.start is not None:
        out[2] = terms.start
    if terms.end is not None:
        out[3] = terms.end
    return out


def event_bytes(event: Event) -> bytes:
    """spec §10: the keys an event type has, canonical CBOR."""
    fields: dict[int, object] = {0: EVENT_TYPES[event.kind], 1: event.txid}
    if event.outpoint is not None:
        fields[2] = event.outpoint.raw()
    if event.token is not None:
        fields[3] = event.token.raw()
    optional = {
        4: event.amount,
        5: event.ticker,
        6: event.decimals,
        7: event.max_supply,
        10: event.cause,
    }
    fields.update({key: value for key, value in optional.items() if value is not None})
    if event.terms is not None:
        fields[8] = terms_map(event.terms)
    if event.reason is not None:
        fields[11] = REASONS[event.reason]
    contract_fields = {
        9: event.detail,
        12: None if event.contract is None else event.contract.raw(),
        13: event.code_hash,
        14: event.fuel,
        15: event.digest,
        16: None if event.from_contract is None else event.from_contract.raw(),
        17: event.data,
    }
    fields.update({key: value for key, value in contract_fields.items() if value is not None})
    return canonical(fields)


def array_head(count: int) -> bytes:
    """A definite-length CBOR array head (major type 4) with the shortest argument."""
    if count < 24:
        return bytes([0x80 | count])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if count < 1 << (8 * width):
            return bytes([0x80 | info]) + count.to_bytes(width, "big")
    raise ValueError("array too long")


def events_hash(encoded: list[bytes]) -> bytes:
    """spec §11.1."""
    return hashlib.sha256(array_head(len(encoded)) + b"".join(encoded)).digest()


def state_hash(
    previous: bytes, block_hash: bytes, block_events_hash: bytes, state_root: bytes
) -> bytes:
    """spec §11.2; ``block_hash`` in internal byte order, ``state_root`` as spec §23."""
    return hashlib.sha256(previous + block_hash + block_events_hash + state_root).digest()


def utxo_record(holding: Holding) -> bytes:
    record: dict[int, object] = {}
    balances = [[tok.raw(), amount] for tok, amount in sorted(holding.balances.items()) if amount]
    if balances:
        record[0] = balances
    if holding.authorities:
        record[1] = [tok.raw() for tok in sorted(holding.authorities)]
    return canonical(record)


def token_record(token: TokenState) -> bytes:
    record: dict[int, object] = {
        0: token.ticker,
        1: token.decimals,
        2: token.max_supply,
        3: token.minted,
        4: token.burned,
        5: token.mints,
        8: token.deploy_txid,
    }
    if token.terms is not None:
        record[6] = terms_map(token.terms)
    if token.authority is not None:
        record[7] = token.authority.raw()
    return canonical(record)


def state_map(ledger: Ledger) -> dict[bytes, bytes]:
    """spec §9.2: the full key/value state."""
    state: dict[bytes, bytes] = {}
    for point, holding in ledger.utxos.items():
        state[b"\x01" + point.raw()] = utxo_record(holding)
    for tok, token in ledger.tokens.items():
        state[b"\x02" + tok.raw()] = token_record(token)
        state[b"\x03" + token.ticker.encode("ascii").ljust(12, b"\x00")] = tok.raw()
    state.update(contract_state(ledger))
    return dict(sorted(state.items()))


def contract_state(ledger: Ledger) -> dict[bytes, bytes]:
    """CONTRACTS.md §14.3: prefixes 04 to 08."""
    state: dict[bytes, bytes] = {}
    for cid, contract in ledger.contracts.items():
        record = {0: contract.code_hash, 1: contract.txid, 2: contract.opcode}
        state[b"\x04" + cid.raw()] = canonical(record)
        for key, value in contract.storage.items():
            state[b"\x06" + cid.raw() + key] = value
        for asset, amount in contract.custody.items():
            if amount:
                state[b"\x07" + cid.raw() + asset.wide()] = canonical(amount)
    for code_hash, code in ledger.code.items():
        state[b"\x05" + code_hash] = code
    for asset, (minted, burned) in ledger.assets.items():
        state[b"\x08" + asset.raw()] = canonical({0: minted, 1: burned})
    return state
