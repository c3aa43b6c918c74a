"""A local in-memory chain for ``rootstate contract test`` and ``check``: the protocol's
own v2 machine on the real engine over a :class:`MemoryState`, one transaction per block,
no node. A wallet (one outpoint, output 0 of every transaction it sends) holds whatever
tokens the scenario deploys and whatever the contract sends back.

Transactions are built as the machine receives them from a block (inputs, outputs, an
OP_RETURN carrier last); their txids are hashes of a counter, which no real chain has. Like
a simulation's (:mod:`api.call_space`), each weighs as if it bought the fuel it may use
(spec/CONTRACTS.md §21.2): the local chain measures what a contract does, and ``publish``
and ``call`` pad the real transaction until its vsize buys that much.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from api.call_space import buying
from api.compose import carrier_script
from api.render import render_event
from api.simulate import CallRequest, call_payload, effects
from engine.config import Backend, WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.cbor import encode_canonical
from protocol.contracts import v2_machine
from protocol.contracts.wasm import limits
from protocol.contracts.wasm.kind import OP_PUBLISH
from protocol.contracts.wasm.records import narrow_asset
from protocol.events import EventType, Field, encode_event
from protocol.fields import format_token_id
from protocol.overlay import Overlay
from protocol.params import PROTOCOL_VERSION
from protocol.records import UtxoAssets
from protocol.state import MemoryState, utxo_key
from protocol.tx import Transaction, TxInput, TxOutput

#: The wallet's output script: OP_TRUE, anyone can spend it (nothing here checks scripts).
WALLET_SCRIPT = b"\x51"
WALLET_VALUE = 10_000
FIRST_HEIGHT = 100
OP_DEPLOY = 1


@dataclass(frozen=True)
class Applied:
    """One applied transaction: its events (API JSON) and, for a call, the simulation's
    effects (credits, custody, storage, return data, fuel)."""

    height: int
    events: list[dict[str, Any]]
    rejected: dict[str, Any] | None
    fuel_used: int | None
    result: dict[str, Any] | None = None


class LocalChain:
    def __init__(self, backend: Backend = "cranelift") -> None:
        self.machine = v2_machine(WasmtimeEngine(WasmtimeConfig(backend=backend)))
        self.state = MemoryState()
        self.height = FIRST_HEIGHT
        self._count = 0
        self.wallet: TxInput | None = None

    def _txid(self) -> bytes:
        self._count += 1
        return hashlib.sha256(b"rootstate contract test tx %d" % self._count).digest()

    def _inputs(self) -> tuple[TxInput, ...]:
        # A fresh plain coin pays for every transaction; the wallet's outpoint rides along.
        coin = TxInput(hashlib.sha256(b"coin %d" % self._count).digest(), 0, ())
        return (coin,) if self.wallet is None else (self.wallet, coin)

    def _outputs(
        self, payload: bytes, extra: tuple[tuple[int, bytes], ...] = ()
    ) -> tuple[TxOutput, ...]:
        pairs = ((WALLET_VALUE, WALLET_SCRIPT), *extra)
        return (*(TxOutput(v, s) for v, s in pairs), TxOutput(0, carrier_script(payload)))

    def _commit(self, state: Overlay, tx: Transaction) -> None:
        writes, _ = state.diff()
        self.state.apply(writes)
        self.wallet = TxInput(tx.txid, 0, ())
        self.height += 1

    def _apply(self, payload: bytes) -> tuple[Applied, Transaction]:
        tx = Transaction(self._txid(), self._inputs(), self._outputs(payload))
        # A publish pays per module byte (bounded by the payload) before its init call.
        tx = buying(tx, limits.MAX_CALL_FUEL + limits.PUBLISH_FUEL_PER_BYTE * len(payload))
        state = Overlay(self.state)
        events = self.machine.apply_transaction(state, self.height, 1, tx)
        rendered = [render_event(self.height, n, encode_event(e)) for n, e in enumerate(events)]
        found = next((r for r in rendered if r["type"] == EventType.REJECTED.label), None)
        rejected = (
            None if found is None else {"reason": found["reason"], "detail": found.get("detail")}
        )
        fuel = [f for e in events if isinstance(f := e.get(Field.FUEL), int)]
        applied = Applied(self.height, rendered, rejected, fuel[0] if fuel else None)
        self._commit(state, tx)
        return applied, tx

    def deploy_token(self, ticker: str, supply: int) -> tuple[bytes, Applied]:
        """An issuer token whose whole supply is premined to the wallet, which holds its
        authority too."""
        op = {0: OP_DEPLOY, 1: ticker, 3: supply, 5: 0, 6: supply, 7: 0}
        token = self.height.to_bytes(4, "big") + (1).to_bytes(4, "big")
        applied, _ = self._apply(encode_canonical({0: PROTOCOL_VERSION, 1: [op]}))
        return token, applied

    def publish(self, code: bytes, init: bytes, fuel: int | None = None) -> tuple[bytes, Applied]:
        """The module published by OP_RETURN (the machine does not care how it came)."""
        op: dict[int, object] = {0: OP_PUBLISH, 1: code}
        if init:
            op[2] = init
        if fuel is not None:
            op[4] = fuel
        contract = self.height.to_bytes(4, "big") + (1).to_bytes(4, "big")
        applied, _ = self._apply(encode_canonical({0: PROTOCOL_VERSION, 1: [op]}))
        return contract, applied

    def call(
        self,
        contract: bytes,
        data: bytes,
        assets: tuple[tuple[bytes, int], ...] = (),
        outputs: tuple[tuple[int, bytes], ...] = (),
        fuel: int = limits.MAX_CALL_FUEL,
    ) -> Applied:
        """A call from the wallet; output 0 is the wallet (leftovers settle there), the
        scenario's own ``outputs`` follow from vout 1. Assets are 12-byte ids (sub 0: a token)."""
        pairs = ((WALLET_VALUE, WALLET_SCRIPT), *outputs)
        sent = tuple((narrow_asset(asset), amount) for asset, amount in assets)
        request = CallRequest(contract, data, sent, pairs, (), fuel, pointer=0)
        payload = call_payload(request)
        tx = Transaction(self._txid(), self._inputs(), self._outputs(payload, outputs))
        tx = buying(tx, fuel)
        state = Overlay(self.state)
        result = effects(state, self.machine, self.height, request, tx)
        rejected = (
            None if result["accepted"] else {"reason": result["reason"], "detail": result["detail"]}
        )
        applied = Applied(self.height, result["events"], rejected, result["fuel_used"], result)
        self._commit(state, tx)
        return applied

    def held(self) -> dict[str, int]:
        """What the wallet's outpoint carries, by asset id text."""
        if self.wallet is None:
            return {}
        raw = self.state.get(utxo_key(self.wallet.prev_txid, self.wallet.prev_vout))
        if raw is None:
            return {}
        return {format_token_id(a): n for a, n in UtxoAssets.decode(raw).balances}
