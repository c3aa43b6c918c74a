"""The contract routes and contract events over real HTTP, against the AMM world of
tests/api/contract_world.py (figures worked out there by hand)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from api.routes_contracts import custody_of
from regtest.contract_inputs import u32, u128
from tests.api.contract_world import SWAP_IN, SWAP_OUT, ContractWorld
from tests.api.psbt_reader import read_psbt
from tests.api.test_openapi import schemathesis_run
from tests.api.world import ALICE, BOB, address, display
from tests.contracts import test_amm
from tests.contracts.sdk import code, slot


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
    assert body["truncated"] is False
    with cworld.store.read() as view:
        cut, more = custody_of(view, bytes.fromhex(f"{pool.amm[0]:08x}{pool.amm[1]:08x}"), 2)
    listed = [entry["asset"] for entry in body["assets_held"]]
    assert more is True and [c["asset"] for c in cut] == listed[:2]
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


#: The swap input of README's simulate example.
README_SWAP_INPUT = "02" + "00" * 20


def swap_body(amount: int, min_out: int = 0, **extra: object) -> dict[str, object]:
    """A swap of ``amount`` A for B paid to output 0 (contracts/README.md's AMM input)."""
    data = bytes([test_amm.SWAP]) + u128(min_out) + u32(0)
    assert min_out or data.hex() == README_SWAP_INPUT
    return {"input": data.hex(), "assets": [{"asset": "", "amount": str(amount)}], **extra}


def simulate(http: httpx.Client, cworld: ContractWorld, body: dict[str, object]) -> httpx.Response:
    assets = body.get("assets")
    if isinstance(assets, list) and assets and assets[0]["asset"] == "":
        assets[0]["asset"] = ident(cworld.pool.a)
    return http.post(f"/v1/contracts/{ident(cworld.pool.amm)}/simulate", json=body)


def test_simulating_a_swap_shows_its_effects_and_writes_nothing(
    http: httpx.Client, cworld: ContractWorld
) -> None:
    pool = cworld.pool
    reserve_a, reserve_b = 10**9 + SWAP_IN, 10**9 - SWAP_OUT
    # README: fee = ceil(5,000 * 30 / 10^4) = 15; out = floor(4,985 * Rb / (Ra + 4,985)).
    expected_out = 4_985 * reserve_b // (reserve_a + 4_985)
    assert expected_out == 4_984  # 4,985 * 0.999995... rounded down
    with cworld.store.read() as view:
        before = list(view.state_items(b""))
    response = simulate(http, cworld, swap_body(5_000))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] is True and body["reason"] is None
    assert 0 < body["fuel_used"] <= body["fuel_limit"] == 10_000_000
    assert body["return_data"] == u128(expected_out).hex()  # README: a swap returns its out
    assert body["credits"] == [{"vout": 0, "asset": ident(pool.b), "amount": str(expected_out)}]
    custody = {c["asset"]: (c["before"], c["after"]) for c in body["custody"]}
    assert custody == {
        ident(pool.a): (str(reserve_a), str(reserve_a + 5_000)),
        ident(pool.b): (str(reserve_b), str(reserve_b - expected_out)),
    }
    # Slot 2 the reserves; slot 3 the price accumulator, brought up to this block by its
    # first swap (contracts/README.md).
    assert [s["key"] for s in body["storage"]] == [slot(2).hex(), slot(3).hex()]
    assert [e["type"] for e in body["events"]][-1] != "rejected"
    with cworld.store.read() as view:
        assert list(view.state_items(b"")) == before


def test_simulating_reserves_returns_them(http: httpx.Client, cworld: ContractWorld) -> None:
    # contracts/README.md: op 4 returns reserve_a, reserve_b, lp_supply (u128), fee_bps (u16),
    # little-endian; the pool of contract_world was made with a fee of 30 bps.
    body = simulate(http, cworld, {"input": "04"}).json()
    assert body["accepted"] is True and body["storage"] == [] and body["custody"] == []
    reserves = (10**9 + SWAP_IN, 10**9 - SWAP_OUT, 10**9)
    expected = b"".join(n.to_bytes(16, "little") for n in reserves) + (30).to_bytes(2, "little")
    assert body["return_data"] == expected.hex()


