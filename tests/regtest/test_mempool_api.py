"""The pending view through the HTTP API, on real nodes: balances with ``?pending=true``,
outpoints spent in the mempool, ``/v1/txs`` pending then confirmed, ``/v1/mempool``, the
``/v1/mempool/stream`` events and compose's refusals and ``allow_pending``.

The API is served by a real uvicorn server over the store a following indexer writes, as
``rootstate run`` serves it, with the pending view of the node's mempool.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.server import ServerThread
from protocol.params import Network
from regtest.launch import NodeKind
from regtest.node import free_loopback_ports
from regtest.spend import Coin
from regtest.tx import Tx
from tests.regtest.e2e import RootstateProcess, wait_until
from tests.regtest.mempool_scene import DUST, PER_MINT, Scene, mempool_scene

pytestmark = pytest.mark.regtest


@pytest.fixture(scope="module")
def scene(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    with mempool_scene(node_kind, tmp_path_factory, "mempool-api") as built:
        yield built


@pytest.fixture(scope="module")
def api(scene: Scene) -> Iterator[httpx.Client]:
    ctx = ApiContext(
        scene.indexer.store, ApiSettings(network=Network.REGTEST), mempool=scene.service
    )
    with ServerThread(create_app(ctx)) as server, httpx.Client(base_url=server.url) as http:
        yield http


def _amounts(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(b["token"], b["amount"]) for b in items]


def _point(tx: Tx, vout: int) -> str:
    return f"{tx.txid_hex}:{vout}"


def _coin_text(coin: Coin) -> str:
    return f"{coin.outpoint.txid_hex}:{coin.outpoint.vout}"


def test_a_pending_transfer_as_wallets_see_it(scene: Scene, api: httpx.Client) -> None:
    token = f"{scene.token[0]}:{scene.token[1]}"
    coin = scene.token_coins()[0]
    bob_before = api.get(f"/v1/addresses/{scene.bob.p2tr_address}/balances").json()
    tx = scene.transfer(coin, 300)
    scene.broadcast(tx)
    scene.wait_entry(tx)

    carol = api.get(
        f"/v1/addresses/{scene.carol.p2tr_address}/balances", params={"pending": "true"}
    ).json()
    assert carol["balances"] == []  # confirmed: nothing yet
    assert _amounts(carol["pending"]["incoming"]) == [(token, "300")]
    assert carol["pending"]["outgoing"] == []
    assert carol["pending"]["view"]["in_step"] is True
    bob = api.get(
        f"/v1/addresses/{scene.bob.p2tr_address}/balances", params={"pending": "true"}
    ).json()
    assert bob["balances"] == bob_before["balances"]  # confirmed amounts unchanged
    assert _amounts(bob["pending"]["outgoing"]) == [(token, str(PER_MINT))]
    assert _amounts(bob["pending"]["incoming"]) == [(token, str(PER_MINT - 300))]
    spent = next(o for o in bob["outpoints"] if o["outpoint"] == _coin_text(coin))
    assert spent["spent_in_mempool"] == tx.txid_hex

    outpoint = api.get(f"/v1/outpoints/{_coin_text(coin)}").json()
    assert outpoint["spent_in_mempool"] == tx.txid_hex
    assert _amounts(outpoint["balances"]) == [(token, str(PER_MINT))]
    batch = api.post("/v1/outpoints", json={"outpoints": [_coin_text(coin), _point(tx, 2)]})
    spent_item, created_item = batch.json()["outpoints"]
    assert spent_item["spent_in_mempool"] == tx.txid_hex and spent_item["pending"] is None
    assert _amounts(created_item["pending"]["balances"]) == [(token, "300")]
    created = api.get(f"/v1/outpoints/{_point(tx, 2)}").json()
    assert created["balances"] == [] and created["spent_in_mempool"] is None
    assert _amounts(created["pending"]["balances"]) == [(token, "300")]

    body = api.get(f"/v1/txs/{tx.txid_hex}").json()
    assert (body["confirmation"], body["status"], body["block"]) == ("pending", "accepted", None)
    kinds = [(e["type"], e.get("amount")) for e in body["events"]]
    assert kinds == [("debit", str(PER_MINT)), ("credit", "700"), ("credit", "300")]
    assert body["pending"]["fee"] > 0

    listed = api.get("/v1/mempool").json()
    assert [t["txid"] for t in listed["txs"]] == [tx.txid_hex]
    assert listed["view"]["transactions"] == 1 and listed["view"]["partial"] is False

    scene.mine()
    wait_until(
        lambda: api.get(f"/v1/txs/{tx.txid_hex}").json()["confirmation"] == "confirmed",
        30.0,
        "the transfer confirmed",
    )
    assert api.get("/v1/mempool").json()["txs"] == []


def test_the_stream_tells_pending_replaced_and_confirmed(scene: Scene, api: httpx.Client) -> None:
    got: list[tuple[str, str]] = []
    ready = threading.Event()

    def listen() -> None:
        with api.stream("GET", "/v1/mempool/stream", timeout=60.0) as response:
            kind = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                    ready.set()
                elif line.startswith("data: "):
                    got.append((kind, line[6:]))
                    if kind == "confirmed":
                        return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert ready.wait(10)
    coin = scene.token_coins()[0]
    first = scene.transfer(coin, 10)
    scene.broadcast(first)
    scene.wait_entry(first)
    better = scene.transfer(coin, 20, fee_rate=50, to=scene.alice)
    scene.broadcast(better)
    scene.wait_entry(better)
    scene.mine()
    thread.join(30)
    kinds = [kind for kind, _ in got]
    assert kinds[0] == "hello"
    assert kinds[1:] == ["pending", "replaced", "pending", "confirmed"]
    assert first.txid_hex in got[2][1] and better.txid_hex in got[2][1]
    assert better.txid_hex in got[4][1]


def _compose(scene: Scene, token_coin: Coin, address: str, **extra: Any) -> dict[str, Any]:
    fee_coin = next(c for c in scene.usable(scene.alice) if c.output.value > DUST)
    return {
        "funding": [
            {
                "outpoint": _coin_text(token_coin),
                "value": token_coin.output.value,
                "address": address,
                "tokens": [f"{scene.token[0]}:{scene.token[1]}"],
            },
            {
                "outpoint": _coin_text(fee_coin),
                "value": fee_coin.output.value,
                "address": scene.alice.p2tr_address,
            },
        ],
        "transfers": [{"token": "PEND", "amount": 5, "address": scene.alice.p2tr_address}],
        "change_address": scene.alice.p2tr_address,
        "fee_rate": 2,
        **extra,
    }


def test_compose_refuses_mempool_spent_and_pending_inputs_unless_allowed(
    scene: Scene, api: httpx.Client
) -> None:
    coin = scene.token_coins()[0]
    tx = scene.transfer(coin, 100)
    scene.broadcast(tx)
    scene.wait_entry(tx)
    bob = scene.bob.p2tr_address
    refused = api.post("/v1/compose/transfer", json=_compose(scene, coin, bob))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "spent_in_mempool"
    assert tx.txid_hex in refused.json()["error"]["message"]
    for route in ("call", "publish"):  # the same refusal, before the rest is looked at
        other = api.post(f"/v1/compose/{route}", json=_compose(scene, coin, bob))
        assert other.status_code == 422
        assert other.json()["error"]["code"] == "spent_in_mempool"
    replacing = api.post(
        "/v1/compose/transfer", json=_compose(scene, coin, bob, allow_pending=True)
    )
    assert replacing.status_code == 200, replacing.text

    pending_coin = scene.carol.coins[tx.outpoint(2)]
    carol = scene.carol.p2tr_address
    refused = api.post("/v1/compose/transfer", json=_compose(scene, pending_coin, carol))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "pending_input"
    allowed = api.post(
        "/v1/compose/transfer", json=_compose(scene, pending_coin, carol, allow_pending=True)
    )
    assert allowed.status_code == 200, allowed.text
    token = f"{scene.token[0]}:{scene.token[1]}"
    assert _amounts(allowed.json()["inputs"][0]["balances"]) == [(token, "100")]


def _api_process(
    scene: Scene, data_dir: Path, command: str, *flags: str
) -> tuple[RootstateProcess, str]:
    (port,) = free_loopback_ports(1)
    zmq = () if scene.zmq_url is None else (f"--zmq-sequence-url={scene.zmq_url}",)
    process = RootstateProcess(
        scene.regtest.info, data_dir, command, (f"--api-port={port}", *zmq, *flags)
    )
    process.start()
    return process, f"http://127.0.0.1:{port}"


def test_rootstate_run_serves_the_view_and_serve_can_turn_it_off(
    scene: Scene, tmp_path: Path
) -> None:
    run, url = _api_process(scene, tmp_path / "data", "run")
    try:

        def in_step() -> bool:
            try:
                answer = httpx.get(f"{url}/v1/mempool", timeout=2)
            except httpx.TransportError:
                return False
            return answer.status_code == 200 and answer.json()["view"]["in_step"]

        wait_until(in_step, 60.0, f"rootstate run's pending view: {run.log_tail()}")
        tx = scene.transfer(scene.token_coins()[0], 1)
        scene.broadcast(tx)
        wait_until(
            lambda: (
                tx.txid_hex in [t["txid"] for t in httpx.get(f"{url}/v1/mempool").json()["txs"]]
            ),
            30.0,
            "the transfer listed by rootstate run",
        )
        assert httpx.get(f"{url}/v1/txs/{tx.txid_hex}").json()["confirmation"] == "pending"
    finally:
        assert run.terminate() == 0, run.log_tail()
    serve, url = _api_process(scene, tmp_path / "data", "serve", "--mempool=false")
    try:
        wait_until(lambda: _answers(url), 30.0, "rootstate serve")
        refused = httpx.get(f"{url}/v1/mempool")
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "mempool_disabled"
    finally:
        assert serve.terminate() == 0, serve.log_tail()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_past_the_memory_cap_the_cheapest_go_and_the_view_says_partial(
    scene: Scene, api: httpx.Client
) -> None:
    scene.mine()  # an empty view to start from
    layer = scene.service.layer
    cheap = scene.transfer(scene.token_coins()[0], 3, fee_rate=2)
    scene.broadcast(cheap)
    scene.wait_entry(cheap)
    saved = layer.max_bytes
    with layer.reading() as state:
        # Room for one entry of this size, even at the 90 % the cap refills to, not two.
        layer.max_bytes = state.used * 3 // 2
    try:
        since = layer.notice_seq
        rich = scene.transfer(scene.token_coins()[0], 4, fee_rate=40)
        scene.broadcast(rich)
        scene.wait_entry(rich)
        scene.wait_gone(cheap)
        assert ("evicted", cheap.txid, None, "memory_cap") in scene.notices(since)
        view = api.get("/v1/mempool").json()["view"]
        assert view["partial"] is True and view["transactions"] == 1
        assert api.get(f"/v1/txs/{cheap.txid_hex}").status_code == 404
    finally:
        layer.max_bytes = saved
    scene.mine()  # both confirmed: nothing dropped is left in the mempool
    wait_until(
        lambda: api.get("/v1/mempool").json()["view"]["partial"] is False,
        30.0,
        "the view whole again",
    )
