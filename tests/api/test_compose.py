"""PSBT composition against the store of tests/api/world.py: layouts, fees and refusals.

PSBTs are read back with tests/api/psbt_reader.py (written from BIP174, not the library the
API uses), and message bytes are built by the protocol tests' own CBOR helpers.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.compose import ComposeRequest, Funding, PlannedOutput, _verify, carrier_script
from api.context import ApiContext
from api.errors import ApiError
from api.psbt import SpentOutput, unsigned_tx
from api.server import ServerThread
from protocol.contracts import v1_machine
from tests.api.conftest import SETTINGS
from tests.api.psbt_reader import read_psbt
from tests.api.world import ALICE, BOB, DAVE, ISSU, ROOT, World, address, display, point
from tests.protocol.builders import burn, mint, transfer
from tests.vectorgen.payloads import message

COIN = "cc" * 32 + ":0"  # a plain bitcoin UTXO the protocol knows nothing about
P2WSH = b"\x00\x20" + bytes(32)


def funding(world: World, name: str, vout: int, *tokens: str) -> dict[str, Any]:
    return {
        "outpoint": point(world.txs[name], vout),
        "value": 10_000,  # what tests.protocol.builders puts on every output
        "address": address(ALICE),
        "tokens": list(tokens),
    }


def coin(value: int = 100_000) -> dict[str, Any]:
    return {"outpoint": COIN, "value": value, "script_pubkey": ALICE.hex()}


def compose(client: httpx.Client, kind: str, **body: Any) -> httpx.Response:
    body.setdefault("change_address", address(ALICE))
    body.setdefault("fee_rate", 2)
    return client.post(f"/v1/compose/{kind}", json=body)


def check_fee(body: dict[str, Any], rate: int) -> None:
    """The fee covers the signed size (64-byte Schnorr signatures) at the rate, barely over."""
    psbt = read_psbt(body["psbt"])
    signed_weight = len(psbt.unsigned) * 4 + 2 + len(psbt.tx.inputs) * (1 + 1 + 64)
    vsize = -(-signed_weight // 4)
    assert rate * vsize <= body["fee"] <= rate * (vsize + 2 * len(psbt.tx.inputs))
    spent = sum(psbt.witness_utxo(i)[0] for i in range(len(psbt.tx.inputs)))
    assert spent == sum(o.value for o in psbt.tx.outputs) + body["fee"]


def test_transfer_layout_message_and_psbt(client: httpx.Client, world: World) -> None:
    response = compose(
        client,
        "transfer",
        funding=[funding(world, "E", 1, ROOT), coin()],
        transfers=[{"token": "ROOT", "amount": "250", "address": address(BOB)}],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    psbt = read_psbt(body["psbt"])
    assert [display(i.prev_txid) + f":{i.prev_vout}" for i in psbt.tx.inputs] == [
        point(world.txs["E"], 1),
        COIN,
    ]
    assert [psbt.witness_utxo(i) for i in range(2)] == [(10_000, ALICE), (100_000, ALICE)]
    payload = message(transfer((1, 1), 250, 1), pointer=2)
    assert body["payload"] == payload.hex()
    outputs = psbt.tx.outputs
    assert outputs[0].script == b"\x6a\x06rstate" + bytes([len(payload)]) + payload
    assert (outputs[0].value, outputs[1].value, outputs[1].script) == (0, 330, BOB)
    assert outputs[2].script == ALICE and len(outputs) == 3
    assert [
        (o["role"], [(b["token"], b["amount"]) for b in o["balances"]]) for o in body["outputs"]
    ] == [
        ("carrier", []),
        ("recipient", [(ROOT, "250")]),
        ("change", [(ROOT, "450")]),
    ]
    assert body["txid"] == display(psbt.tx.txid)
    assert body["valid_from_height"] == 5
    check_fee(body, 2)


def test_burn_and_mints(client: httpx.Client, world: World) -> None:
    burned = compose(
        client, "burn", funding=[funding(world, "E", 1, ROOT), coin()], token=ROOT, amount=100
    )
    assert burned.status_code == 200, burned.text
    assert burned.json()["payload"] == message(burn((1, 1), 100), pointer=1).hex()
    assert [b["amount"] for b in burned.json()["outputs"][1]["balances"]] == ["600"]
    opened = compose(client, "mint", funding=[coin()], token="ROOT", address=address(DAVE))
    assert opened.status_code == 200, opened.text
    assert opened.json()["payload"] == message(mint((1, 1), 1000, 1), pointer=2).hex()
    check_fee(opened.json(), 2)
    issued = compose(
        client,
        "mint",
        funding=[funding(world, "D", 2, ISSU), coin()],
        token="3:1",
        amount="50",
        address=address(BOB),
        fee_rate=1.5,
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["payload"] == message(mint((3, 1), 50, 1), pointer=2).hex()
    assert [(o["role"], o["authorities"]) for o in body["outputs"]][1:] == [
        ("recipient", []),
        ("change", [ISSU]),  # the authority stays with the caller
    ]
    assert [b["amount"] for b in body["outputs"][1]["balances"]] == ["50"]


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        ("transfer", {"funding": [("D", 1)], "transfers": "ROOT 1"}, (422, "undeclared_tokens")),
        ("transfer", {"funding": [("D", 2)], "transfers": "ROOT 1"}, (422, "undeclared_tokens")),
        (
            "transfer",
            {"funding": [("E", 1, ROOT, ISSU)], "transfers": "ROOT 1"},
            (422, "declared_tokens_missing"),
        ),
        (
            "transfer",
            {"funding": [("E", 1, ROOT)], "transfers": "ROOT 800"},
            (422, "insufficient_token_balance"),
        ),
        (
            "transfer",
            {"funding": [("E", 1, ROOT)], "transfers": "NOPE 1"},
            (404, "token_not_found"),
        ),
        (
            "transfer",
            {"funding": [("E", 1, ROOT)], "transfers": "ROOT 1", "fee_rate": 1000},
            (422, "insufficient_funds"),
        ),
        (
            "burn",
            {"funding": [("E", 1, ROOT)], "token": ROOT, "amount": 701},
            (422, "insufficient_token_balance"),
        ),
        ("mint", {"funding": [], "token": "ROOT", "amount": 5}, (422, "invalid_amount")),
        ("mint", {"funding": [], "token": "ISSU", "amount": 5}, (422, "authority_not_spent")),
        ("mint", {"funding": [("D", 2, ISSU)], "token": "ISSU"}, (422, "invalid_amount")),
        (
            "mint",
            {"funding": [("D", 2, ISSU)], "token": "ISSU", "amount": 9_600},
            (422, "would_be_rejected"),
        ),
    ],
)
def test_refusals(
    client: httpx.Client, world: World, kind: str, fields: dict[str, Any], expected: tuple[int, str]
) -> None:
    status, code = expected
    body = dict(fields)
    body["funding"] = [funding(world, *spec) for spec in fields["funding"]] + [coin()]
    if isinstance(body.get("transfers"), str):
        token, amount = body["transfers"].split()
        body["transfers"] = [{"token": token, "amount": amount, "address": address(BOB)}]
    if kind == "mint":
        body["address"] = address(BOB)
    response = compose(client, kind, **body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    if code == "would_be_rejected":
        assert "supply_exceeded" in response.json()["error"]["message"]


def test_the_machine_check_refuses_a_layout_that_would_burn(world: World) -> None:
    """The last line of defence: a plan with no spendable output for the leftovers."""
    spent = SpentOutput(world.txs["E"].txid + (1).to_bytes(4, "big"), 10_000, ALICE)
    payload = message()
    carrier = PlannedOutput("carrier", 0, carrier_script(payload))
    raw = unsigned_tx([spent], [(0, carrier.script)])
    request = ComposeRequest((Funding(spent, frozenset()),), ALICE, fee_rate=Fraction(1))
    with world.store.read() as view, pytest.raises(ApiError) as caught:
        _verify(view, v1_machine(), raw, request, [carrier])
    assert caught.value.code == "would_burn"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"fee_rate": 0}, "invalid_fee_rate"),
        # Below the default minimum relay fee of 1 sat/vB: nodes would not relay it.
        ({"fee_rate": 1e-9}, "invalid_fee_rate"),
        ({"fee_rate": 0.999}, "invalid_fee_rate"),
        # Each value is within the money range, their sum (2 x 21M BTC) is not.
        (
            {
                "funding": [
                    coin(21_000_000 * 10**8),
                    {**coin(21_000_000 * 10**8), "outpoint": "ab" * 32 + ":1"},
                ]
            },
            "value_out_of_range",
        ),
        ({"funding": [coin(21_000_000 * 10**8 + 1)]}, "invalid_body"),
        ({"fee_rate": "2"}, "invalid_fee_rate"),
        ({"fee_rate": True}, "invalid_fee_rate"),
        ({"fee_rate": 10_001}, "invalid_fee_rate"),
        ({"change_address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}, "invalid_address"),
        ({"funding": []}, "invalid_body"),
        ({"funding": [{"outpoint": COIN, "value": 1}]}, "invalid_body"),
        ({"funding": [{"outpoint": "x", "value": 1, "address": "y"}]}, "invalid_outpoint"),
        ({"funding": [{**coin(), "value": -5}]}, "invalid_body"),
        ({"funding": [{**coin(), "value": 5.5}]}, "invalid_body"),
        ({"funding": [{**coin(), "tokens": ["ROOT"]}]}, "invalid_token"),
        ({"funding": [{**coin(), "script_pubkey": P2WSH.hex()}]}, "unsupported_input"),
        (
            {"funding": [{**coin(), "script_pubkey": "76a914" + "00" * 20 + "88ac"}]},
            "prev_tx_required",
        ),
        ({"funding": [{**coin(), "script_pubkey": "ab cd"}]}, "invalid_script"),
        ({"funding": [{**coin(), "value": "5"}]}, "invalid_body"),
        ({"funding": [{**coin(), "script_pubkey": "zz"}]}, "invalid_script"),
        ({"funding": [coin(), coin()]}, "duplicate_input"),
        ({"funding": [{**coin(), "prev_tx": "00"}]}, "invalid_prev_tx"),
        ({"transfers": []}, "invalid_body"),
        ({"transfers": [{"token": ROOT, "amount": 0, "address": address(BOB)}]}, "invalid_amount"),
        (
            {"transfers": [{"token": ROOT, "amount": "1e3", "address": address(BOB)}]},
            "invalid_amount",
        ),
        (
            {"transfers": [{"token": ROOT, "amount": 1, "address": address(BOB), "value": 10}]},
            "value_below_dust",
        ),
        # 329 sats to a P2TR output: one below Bitcoin Core's dust threshold (43 vB output + 67 vB
        # to spend it, at 3 sat/vB = 330, worked out by hand).
        (
            {"transfers": [{"token": ROOT, "amount": 1, "address": address(BOB), "value": 329}]},
            "value_below_dust",
        ),
        ({"transfers": [{"token": "1:x", "amount": 1, "address": address(BOB)}]}, "invalid_token"),
    ],
)
def test_malformed_requests_are_refused(
    client: httpx.Client, change: dict[str, Any], code: str
) -> None:
    """400 for what the OpenAPI document does not describe, 422 for what it does but cannot
    be (inputs summing past the money range, dust, a duplicate, an inconsistent prev_tx)."""
    body: dict[str, Any] = {
        "funding": [coin()],
        "transfers": [{"token": ROOT, "amount": 1, "address": address(BOB)}],
        "fee_rate": 2,
        "change_address": address(ALICE),
        **change,
    }
    response = client.post("/v1/compose/transfer", json=body)
    assert response.status_code == (422 if code in WELL_FORMED_REFUSALS else 400), response.text
    assert response.json()["error"]["code"] == code


WELL_FORMED_REFUSALS = {
    "value_out_of_range",
    "value_below_dust",
    "duplicate_input",
    "unsupported_input",
    "prev_tx_required",
    "invalid_prev_tx",
}


def test_input_weight_makes_any_script_spendable(client: httpx.Client) -> None:
    body = {
        "funding": [
            {"outpoint": COIN, "value": 50_000, "script_pubkey": P2WSH.hex(), "input_weight": 500}
        ],
        "token": "ROOT",
        "address": address(DAVE),
    }
    response = compose(client, "mint", **body)
    assert response.status_code == 200, response.text
    assert read_psbt(response.json()["psbt"]).witness_utxo(0) == (50_000, P2WSH)


def test_the_minimum_relay_fee_is_a_setting(world: World) -> None:
    settings = replace(SETTINGS, min_fee_rate=Fraction(1, 10))
    with (
        ServerThread(create_app(ApiContext(world.store, settings))) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):

        def error_at(rate: float) -> dict[str, str]:
            body = {
                "funding": [{**coin(), "outpoint": "cd" * 32 + ":0"}],
                "transfers": [{"token": ROOT, "amount": 1, "address": address(BOB)}],
                "fee_rate": rate,
                "change_address": address(ALICE),
            }
            error: dict[str, str] = http.post("/v1/compose/transfer", json=body).json()["error"]
            return error

        low = error_at(0.05)
        assert low["code"] == "invalid_fee_rate" and "0.1" in low["message"]
        # 0.1 passes the fee check; the coin carries no ROOT, so the token check refuses.
        assert error_at(0.1)["code"] == "insufficient_token_balance"
