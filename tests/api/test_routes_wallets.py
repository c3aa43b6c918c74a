"""Balances of addresses and outpoints, one and many: figures from tests/api/world.py."""

from __future__ import annotations

import httpx
import pytest

from tests.api.world import ALICE, BOB, CAROL, DAVE, ISSU, ROOT, World, address, point


def amounts(balances: list[dict[str, object]]) -> dict[object, object]:
    return {b["token"]: b["amount"] for b in balances}


def test_address_balances_total_its_outpoints(client: httpx.Client, world: World) -> None:
    body = client.get(f"/v1/addresses/{address(ALICE)}/balances").json()
    assert body["script_pubkey"] == ALICE.hex()
    assert amounts(body["balances"]) == {ROOT: "700", ISSU: "500"}
    assert body["balances"][0] == {"token": ROOT, "ticker": "ROOT", "decimals": 2, "amount": "700"}
    held = {o["outpoint"]: (amounts(o["balances"]), o["authorities"]) for o in body["outpoints"]}
    assert held == {
        point(world.txs["E"], 1): ({ROOT: "700"}, []),
        point(world.txs["D"], 1): ({ISSU: "500"}, []),
        point(world.txs["D"], 2): ({}, [ISSU]),
    }
    assert body["next"] is None
    assert amounts(client.get(f"/v1/addresses/{address(BOB)}/balances").json()["balances"]) == {
        ROOT: "900"
    }
    carol = client.get(f"/v1/addresses/{address(CAROL)}/balances").json()
    assert [o["outpoint"] for o in carol["outpoints"]] == [point(world.txs["H"], 0)]
    dave = client.get(f"/v1/addresses/{address(DAVE)}/balances").json()
    assert dave["balances"] == [] and dave["outpoints"] == []


def test_address_outpoints_page(client: httpx.Client) -> None:
    url = f"/v1/addresses/{address(ALICE)}/balances"
    whole = client.get(url).json()["outpoints"]
    first = client.get(url, params={"limit": 2}).json()
    second = client.get(url, params={"limit": 2, "cursor": first["next"]}).json()
    assert first["outpoints"] + second["outpoints"] == whole
    assert second["next"] is None


@pytest.mark.parametrize(
    "bad",
    [
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # mainnet, on a regtest API
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",  # testnet
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # bad checksum
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",  # mainnet P2PKH
        "not-an-address",
        "x" * 200,
    ],
)
def test_bad_addresses_are_400(client: httpx.Client, bad: str) -> None:
    for suffix in ("balances", "events"):
        response = client.get(f"/v1/addresses/{bad}/{suffix}")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_address"


def test_one_outpoint(client: httpx.Client, world: World) -> None:
    body = client.get(f"/v1/outpoints/{point(world.txs['E'], 1)}").json()
    assert body == {
        "outpoint": point(world.txs["E"], 1),
        "balances": [{"token": ROOT, "ticker": "ROOT", "decimals": 2, "amount": "700"}],
        "authorities": [],
        "script_pubkey": ALICE.hex(),
        "address": address(ALICE),
        # No pending view on this server: the mempool's side is empty, not absent.
        "spent_in_mempool": None,
        "pending": None,
    }
    authority = client.get(f"/v1/outpoints/{point(world.txs['D'], 2)}").json()
    assert authority["balances"] == [] and authority["authorities"] == [ISSU]
    # Spent (B:1 by E) and never-protocol outpoints carry nothing: safe to spend.
    for spent in (point(world.txs["B"], 1), point(world.txs["G"], 1)):
        empty = client.get(f"/v1/outpoints/{spent}").json()
        assert (empty["balances"], empty["authorities"], empty["address"]) == ([], [], None)


@pytest.mark.parametrize(
    "bad",
    [
        "xyz",
        "ab" * 32,
        "ab" * 32 + ":",
        "ab" * 32 + ":01",
        "ab" * 32 + ":4294967296",
        "zz" * 32 + ":0",
    ],
)
def test_bad_outpoints_are_400(client: httpx.Client, bad: str) -> None:
    response = client.get(f"/v1/outpoints/{bad}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_outpoint"


def test_batch_answers_in_request_order(client: httpx.Client, world: World) -> None:
    asked = [point(world.txs["E"], 1), point(world.txs["B"], 1), point(world.txs["D"], 2)]
    body = client.post("/v1/outpoints", json={"outpoints": asked}).json()
    assert [o["outpoint"] for o in body["outpoints"]] == asked
    assert [amounts(o["balances"]) for o in body["outpoints"]] == [{ROOT: "700"}, {}, {}]
    assert body["outpoints"][2]["authorities"] == [ISSU]
    many = client.post("/v1/outpoints", json={"outpoints": [asked[0]] * 1_000})
    assert many.status_code == 200 and len(many.json()["outpoints"]) == 1_000


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"outpoints": []}, "too_many_outpoints"),
        ({"outpoints": ["ab" * 32 + ":0"] * 1_001}, "too_many_outpoints"),
        ({"outpoints": "ab"}, "invalid_body"),
        ({"outpoints": [1, 2]}, "invalid_body"),
        ({}, "invalid_body"),
        ([], "invalid_body"),
        ({"outpoints": ["nope"]}, "invalid_outpoint"),
    ],
)
def test_bad_batches_are_400(client: httpx.Client, body: object, code: str) -> None:
    response = client.post("/v1/outpoints", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_batch_bodies_must_be_json_and_bounded(client: httpx.Client) -> None:
    as_json = {"Content-Type": "application/json"}
    broken = client.post("/v1/outpoints", content=b"{not json", headers=as_json)
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "invalid_json")
    huge = client.post("/v1/outpoints", content=b"[" + b"0," * (1 << 20) + b"0]")
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "request_too_large")

    def chunks() -> object:
        for _ in range(40):
            yield b" " * 65_536  # no Content-Length: the stream is counted as it arrives

    streamed = client.post("/v1/outpoints", content=chunks(), headers=as_json)  # type: ignore[arg-type]
    assert (streamed.status_code, streamed.json()["error"]["code"]) == (413, "request_too_large")


@pytest.mark.parametrize("media_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_batch_bodies_must_be_declared_json(client: httpx.Client, media_type: str | None) -> None:
    headers = {} if media_type is None else {"Content-Type": media_type}
    body = b'{"outpoints": ["' + b"ab" * 32 + b':0"]}'
    response = client.post("/v1/outpoints", content=body, headers=headers)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert client.post("/v1/outpoints", content=body, headers=charset).status_code == 200
