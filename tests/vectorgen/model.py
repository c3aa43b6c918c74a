"""The hand-written expectations: token ids, outpoints, token states, holdings, events."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: spec §8: rejection reason names in code order, from 1.
REASON_NAMES = (
    "malformed_carrier",
    "malformed_envelope",
    "multiple_carriers",
    "invalid_cbor",
    "non_canonical_cbor",
    "forbidden_cbor_item",
    "invalid_message",
    "unsupported_version",
    "unknown_operation",
    "integer_out_of_range",
    "invalid_ticker",
    "ticker_taken",
    "invalid_deploy",
    "unknown_token",
    "invalid_amount",
    "invalid_output",
    "insufficient_balance",
    "mint_closed",
    "mint_cap_reached",
    "supply_exceeded",
    "unauthorized",
    # v2 contracts, spec/CONTRACTS.md §19.3
    "invalid_module",
    "unknown_contract",
    "id_taken",
    "block_fuel_exhausted",
    "out_of_fuel",
    "stack_exhausted",
    "call_depth_exceeded",
    "reentrant_call",
    "unreachable",
    "memory_out_of_bounds",
    "integer_divide_by_zero",
    "integer_overflow",
    "indirect_call_type",
    "table_out_of_bounds",
    "uninitialized_element",
    "invalid_host_argument",
    "storage_limit",
    "custody_insufficient",
    "contract_abort",
    # spec/CONTRACTS.md §19.3, host additions (§17.5, §17.6)
    "no_calling_contract",
    "read_only_call",
)
REASONS: dict[str, int] = {name: code for code, name in enumerate(REASON_NAMES, start=1)}
EVENT_TYPES: dict[str, int] = {
    "debit": 1,
    "credit": 2,
    "deploy": 3,
    "mint": 4,
    "burn": 5,
    "authority": 6,
    "rejected": 7,
    "publish": 8,
    "instantiate": 9,
    "call": 10,
    "deposit": 11,
    "send": 12,
    "issue": 13,
    "log": 14,
    "return": 15,
}


@dataclass(frozen=True, order=True)
class Tok:
    """A token id (deploy height, deploy tx index), spec §2.4; with ``sub`` >= 1 a contract
    asset id (CONTRACTS.md §14.2). A contract id is a Tok with sub 0. Field order makes the
    dataclass order the bytewise order of ``raw()``."""

    height: int
    index: int
    sub: int = 0

    def raw(self) -> bytes:
        head = self.height.to_bytes(4, "big") + self.index.to_bytes(4, "big")
        return head + self.sub.to_bytes(4, "big") if self.sub else head

    def wide(self) -> bytes:
        """The 12-byte form used in contract memory and custody keys."""
        return self.raw() if self.sub else self.raw() + bytes(4)

    def text(self) -> str:
        return f"{self.height}:{self.index}" + (f":{self.sub}" if self.sub else "")

    def ref(self) -> list[int]:
        """The asset reference as written in operations (spec §6.1, CONTRACTS.md §14.2)."""
        return [self.height, self.index, self.sub] if self.sub else [self.height, self.index]

    def asset(self, sub: int) -> Tok:
        """Contract asset ``sub`` of this contract."""
        return Tok(self.height, self.index, sub)


@dataclass(frozen=True, order=True)
class Outpoint:
    txid: bytes  # internal byte order
    vout: int

    def raw(self) -> bytes:
        return self.txid + self.vout.to_bytes(4, "big")

    def text(self) -> str:
        return f"{self.txid[::-1].hex()}:{self.vout}"


@dataclass(frozen=True)
class Terms:
    amount: int
    cap: int
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class TokenState:
    ticker: str
    max_supply: int
    deploy_txid: bytes
    decimals: int = 0
    minted: int = 0
    burned: int = 0
    mints: int = 0
    terms: Terms | None = None
    authority: Outpoint | None = None


@dataclass(frozen=True)
class Holding:
    """What one outpoint holds: balances and authorities (spec §9.3)."""

    balances: dict[Tok, int] = field(default_factory=dict)
    authorities: frozenset[Tok] = frozenset()


@dataclass(frozen=True)
class Event:
    """One expected event; only the fields its type has are set (spec §10.2)."""

    kind: str
    txid: bytes
    outpoint: Outpoint | None = None
    token: Tok | None = None
    amount: int | None = None
    ticker: str | None = None
    decimals: int | None = None
    max_supply: int | None = None
    terms: Terms | None = None
    cause: int | None = None
    reason: str | None = None
    detail: int | None = None
    contract: Tok | None = None
    code_hash: bytes | None = None
    fuel: int | None = None
    digest: bytes | None = None
    from_contract: Tok | None = None
    data: bytes | None = None


@dataclass
class ContractState:
    """CONTRACTS.md §14.3: the record, plus the contract's storage and custody."""

    code_hash: bytes
    txid: bytes
    opcode: int
    storage: dict[bytes, bytes] = field(default_factory=dict)
    custody: dict[Tok, int] = field(default_factory=dict)


@dataclass
class Ledger:
    """The expected state, changed by hand in each scenario after each block's transactions."""

    utxos: dict[Outpoint, Holding] = field(default_factory=dict)
    tokens: dict[Tok, TokenState] = field(default_factory=dict)
    contracts: dict[Tok, ContractState] = field(default_factory=dict)
    code: dict[bytes, bytes] = field(default_factory=dict)
    assets: dict[Tok, tuple[int, int]] = field(default_factory=dict)  # minted, burned

    def hold(
        self, point: Outpoint, balances: dict[Tok, int] | None = None, auth: tuple[Tok, ...] = ()
    ) -> None:
        self.utxos[point] = Holding(dict(balances or {}), frozenset(auth))

    def spend(self, *points: Outpoint) -> None:
        for point in points:
            del self.utxos[point]  # a KeyError here is a mistake in the scenario itself

    def token(self, tok: Tok, state: TokenState) -> None:
        self.tokens[tok] = state

    def update(self, tok: Tok, **changes: object) -> None:
        self.tokens[tok] = replace(self.tokens[tok], **changes)  # type: ignore[arg-type]
