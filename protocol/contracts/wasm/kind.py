"""The WebAssembly contract kind: publish, instantiate, call (spec/CONTRACTS.md §16).

Checks run in the order the spec lists them; the first that fails names the rejection.
The engine and the module preparer (validation and instrumentation, §15) are injected.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from types import MappingProxyType

from protocol.cbor import CborValue
from protocol.contracts.wasm import limits as lim
from protocol.contracts.wasm.prepare import Prepared, Preparer, prepare_module
from protocol.contracts.wasm.records import (
    ASSET_ID_LEN,
    AssetRecord,
    ContractRecord,
    asset_key,
    code_key,
    load_asset,
    load_contract,
)
from protocol.contracts.wasm.session import Session
from protocol.events import EventType, Field
from protocol.fields import (
    Fields,
    asset_ref,
    check_known_keys,
    encode_token_id,
    optional_uint,
    token_id,
    uint,
)
from protocol.machine import TxContext
from protocol.message import Operation
from protocol.overlay import Overlay
from protocol.params import U128_MAX
from protocol.reasons import Reason, Rejection
from protocol.state import contract_key, token_key
from protocol.wasm.engine import ContractEngine
from protocol.wasm.limits import MAX_MODULE_BYTES

OP_PUBLISH, OP_INSTANTIATE, OP_CALL = 5, 6, 7
K_CODE = K_CONTRACT = 1
K_INPUT, K_ASSETS, K_FUEL = 2, 3, 4

OPCODES: Mapping[int, str] = MappingProxyType(
    {OP_PUBLISH: "publish", OP_INSTANTIATE: "instantiate", OP_CALL: "call"}
)


#: How many prepared modules stay in memory; preparing is pure, so this is only speed.
PREPARED_CACHE = 256


def _bytes(fields: Fields, key: int, what: str) -> bytes:
    """§16: an optional byte-string field, at most MAX_INPUT bytes unless it is code."""
    value = fields.get(key, b"")
    if not isinstance(value, bytes):
        raise Rejection(Reason.INVALID_MESSAGE, f"{what} needs a byte string at key {key}")
    return value


def _fuel(fields: Fields, what: str) -> int:
    fuel = optional_uint(fields, K_FUEL, what, lim.MAX_CALL_FUEL)
    return lim.MAX_CALL_FUEL if fuel is None else fuel


class WasmContracts:
    """The contract kind; one instance serves every block (it keeps only a code cache)."""

    def __init__(self, engine: ContractEngine, prepare: Preparer | None = None) -> None:
        if prepare is None:
            prepare = prepare_module
        self._engine = engine
        self._prepare = prepare
        self._prepared: OrderedDict[bytes, Prepared] = OrderedDict()

    @property
    def opcodes(self) -> Mapping[int, str]:
        return OPCODES

    def apply(self, operation: Operation, ctx: TxContext) -> None:
        handler = {
            OP_PUBLISH: self._publish,
            OP_INSTANTIATE: self._instantiate,
            OP_CALL: self._call,
        }[operation.opcode]
        handler(operation.fields, ctx)

    def owns(self, state: Overlay, asset: bytes) -> bool:
        return len(asset) == ASSET_ID_LEN and load_asset(state, asset) is not None

    def record_burn(self, state: Overlay, asset: bytes, amount: int) -> None:
        record = load_asset(state, asset)
        if record is None:
            raise AssertionError(f"burn of unknown contract asset {asset.hex()}")
        state.put(asset_key(asset), AssetRecord(record.minted, record.burned + amount).encode())

    def record_authority(self, state: Overlay, asset: bytes, home: bytes | None) -> None:
        raise AssertionError("contract assets have no authority (CONTRACTS.md §18.3)")

    # -- operations -------------------------------------------------------------------------

    def _publish(self, fields: Fields, ctx: TxContext) -> None:
        """§16.1."""
        what = "publish"
        check_known_keys(fields, (0, K_CODE, K_INPUT, K_FUEL), what)
        if not isinstance(fields.get(K_CODE), bytes):
            raise Rejection(Reason.INVALID_MESSAGE, f"{what} needs the module bytes at key 1")
        code = _bytes(fields, K_CODE, what)
        data = self._input(fields, what)
        fuel = _fuel(fields, what)
        contract = self._new_id(ctx)
        session = Session(ctx, self._engine, self._loader(ctx))
        # §16.1 steps 3-5: the size check, then the fuel, then validation: a publish the
        # transaction cannot pay for is refused before any of its module is examined.
        cost = lim.PUBLISH_FUEL_PER_BYTE * len(code)
        if len(code) <= MAX_MODULE_BYTES and cost > session.fuel_left():
            raise Rejection(Reason.BLOCK_FUEL_EXHAUSTED, f"publishing needs {cost:,} fuel")
        prepared = self._prepare(code)
        code_hash = hashlib.sha256(code).digest()
        session.spend(cost)
        self._remember(code_hash, prepared)
        # Compile now, paid by the publish fuel above, not lazily at some later first call.
        self._engine.compile(code_hash, prepared.instrumented)
        ctx.state.put(code_key(code_hash), code)
        record = ContractRecord(code_hash, ctx.txid, OP_PUBLISH)
        self._create(ctx, session, contract, record, init=(data, fuel, prepared.has_init))

    def _instantiate(self, fields: Fields, ctx: TxContext) -> None:
        """§16.2."""
        what = "instantiate"
        check_known_keys(fields, (0, K_CONTRACT, K_INPUT, K_FUEL), what)
        template = token_id(fields, K_CONTRACT, what)
        data = self._input(fields, what)
        fuel = _fuel(fields, what)
        record = load_contract(ctx.state, template)
        if record is None:
            raise Rejection(Reason.UNKNOWN_CONTRACT, "the template is no contract")
        contract = self._new_id(ctx)
        session = Session(ctx, self._engine, self._loader(ctx))
        prepared = self._module(ctx.state, record.code_hash)
        created = ContractRecord(record.code_hash, ctx.txid, OP_INSTANTIATE)
        self._create(ctx, session, contract, created, init=(data, fuel, prepared.has_init))

    def _call(self, fields: Fields, ctx: TxContext) -> None:
        """§16.3."""
        what = "call"
        check_known_keys(fields, (0, K_CONTRACT, K_INPUT, K_ASSETS, K_FUEL), what)
        contract = token_id(fields, K_CONTRACT, what)
        data = self._input(fields, what)
        sent = self._sent(fields, what)
        fuel = _fuel(fields, what)
        if load_contract(ctx.state, contract) is None:
            raise Rejection(Reason.UNKNOWN_CONTRACT)
        for asset, _ in sent:
            if ctx.owner(ctx.state, asset) is None:
                raise Rejection(Reason.UNKNOWN_TOKEN, "an asset sent into the call")
        session = Session(ctx, self._engine, self._loader(ctx))
        session.run_top(contract, "call", data, sent, fuel)

    # -- helpers ----------------------------------------------------------------------------

    def _input(self, fields: Fields, what: str) -> bytes:
        data = _bytes(fields, K_INPUT, what)
        if len(data) > lim.MAX_INPUT:
            raise Rejection(Reason.INVALID_MESSAGE, f"{what} input over {lim.MAX_INPUT:,} bytes")
        return data

    def _sent(self, fields: Fields, what: str) -> list[tuple[bytes, int]]:
        """§16.3 key 3: ``[[asset ref, amount], ...]``, each asset once, amounts >= 1."""
        raw: CborValue = fields.get(K_ASSETS, [])
        if not isinstance(raw, list) or len(raw) > lim.MAX_SENT_ASSETS:
            raise Rejection(Reason.INVALID_MESSAGE, f"{what} assets: at most 64 [asset, amount]")
        sent: list[tuple[bytes, int]] = []
        for entry in raw:
            if not isinstance(entry, list) or len(entry) != 2:
                raise Rejection(Reason.INVALID_MESSAGE, f"{what} asset entry is not a pair")
            pair: Fields = {0: entry[0], 1: entry[1]}
            asset = asset_ref(pair, 0, what)
            amount = uint(pair, 1, what, U128_MAX)
            if amount == 0:
                raise Rejection(Reason.INVALID_AMOUNT, f"{what} sends zero")
            if any(asset == seen for seen, _ in sent):
                raise Rejection(Reason.INVALID_MESSAGE, f"{what} names an asset twice")
            sent.append((asset, amount))
        return sent

    def _new_id(self, ctx: TxContext) -> bytes:
        """§14.1: the id is this transaction's HEIGHT:INDEX, once per message."""
        contract = encode_token_id(ctx.height, ctx.tx_index)
        if ctx.state.get(contract_key(contract)) is not None:
            raise Rejection(Reason.ID_TAKEN, "one contract per message")
        if ctx.state.get(token_key(contract)) is not None:
            raise Rejection(Reason.ID_TAKEN, "the message deployed a token with this id")
        return contract

    def _create(
        self,
        ctx: TxContext,
        session: Session,
        contract: bytes,
        record: ContractRecord,
        *,
        init: tuple[bytes, int, bool],
    ) -> None:
        """§16.1 steps 5-6, §16.2: the record, the event, then init if the module has one."""
        ctx.state.put(contract_key(contract), record.encode())
        kind = EventType.PUBLISH if record.opcode == OP_PUBLISH else EventType.INSTANTIATE
        ctx.emit(
            {
                Field.TYPE: kind,
                Field.TXID: ctx.txid,
                Field.CONTRACT: contract,
                Field.CODE_HASH: record.code_hash,
            }
        )
        data, fuel, has_init = init
        if has_init:
            session.run_top(contract, "init", data, [], fuel)

    def _remember(self, code_hash: bytes, prepared: Prepared) -> None:
        self._prepared[code_hash] = prepared
        self._prepared.move_to_end(code_hash)
        while len(self._prepared) > PREPARED_CACHE:
            self._prepared.popitem(last=False)

    def _module(self, state: Overlay, code_hash: bytes) -> Prepared:
        cached = self._prepared.get(code_hash)
        if cached is not None:
            self._prepared.move_to_end(code_hash)
            return cached
        code = state.get(code_key(code_hash))
        if code is None:
            raise AssertionError(f"contract code {code_hash.hex()} is missing from the state")
        prepared = self._prepare(code)  # stored code passed these checks when published
        self._remember(code_hash, prepared)
        return prepared

    def _loader(self, ctx: TxContext) -> Callable[[bytes], tuple[bytes, bytes, int]]:
        def load(contract: bytes) -> tuple[bytes, bytes, int]:
            record = load_contract(ctx.state, contract)
            if record is None:
                raise AssertionError(f"contract {contract.hex()} vanished during a call")
            prepared = self._module(ctx.state, record.code_hash)
            return record.code_hash, prepared.instrumented, prepared.size

        return load
