"""A transaction's message and events; events by height and by address (tests/api/world.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.world import BOB, ROOT, World, address, display, point
from tests.protocol.builders import transfer
from tests.vectorgen.payloads import message


def test_an_accepted_transfer(client: httpx.Client, world: World) -> None:
    tx = world.txs["E"]
    body = client.get(f"/v1/txs/{display(tx.txid)}").json()
    assert body["status"] == "accepted" and body["reason"] is None
    assert body["block"]["height"] == 3
    assert body["payload"] == message(transfer((1, 1), 300, 2)).hex()
    assert body["message"] == {
        "version": 1,
        "pointer": None,
        "operations": [{"op": "transfer", "token": ROOT, "amount": "300", "output": 2}],
    }
    assert [(e["type"], e["outpoint"], e["amount"]) for e in body["events"]] == [
        ("debit", point(world.txs["B"], 1), "1000"),
        ("credit", point(tx, 1), "700"),
        ("credit", point(tx, 2), "300"),
    ]
    assert all(e["txid"] == display(tx.txid) and e["token"] == ROOT for e in body["events"])


def test_a_rejected_message_names_its_reason(client: httpx.Client, world: World) -> None:
    body = client.get(f"/v1/txs/{display(world.txs['G'].txid)}").json()
    assert body["status"] == "rejected"
    assert body["reason"] == {"code": 14, "name": "unknown_token"}
    assert [e["type"] for e in body["events"]] == ["rejected"]
    assert body["message"]["operations"][0]["token"] == "99:1"


def test_a_spend_without_a_message(client: httpx.Client, world: World) -> None:
    body = client.get(f"/v1/txs/{display(world.txs['H'].txid)}").json()
    assert body["status"] == "no_message" and body["payload"] is None
    assert [(e["type"], e["amount"]) for e in body["events"]] == [
        ("debit", "300"),
        ("credit", "300"),
    ]


@pytest.mark.parametrize(
    ("txid", "status", "code"),
    [
        ("ab" * 32, 404, "tx_not_found"),
        ("ab" * 31, 400, "invalid_txid"),
        ("zz" * 32, 400, "invalid_txid"),
    ],
)
def test_unknown_and_bad_txids(client: httpx.Client, txid: str, status: int, code: str) -> None:
    response = client.get(f"/v1/txs/{txid}")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def walk(client: httpx.Client, url: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(url, params=query).json()
        events.extend(body["events"])
        cursor = body["next"]
        if cursor is None:
            return events


def test_events_by_height_range(client: httpx.Client) -> None:
    last = client.get("/v1/events", params={"from": 4, "to": 4}).json()["events"]
    assert [e["type"] for e in last] == ["debit", "burn", "credit", "rejected", "debit", "credit"]
    assert [e["index"] for e in last] == list(range(6))
    assert last[1]["cause"] == "operation" and last[1]["amount"] == "100"
    everything = walk(client, "/v1/events", 5)
    # 1 deploy; 2 mints with credits; ISSU's 4 and E's 3; height 4's 6.
    assert len(everything) == 18
    keys = [(e["height"], e["index"]) for e in everything]
    assert keys == sorted(keys) and len(set(keys)) == 18
    assert walk(client, "/v1/events", 4, **{"from": 2, "to": 3}) == everything[1:12]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "5", "to": "4"}, 422, "invalid_range"),
        ({"from": "abc"}, 400, "invalid_height"),
        ({"to": "4294967296"}, 400, "invalid_height"),
        ({"cursor": "AAAA"}, 422, "invalid_cursor"),
        ({"cursor": "AA=A"}, 400, "invalid_cursor"),
    ],
)
def test_bad_event_ranges(
    client: httpx.Client, params: dict[str, str], status: int, code: str
) -> None:
    response = client.get("/v1/events", params=params)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_events_by_address(client: httpx.Client, world: World) -> None:
    url = f"/v1/addresses/{address(BOB)}/events"
    ascending = walk(client, url, 2, order="asc")
    assert [(e["height"], e["type"], e["outpoint"]) for e in ascending] == [
        (2, "mint", point(world.txs["C"], 1)),
        (2, "credit", point(world.txs["C"], 1)),
        (3, "credit", point(world.txs["E"], 2)),
        (4, "debit", point(world.txs["C"], 1)),
        (4, "credit", point(world.txs["F"], 1)),
        (4, "debit", point(world.txs["E"], 2)),
    ]
    assert walk(client, url, 4) == ascending[::-1]  # newest first by default
    assert client.get(url, params={"order": "sideways"}).status_code == 400
