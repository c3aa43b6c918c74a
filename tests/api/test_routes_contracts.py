"""The contract routes and contract events over real HTTP, against the AMM world of
tests/api/contract_world.py (figures worked out there by hand)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import serve
from tests.api.contract_world import SWAP_IN, SWAP_OUT, ContractWorld, build_contract_world
from tests.contracts.sdk import code, slot


@pytest.fixture(scope="module")
def cworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractWorld]:
    built = build_contract_world(tmp_path_factory.mktemp("contracts") / "store")
    yield built
    built.store.close()


@pytest.fixture(scope="module")
def http(cworld: ContractWorld) -> Iterator[httpx.Client]:
    yield from serve(cworld.store)


def ident(ref: tuple[int, ...]) -> str:
    return ":".join(str(part) for part in ref)


def test_contract_detail(http: httpx.Client, cworld: ContractWorld) -> None:
    pool = cworld.pool
    body = http.get(f"/v1/contracts/{ident(pool.amm)}").json()
    module = code("amm")
    assert body["code_hash"] == hashlib.sha256(module).hexdigest()
    assert body["code_size"] == len(module)
    assert body["created_by"] == "publish"
    assert body["txid"] == cworld.publish_txid[::-1].hex()
    held = {entry["asset"]: entry["amount"] for entry in body["assets_held"]}
    assert held == {
        ident(pool.a): str(10**9 + SWAP_IN),
        ident(pool.b): str(10**9 - SWAP_OUT),
        ident((*pool.amm, 1)): "1000",
    }
    assert body["issued"] == [
        {"asset": ident((*pool.amm, 1)), "minted": str(10**9), "burned": "0", "supply": str(10**9)}
    ]


def test_contract_listing_pages(http: httpx.Client, cworld: ContractWorld) -> None:
    first = http.get("/v1/contracts", params={"limit": 1}).json()
    assert [c["id"] for c in first["contracts"]] == [ident(cworld.pool.amm)]
    assert first["next"] is None


def test_storage_value_and_listing(http: httpx.Client, cworld: ContractWorld) -> None:
    amm = ident(cworld.pool.amm)
    reserves = http.get(f"/v1/contracts/{amm}/storage/{slot(2).hex()}").json()
    raw = bytes.fromhex(reserves["value"])
    assert int.from_bytes(raw[:16], "little") == 10**9 + SWAP_IN
    assert int.from_bytes(raw[16:32], "little") == 10**9 - SWAP_OUT
    assert int.from_bytes(raw[32:48], "little") == 10**9
    unset = http.get(f"/v1/contracts/{amm}/storage/{'ab' * 32}").json()
    assert unset["value"] is None
    pages, cursor = [], ""
    while True:
        page = http.get(f"/v1/contracts/{amm}/storage", params={"limit": 1, "cursor": cursor})
        assert page.status_code == 200
        pages.append(page.json()["entries"])
        cursor = page.json()["next"]
        if cursor is None:
            break
    keys = [entry["key"] for entries in pages for entry in entries]
    assert all(len(entries) == 1 for entries in pages)
    assert keys == sorted(keys) and slot(2).hex() in keys
    assert cworld.pool.chain.storage(cworld.pool.amm, slot(2)) == raw


def test_contract_events_in_the_transaction_route(
    http: httpx.Client, cworld: ContractWorld
) -> None:
    pool = cworld.pool
    body = http.get(f"/v1/txs/{cworld.swap.txid[::-1].hex()}").json()
    assert body["status"] == "accepted"
    assert body["message"]["operations"][0]["op"] == "call"
    assert body["message"]["operations"][0]["contract"] == ident(pool.amm)
    by_type = {event["type"]: event for event in body["events"]}
    deposit = by_type["deposit"]
    assert (deposit["contract"], deposit["token"], deposit["amount"]) == (
        ident(pool.amm),
        ident(pool.a),
        str(SWAP_IN),
    )
    assert "from_contract" not in deposit
    send = by_type["send"]
    assert (send["token"], send["amount"]) == (ident(pool.b), str(SWAP_OUT))
    assert send["outpoint"] == f"{cworld.swap.txid[::-1].hex()}:0"
    call = by_type["call"]
    assert call["contract"] == ident(pool.amm) and call["fuel_used"] > 0
    assert len(bytes.fromhex(call["storage_digest"])) == 32


def test_contract_events_in_the_event_listing(http: httpx.Client, cworld: ContractWorld) -> None:
    events = http.get("/v1/events", params={"limit": 50}).json()["events"]
    publish = next(e for e in events if e["type"] == "publish")
    assert publish["code_hash"] == hashlib.sha256(code("amm")).hexdigest()
    issue = next(e for e in events if e["type"] == "issue")
    assert issue["token"] == ident((*cworld.pool.amm, 1)) and issue["amount"] == str(10**9)


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/v1/contracts/1:2", 404, "contract_not_found"),
        ("/v1/contracts/01:2", 400, "invalid_contract"),
        ("/v1/contracts/1:2:3", 400, "invalid_contract"),
        ("/v1/contracts/1:2/storage", 404, "contract_not_found"),
        (f"/v1/contracts/1:2/storage/{'00' * 32}", 404, "contract_not_found"),
        ("/v1/contracts/1:2/storage/00", 400, "invalid_key"),
        (f"/v1/contracts/1:2/storage/{'AB' * 32}", 400, "invalid_key"),
        ("/v1/contracts?cursor=AAAA", 422, "invalid_cursor"),
        ("/v1/contracts?limit=0", 400, "invalid_limit"),
    ],
)
def test_bad_requests(http: httpx.Client, url: str, status: int, code: str) -> None:
    response = http.get(url)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
