"""Tokens, one token, holders: figures worked out by hand in tests/api/world.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.world import ALICE, BOB, CAROL, ISSU, ROOT, World, address, display, point


def pages(client: httpx.Client, url: str, key: str, limit: int) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = client.get(url, params=params).json()
        assert len(body[key]) <= limit
        items.extend(body[key])
        cursor = body["next"]
        if cursor is None:
            return items


def test_one_token_by_id_and_by_ticker(client: httpx.Client, world: World) -> None:
    root = client.get(f"/v1/tokens/{ROOT}").json()
    assert client.get("/v1/tokens/ROOT").json() == root
    assert root == {
        "id": ROOT,
        "ticker": "ROOT",
        "decimals": 2,
        "kind": "open_mint",
        "max_supply": "1000000",
        "minted": "2000",
        "burned": "100",
        "supply": "1900",
        "mints": 2,
        "holders": 3,
        "outpoints": 3,
        "terms": {"amount": "1000", "cap": 10, "start": None, "end": None},
        "authority": None,
        "deploy": {"txid": display(world.txs["A"].txid), "height": 1, "index": 1},
    }
    issu = client.get("/v1/tokens/ISSU").json()
    assert issu["kind"] == "issuer"
    assert issu["authority"] == point(world.txs["D"], 2)
    assert (issu["minted"], issu["supply"], issu["holders"], issu["outpoints"]) == (
        "500",
        "500",
        1,
        1,
    )


@pytest.mark.parametrize(
    ("ref", "status", "code"),
    [
        ("NOPE", 404, "token_not_found"),
        ("99:1", 404, "token_not_found"),
        ("1:01", 400, "invalid_token"),
        ("1:", 400, "invalid_token"),
        ("4294967296:0", 400, "invalid_token"),
        ("root", 400, "invalid_token"),
        ("R", 400, "invalid_token"),
        ("ÄBC", 400, "invalid_token"),
        ("\u0661:1", 400, "invalid_token"),  # an Arabic-Indic digit one is not 1
    ],
)
def test_bad_token_references(client: httpx.Client, ref: str, status: int, code: str) -> None:
    for url in (f"/v1/tokens/{ref}", f"/v1/tokens/{ref}/holders"):
        response = client.get(url)
        assert response.status_code == status, url
        assert response.json()["error"]["code"] == code


def test_token_list_orders(client: httpx.Client) -> None:
    def ids(**params: str) -> list[str]:
        return [t["id"] for t in client.get("/v1/tokens", params=params).json()["tokens"]]

    assert ids() == [ROOT, ISSU]
    assert ids(order="desc") == [ISSU, ROOT]
    assert ids(sort="holders") == [ROOT, ISSU]  # 3 holders, then 1
    assert ids(sort="holders", order="asc") == [ISSU, ROOT]


def test_token_list_pages_with_cursors(client: httpx.Client) -> None:
    for sort in ("deploy", "holders"):
        listed = pages(client, f"/v1/tokens?sort={sort}", "tokens", 1)
        assert [t["ticker"] for t in listed] == ["ROOT", "ISSU"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "51"}, "invalid_limit"),
        ({"limit": "ten"}, "invalid_limit"),
        ({"sort": "age"}, "invalid_sort"),
        ({"order": "up"}, "invalid_order"),
        ({"cursor": "!!"}, "invalid_cursor"),
        ({"cursor": "A" * 401}, "invalid_cursor"),
    ],
)
def test_token_list_refuses_bad_parameters(
    client: httpx.Client, params: dict[str, str], code: str
) -> None:
    response = client.get("/v1/tokens", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_a_well_formed_cursor_never_handed_out_is_422_and_an_empty_one_is_none(
    client: httpx.Client,
) -> None:
    made_up = client.get("/v1/tokens", params={"cursor": "AQ"})
    assert (made_up.status_code, made_up.json()["error"]["code"]) == (422, "invalid_cursor")
    empty = client.get("/v1/tokens", params={"cursor": "", "limit": 1})
    assert empty.json() == client.get("/v1/tokens", params={"limit": 1}).json()


def test_a_cursor_only_continues_its_own_listing(client: httpx.Client) -> None:
    cursor = client.get("/v1/tokens", params={"limit": 1}).json()["next"]
    assert cursor is not None
    other = client.get("/v1/tokens", params={"sort": "holders", "cursor": cursor})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "invalid_cursor"


def test_holders_richest_first(client: httpx.Client) -> None:
    body = client.get("/v1/tokens/ROOT/holders").json()
    assert body["holder_count"] == 3
    assert [(h["address"], h["amount"]) for h in body["holders"]] == [
        (address(BOB), "900"),
        (address(ALICE), "700"),
        (address(CAROL), "300"),
    ]
    assert body["holders"][0]["script_pubkey"] == BOB.hex()
    walked = pages(client, "/v1/tokens/1:1/holders", "holders", 2)
    assert walked == body["holders"]
    issu = client.get("/v1/tokens/ISSU/holders").json()
    assert [(h["address"], h["amount"]) for h in issu["holders"]] == [(address(ALICE), "500")]


def test_a_holders_cursor_belongs_to_its_token(client: httpx.Client) -> None:
    cursor = client.get("/v1/tokens/ROOT/holders", params={"limit": 1}).json()["next"]
    response = client.get("/v1/tokens/ISSU/holders", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"
