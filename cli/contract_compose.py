"""Where ``contract publish``, ``call`` and ``simulate`` compose: an indexer's API
(``--indexer URL``), or the local store an indexer on this machine keeps (``--local``:
``<data_dir>/<network>``, read-only, beside a running ``rootstate index`` or ``run``).
Both answer with the API's JSON; the local one runs the API's own compose and simulate
jobs in this process, so a composition is the same either way.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any, Protocol

import httpx

from api.compose_call import compose_call_job
from api.compose_publish import compose_publish_job
from api.errors import ApiError
from api.heavy import Worker, worker_module_cache
from api.params import parse_outpoint, parse_txid
from api.render import render_event
from api.routes_wallets import batch_job
from api.simulate import parse_call, simulate_job
from indexer.config import Config
from indexer.contract_engine import contract_engine, contract_machine
from indexer.runtime import store_config
from indexer.store_reader import open_reader
from protocol.events import EventType


class ChainError(Exception):
    """The indexer refused, the node refused, or the wait ran out; the message says which."""


class Composer(Protocol):
    where: str

    def post(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any]: ...
    def tx(self, txid: str) -> dict[str, Any] | None: ...
    def indexed_height(self) -> int | None: ...
    def close(self) -> None: ...


def _refused(what: str, code: object, message: object) -> ChainError:
    return ChainError(f"{what}: the indexer refused ({code}): {message}")


class ApiComposer:
    def __init__(self, url: str) -> None:
        self.where = url.rstrip("/")
        self.http = httpx.Client(base_url=self.where, timeout=120)

    def _answer(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise ChainError(
                f"{what}: HTTP {response.status_code} from {self.where}, not JSON"
            ) from None
        if response.status_code != 200:
            error = body.get("error", {})
            code, message = error.get("code", response.status_code), error.get("message")
            raise _refused(what, code, message or response.text[:300])
        return body

    def post(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        try:
            return self._answer(self.http.post(path, json=body), what)
        except httpx.HTTPError as exc:
            raise ChainError(f"{what}: cannot reach the indexer at {self.where}: {exc}") from None

    def tx(self, txid: str) -> dict[str, Any] | None:
        response = self.http.get(f"/v1/txs/{txid}")
        return (
            self._answer(response, "reading the transaction")
            if response.status_code == 200
            else None
        )

    def indexed_height(self) -> int | None:
        indexed = self.http.get("/v1/status").json().get("indexed")
        return None if indexed is None else int(indexed["height"])

    def close(self) -> None:
        self.http.close()


class LocalComposer:
    def __init__(self, config: Config) -> None:
        store = store_config(config)
        if not (store.path / "data.mdb").exists():
            raise ChainError(
                f"no store at {store.path}: --local reads the store `rootstate index` keeps "
                "(give the same --data-dir and --network)"
            )
        self.where = f"the local store {store.path}"
        self.network = config.network
        self.min_rate = Fraction(str(config.api_min_relay_fee))
        engine = contract_engine(
            config.engine_config, worker_module_cache(config.module_cache, store)
        )
        self.worker = Worker(open_reader(store), contract_machine(engine), engine)

    def post(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        try:
            raw = self._run(path, body)
        except ApiError as exc:
            raise _refused(what, exc.code, exc.message) from None
        answer: dict[str, Any] = json.loads(raw)
        return answer

    def _run(self, path: str, body: dict[str, Any]) -> bytes:
        if path == "/v1/compose/publish":
            return compose_publish_job(self.worker, body, self.min_rate)
        if path == "/v1/compose/call":
            return compose_call_job(self.worker, body, self.min_rate)
        if path == "/v1/outpoints":
            return batch_job(self.worker, [parse_outpoint(t) for t in body["outpoints"]])
        contract = path.removeprefix("/v1/contracts/").removesuffix("/simulate")
        return simulate_job(self.worker, parse_call(contract, body, self.network))

    def tx(self, txid: str) -> dict[str, Any] | None:
        """What GET /v1/txs/TXID answers, as far as the kit reads it."""
        with self.worker.store.read() as view:
            entries = view.transaction(parse_txid(txid))
            if not entries:
                return None
            entry = entries[-1]
            last = entry.first_event + entry.event_count
            events = [
                render_event(entry.height, n, raw)
                for n in range(entry.first_event, last)
                if (raw := view.event(entry.height, n)) is not None
            ]
        rejected = [e for e in events if e["type"] == EventType.REJECTED.label]
        status = "rejected" if rejected else "accepted" if entry.payload else "no_message"
        return {
            "txid": txid,
            "block": {"height": entry.height},
            "status": status,
            "reason": rejected[0]["reason"] if rejected else None,
            "events": events,
        }

    def indexed_height(self) -> int | None:
        with self.worker.store.read() as view:
            tip = view.tip()
        return None if tip is None else tip.height

    def close(self) -> None:
        self.worker.store.close()