def test_a_call_that_aborts_reports_the_reason_and_returns_the_assets(
    http: httpx.Client, cworld: ContractWorld
) -> None:
    body = simulate(http, cworld, swap_body(5_000, min_out=10**6)).json()
    assert body["accepted"] is False
    assert body["reason"]["name"] == "contract_abort" and body["detail"] == test_amm.E_SLIPPAGE
    assert body["fuel_used"] is None and body["custody"] == [] and body["storage"] == []
    assert body["return_data"] is None
    # Settled as if there were no message: the stand-in input's A goes to output 0.
    assert body["credits"] == [{"vout": 0, "asset": ident(cworld.pool.a), "amount": "5000"}]


def test_little_fuel_runs_out(http: httpx.Client, cworld: ContractWorld) -> None:
    body = simulate(http, cworld, swap_body(5_000, fuel=100)).json()
    assert body["accepted"] is False and body["reason"]["name"] == "out_of_fuel"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (swap_body(5_000, fuel=10_000_001), 400, "invalid_fuel"),
        (swap_body(5_000, fuel=0), 400, "invalid_fuel"),
        ({"input": "ab" * 65_537}, 400, "invalid_input"),
        ({"input": "abc"}, 400, "invalid_input"),
        ({"assets": [{"asset": "1:1:0", "amount": 1}]}, 400, "invalid_asset"),
        ({"assets": [{"asset": "1:1", "amount": 0}]}, 400, "invalid_amount"),
        ({"assets": [{"asset": "1:1", "amount": 1}] * 2}, 422, "duplicate_asset"),
        ({"outputs": [{"value": 1}]}, 400, "invalid_body"),
        ({"inputs": ["zz"]}, 400, "invalid_outpoint"),
        ({"assets": [{"asset": "9:9:1", "amount": 1}]}, 404, "asset_not_found"),
    ],
)
def test_bad_simulations(
    http: httpx.Client, cworld: ContractWorld, body: dict[str, object], status: int, code: str
) -> None:
    response = simulate(http, cworld, body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_simulating_no_contract_or_no_json(http: httpx.Client) -> None:
    missing = http.post("/v1/contracts/7:7/simulate", json={})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "contract_not_found")
    bad_id = http.post("/v1/contracts/x/simulate", json={})
    assert (bad_id.status_code, bad_id.json()["error"]["code"]) == (400, "invalid_contract")
    headers = {"content-type": "application/json"}
    not_json = http.post("/v1/contracts/7:7/simulate", content=b"{", headers=headers)
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "invalid_json")


def test_schemathesis_on_the_contract_routes_of_a_world_with_a_contract(
    http: httpx.Client,
) -> None:
    """The document's contract routes, every check, against a store where the contract
    exists, so positive data reaches the engine (simulations that trap are answers, not
    errors)."""
    run = schemathesis_run(
        str(http.base_url).rstrip("/"),
        "--include-path-regex",
        "^/v1/(contracts|compose/(call|publish))",
    )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]


