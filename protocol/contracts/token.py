"""The fungible token contract: deploy, mint, transfer, burn (spec §6).

Checks run in the order the spec lists them; the first that fails names the rejection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import cbor2

from protocol.cbor import CborValue, encode_canonical
from protocol.events import Event, EventType, Field
from protocol.fields import (
    Fields,
    as_map,
    asset_ref,
    check_known_keys,
    encode_token_id,
    optional_uint,
    text,
    token_id,
    uint,
)
from protocol.machine import TxContext, outpoint
from protocol.message import Operation
from protocol.overlay import Overlay
from protocol.params import MAX_DECIMALS, U32_MAX, U64_MAX, U128_MAX
from protocol.reasons import Reason, Rejection
from protocol.state import contract_key, ticker_key, token_key

OP_DEPLOY, OP_MINT, OP_TRANSFER, OP_BURN = 1, 2, 3, 4
TICKER_RULE = re.compile(r"[A-Z][A-Z0-9]{2,11}")

# spec §6.2-§6.5: operation field keys.
K_TOKEN, K_AMOUNT, K_OUTPUT = 1, 2, 3
K_TICKER, K_DECIMALS, K_MAX, K_TERMS, K_AUTH_OUT, K_PREMINE, K_PREMINE_OUT = 1, 2, 3, 4, 5, 6, 7
T_AMOUNT, T_CAP, T_START, T_END = 0, 1, 2, 3


@dataclass(frozen=True)
class MintTerms:
    amount: int
    cap: int
    start: int | None
    end: int | None

    def encode(self) -> dict[int, CborValue]:
        terms: dict[int, CborValue] = {T_AMOUNT: self.amount, T_CAP: self.cap}
        if self.start is not None:
            terms[T_START] = self.start
        if self.end is not None:
            terms[T_END] = self.end
        return terms

    @classmethod
    def decode(cls, raw: dict[int, int]) -> MintTerms:
        return cls(raw[T_AMOUNT], raw[T_CAP], raw.get(T_START), raw.get(T_END))


@dataclass(frozen=True)
class TokenRecord:
    """spec §9.4: the token record, ``0x02 || token id`` -> canonical CBOR."""

    ticker: str
    decimals: int
    max_supply: int
    minted: int
    burned: int
    mints: int
    terms: MintTerms | None
    authority: bytes | None
    deploy_txid: bytes

    def encode(self) -> bytes:
        record: dict[int, object] = {
            0: self.ticker,
            1: self.decimals,
            2: self.max_supply,
            3: self.minted,
            4: self.burned,
            5: self.mints,
            8: self.deploy_txid,
        }
        if self.terms is not None:
            record[6] = self.terms.encode()
        if self.authority is not None:
            record[7] = self.authority
        return encode_canonical(record)

    @classmethod
    def decode(cls, raw: bytes) -> TokenRecord:
        r = cbor2.loads(raw)
        terms = MintTerms.decode(r[6]) if 6 in r else None
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], terms, r.get(7), r[8])


def load_token(state: Overlay, token: bytes) -> TokenRecord:
    raw = state.get(token_key(token))
    if raw is None:
        raise Rejection(Reason.UNKNOWN_TOKEN)
    return TokenRecord.decode(raw)


def _amount(fields: Fields, key: int, what: str) -> int:
    """spec §6.1: amounts are 1 to 2**128 - 1; zero is invalid_amount."""
    amount = uint(fields, key, what, U128_MAX)
    if amount == 0:
        raise Rejection(Reason.INVALID_AMOUNT, f"{what} amount is zero")
    return amount


OPCODES: Mapping[int, str] = MappingProxyType(
    {OP_DEPLOY: "deploy", OP_MINT: "mint", OP_TRANSFER: "transfer", OP_BURN: "burn"}
)


class TokenContract:
    @property
    def opcodes(self) -> Mapping[int, str]:
        return OPCODES

    def apply(self, operation: Operation, ctx: TxContext) -> None:
        handler = {
            OP_DEPLOY: self._deploy,
            OP_MINT: self._mint,
            OP_TRANSFER: self._transfer,
            OP_BURN: self._burn,
        }[operation.opcode]
        handler(operation.fields, ctx)

    def owns(self, state: Overlay, asset: bytes) -> bool:
        return state.get(token_key(asset)) is not None

    def record_burn(self, state: Overlay, asset: bytes, amount: int) -> None:
        record = load_token(state, asset)
        state.put(token_key(asset), replace(record, burned=record.burned + amount).encode())

    def record_authority(self, state: Overlay, asset: bytes, home: bytes | None) -> None:
        record = load_token(state, asset)
        state.put(token_key(asset), replace(record, authority=home).encode())

    def _deploy(self, fields: Fields, ctx: TxContext) -> None:
        """spec §6.2."""
        what = "deploy"
        check_known_keys(fields, (0, 1, 2, 3, 4, 5, 6, 7), what)
        ticker = text(fields, K_TICKER, what)
        decimals = optional_uint(fields, K_DECIMALS, what, U64_MAX)
        max_supply = uint(fields, K_MAX, what, U128_MAX)
        # spec §6.2.1: key 4 runs all of §6.2.2, its own checks included, before rule 1.
        terms = self._terms(fields) if K_TERMS in fields else None
        auth_out = optional_uint(fields, K_AUTH_OUT, what, U32_MAX)
        premine = optional_uint(fields, K_PREMINE, what, U128_MAX)
        premine_out = optional_uint(fields, K_PREMINE_OUT, what, U32_MAX)
        if TICKER_RULE.fullmatch(ticker) is None:
            raise Rejection(Reason.INVALID_TICKER, repr(ticker))
        if decimals is not None and decimals > MAX_DECIMALS:
            raise Rejection(Reason.INVALID_DEPLOY, f"decimals above {MAX_DECIMALS}")
        if max_supply == 0:
            raise Rejection(Reason.INVALID_DEPLOY, "max supply is zero")
        if (terms is None) == (auth_out is None):
            raise Rejection(Reason.INVALID_DEPLOY, "needs exactly one of mint terms or authority")
        if terms is not None and terms.amount > max_supply:
            raise Rejection(Reason.INVALID_DEPLOY, "amount per mint above max supply")
        if premine == 0:
            raise Rejection(Reason.INVALID_AMOUNT, "premine is zero")
        if premine is None and premine_out is not None:
            raise Rejection(Reason.INVALID_DEPLOY, "premine output without premine")
        if premine is not None and premine > max_supply:
            raise Rejection(Reason.SUPPLY_EXCEEDED, "premine above max supply")
        auth_vout = ctx.output(auth_out) if auth_out is not None else None
        premine_vout = ctx.output(premine_out) if premine is not None else None
        token = encode_token_id(ctx.height, ctx.tx_index)
        if ctx.state.get(token_key(token)) is not None:
            raise Rejection(Reason.INVALID_DEPLOY, "one deploy per message")
        if ctx.state.get(contract_key(token)) is not None:
            raise Rejection(Reason.ID_TAKEN, "the message created a contract with this id")
        if ctx.state.get(ticker_key(ticker)) is not None:
            raise Rejection(Reason.TICKER_TAKEN, ticker)
        record = TokenRecord(
            ticker=ticker,
            decimals=decimals or 0,
            max_supply=max_supply,
            minted=premine or 0,
            burned=0,
            mints=0,
            terms=terms,
            authority=None if auth_vout is None else outpoint(ctx.txid, auth_vout),
            deploy_txid=ctx.txid,
        )
        ctx.state.put(token_key(token), record.encode())
        ctx.state.put(ticker_key(ticker), token)
        deploy: Event = {
            Field.TYPE: EventType.DEPLOY,
            Field.TXID: ctx.txid,
            Field.TOKEN: token,
            Field.TICKER: ticker,
            Field.DECIMALS: record.decimals,
            Field.MAX_SUPPLY: max_supply,
        }
        if terms is not None:
            deploy[Field.TERMS] = terms.encode()
        ctx.emit(deploy)
        if auth_vout is not None:
            # spec §7.7: the one event of a deploy-bound authority; settlement binds it to
            # its own output (never the target) without another event.
            ctx.bind_authority(auth_vout, token)
            ctx.emit(
                {
                    Field.TYPE: EventType.AUTHORITY,
                    Field.TXID: ctx.txid,
                    Field.TOKEN: token,
                    Field.OUTPOINT: outpoint(ctx.txid, auth_vout),
                }
            )
        if premine is not None and premine_vout is not None:
            self._issue(ctx, token, premine, premine_vout)

    def _terms(self, fields: Fields) -> MintTerms:
        """spec §6.2.2: open-mint terms."""
        raw = as_map(fields[K_TERMS], "mint terms")
        check_known_keys(raw, (T_AMOUNT, T_CAP, T_START, T_END), "mint terms")
        amount = _amount(raw, T_AMOUNT, "mint terms")
        cap = uint(raw, T_CAP, "mint terms", U64_MAX)
        start = optional_uint(raw, T_START, "mint terms", U32_MAX)
        end = optional_uint(raw, T_END, "mint terms", U32_MAX)
        if cap == 0:
            raise Rejection(Reason.INVALID_DEPLOY, "mint cap is zero")
        if start is not None and end is not None and start >= end:
            raise Rejection(Reason.INVALID_DEPLOY, "mint window is empty")
        return MintTerms(amount, cap, start, end)

    def _issue(self, ctx: TxContext, token: bytes, amount: int, vout: int) -> None:
        ctx.allocate(vout, token, amount)
        ctx.emit(
            {
                Field.TYPE: EventType.MINT,
                Field.TXID: ctx.txid,
                Field.TOKEN: token,
                Field.AMOUNT: amount,
                Field.OUTPOINT: outpoint(ctx.txid, vout),
            }
        )

    def _mint(self, fields: Fields, ctx: TxContext) -> None:
        """spec §6.3."""
        what = "mint"
        check_known_keys(fields, (0, K_TOKEN, K_AMOUNT, K_OUTPUT), what)
        token = token_id(fields, K_TOKEN, what)
        amount = _amount(fields, K_AMOUNT, what) if K_AMOUNT in fields else None
        out = optional_uint(fields, K_OUTPUT, what, U32_MAX)
        record = load_token(ctx.state, token)
        vout = ctx.output(out)
        if record.terms is not None:
            terms = record.terms
            if amount is not None and amount != terms.amount:
                raise Rejection(Reason.INVALID_AMOUNT, "open mints take the terms' amount")
            amount = terms.amount
            if (terms.start is not None and ctx.height < terms.start) or (
                terms.end is not None and ctx.height >= terms.end
            ):
                raise Rejection(Reason.MINT_CLOSED, f"height {ctx.height:,}")
            if record.mints >= terms.cap:
                raise Rejection(Reason.MINT_CAP_REACHED)
        else:
            if amount is None:
                raise Rejection(Reason.INVALID_MESSAGE, "authority mints need an amount")
            if token not in ctx.spent_authorities:
                raise Rejection(Reason.UNAUTHORIZED, "the authority outpoint is not spent")
        if record.minted + amount > record.max_supply:
            raise Rejection(Reason.SUPPLY_EXCEEDED)
        updated = replace(record, minted=record.minted + amount, mints=record.mints + 1)
        ctx.state.put(token_key(token), updated.encode())
        self._issue(ctx, token, amount, vout)

    def _transfer(self, fields: Fields, ctx: TxContext) -> None:
        """spec §6.4; the asset may be a token or a contract asset (CONTRACTS.md §14.2)."""
        what = "transfer"
        check_known_keys(fields, (0, K_TOKEN, K_AMOUNT, K_OUTPUT), what)
        token = asset_ref(fields, K_TOKEN, what)
        amount = _amount(fields, K_AMOUNT, what)
        out = uint(fields, K_OUTPUT, what, U32_MAX)
        if ctx.owner(ctx.state, token) is None:
            raise Rejection(Reason.UNKNOWN_TOKEN)
        vout = ctx.output(out)
        ctx.take(token, amount)
        ctx.allocate(vout, token, amount)

    def _burn(self, fields: Fields, ctx: TxContext) -> None:
        """spec §6.5; the asset may be a token or a contract asset (CONTRACTS.md §14.2)."""
        what = "burn"
        check_known_keys(fields, (0, K_TOKEN, K_AMOUNT), what)
        token = asset_ref(fields, K_TOKEN, what)
        amount = _amount(fields, K_AMOUNT, what)
        owner = ctx.owner(ctx.state, token)
        if owner is None:
            raise Rejection(Reason.UNKNOWN_TOKEN)
        ctx.take(token, amount)
        owner.record_burn(ctx.state, token, amount)
        ctx.emit(
            {
                Field.TYPE: EventType.BURN,
                Field.TXID: ctx.txid,
                Field.TOKEN: token,
                Field.AMOUNT: amount,
                Field.CAUSE: 0,
            }
        )