def test_compose_spends_an_input_holding_contract_assets(
    http: httpx.Client, cworld: ContractWorld
) -> None:
    """The wallet output holds A, B and the pool's LP shares (a 12-byte asset); a transfer of
    A from it leaves B and the LP shares on the change, checked by the v2 machine's dry run."""
    pool = cworld.pool
    wallet = cworld.swap.outputs[0]
    lp = ident((*pool.amm, 1))
    body = {
        "funding": [
            {
                "outpoint": f"{cworld.swap.txid[::-1].hex()}:0",
                "value": wallet.value,
                "script_pubkey": wallet.script.hex(),
                "tokens": [ident(pool.a), ident(pool.b), lp],
            },
            {"outpoint": "cc" * 32 + ":0", "value": 100_000, "script_pubkey": ALICE.hex()},
        ],
        "transfers": [{"token": ident(pool.a), "amount": "100", "address": address(ALICE)}],
        "change_address": address(BOB),
        "fee_rate": 2,
    }
    response = http.post("/v1/compose/transfer", json=body)
    assert response.status_code == 200, response.text
    change = response.json()["outputs"][-1]
    assert change["role"] == "change"
    held = {b["token"]: b["amount"] for b in change["balances"]}
    # README formulas: 10^9 LP minted, 1,000 locked; A: premine - 10^9 - 1,000 - 100 sent.
    assert held == {
        ident(pool.a): str(test_amm.PREMINE - 10**9 - SWAP_IN - 100),
        ident(pool.b): str(test_amm.PREMINE - 10**9 + SWAP_OUT),
        lp: str(10**9 - 1_000),
    }


#: A swap asking for at least 10^6 out: the AMM aborts it (E_SLIPPAGE).
SLIPPING_SWAP = bytes([test_amm.SWAP]) + u128(10**6) + u32(0)


def call_body(cworld: ContractWorld, amount: int, min_out: int = 0) -> dict[str, object]:
    """Compose a swap of ``amount`` A from the wallet output, paid to output 0 (the change)."""
    pool, wallet = cworld.pool, cworld.swap.outputs[0]
    data = bytes([test_amm.SWAP]) + u128(min_out) + u32(0)
    return {
        "contract": ident(pool.amm),
        "input": data.hex(),
        "assets": [{"asset": ident(pool.a), "amount": str(amount)}],
        "funding": [
            {
                "outpoint": f"{cworld.swap.txid[::-1].hex()}:0",
                "value": wallet.value,
                "script_pubkey": wallet.script.hex(),
                "tokens": [ident(pool.a), ident(pool.b), ident((*pool.amm, 1))],
            },
            {"outpoint": "cc" * 32 + ":0", "value": 100_000, "script_pubkey": ALICE.hex()},
        ],
        "change_address": address(BOB),
        "fee_rate": 2,
    }


def test_compose_call_of_a_swap(http: httpx.Client, cworld: ContractWorld) -> None:
    pool = cworld.pool
    response = http.post("/v1/compose/call", json=call_body(cworld, 5_000))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [o["role"] for o in body["outputs"]] == ["change", "carrier"]
    assert body["message"]["pointer"] == 0
    assert body["simulation"]["accepted"] is True
    held = {b["token"]: b["amount"] for b in body["outputs"][0]["balances"]}
    # 4,984 B out, as in the simulation test (same reserves, same formula).
    assert held == {
        ident(pool.a): str(test_amm.PREMINE - 10**9 - SWAP_IN - 5_000),
        ident(pool.b): str(test_amm.PREMINE - 10**9 + SWAP_OUT + 4_984),
        ident((*pool.amm, 1)): str(10**9 - 1_000),
    }
    psbt = read_psbt(body["psbt"])
    assert psbt.tx.outputs[0].script == BOB and psbt.tx.outputs[1].script[:1] == b"\x6a"
    assert display(psbt.tx.txid) == body["txid"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"input": SLIPPING_SWAP.hex()}, 422, "would_be_rejected"),
        ({"assets": [{"asset": "", "amount": str(10**15)}]}, 422, "insufficient_token_balance"),
        ({"contract": "7:7"}, 404, "contract_not_found"),
        ({"contract": "7"}, 400, "invalid_contract"),
        ({"fuel": 10_000_001}, 400, "invalid_fuel"),
    ],
)
def test_compose_call_refusals(
    http: httpx.Client, cworld: ContractWorld, change: dict[str, object], status: int, code: str
) -> None:
    body = {**call_body(cworld, 5_000), **change}
    assets = body["assets"]
    assert isinstance(assets, list)
    if assets[0]["asset"] == "":
        assets[0]["asset"] = ident(cworld.pool.a)
    response = http.post("/v1/compose/call", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
