"""State proofs served over HTTP (spec §25), checked with the pure verifier against the root
that the block record reports and that the vector generator's reference recomputes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from protocol.tree_proof import ProofError, verify
from tests.api.world import ALICE, ISSU, ROOT, World, address, point
from tests.vectorgen.state_root import state_root


def checked(body: dict[str, Any], key: bytes) -> bytes | None:
    """Verify ``body``'s proof of ``key`` against its anchor's root; returns the value."""
    proof = body["proof"]
    assert proof["key"] == key.hex()
    value = None if proof["value"] is None else bytes.fromhex(proof["value"])
    verify(bytes.fromhex(body["anchor"]["state_root"]), key, value, bytes.fromhex(proof["proof"]))
    return value


def test_the_anchor_is_the_tip_and_its_root_is_the_whole_state_root(
    client: httpx.Client, world: World
) -> None:
    with world.store.read() as view:
        state = dict(view.state_items())
        tip = view.tip()
    assert tip is not None
    absent_token = b"\x02" + bytes(8)
    body = client.get(f"/v1/proofs/state/{absent_token.hex()}").json()
    block = client.get(f"/v1/blocks/{tip.height}").json()
    assert body["anchor"] == {
        "height": tip.height,
        "block_hash": block["hash"],
        "state_hash": block["state_hash"],
        "state_root": block["state_root"],
    }
    assert bytes.fromhex(block["state_root"]) == state_root(state)
    assert checked(body, absent_token) is None


def test_outpoint_proofs_show_its_record_or_its_absence(client: httpx.Client, world: World) -> None:
    op = point(world.txs["E"], 1)
    body = client.get(f"/v1/proofs/outpoints/{op}").json()
    txid, vout = op.split(":")
    key = b"\x01" + bytes.fromhex(txid)[::-1] + int(vout).to_bytes(4, "big")
    assert checked(body, key) is not None
    assert body["balances"][0]["amount"] == "700"
    gone = client.get(f"/v1/proofs/outpoints/{'ab' * 32}:0").json()
    assert checked(gone, b"\x01" + bytes.fromhex("ab" * 32) + bytes(4)) is None
    assert gone["balances"] == []


def test_token_and_storage_proofs(client: httpx.Client) -> None:
    token = client.get(f"/v1/proofs/tokens/{ROOT}").json()
    assert checked(token, b"\x02" + (1).to_bytes(4, "big") + (1).to_bytes(4, "big")) is not None
    slot = "11" * 32
    storage = client.get(f"/v1/proofs/contracts/5:2/storage/{slot}").json()
    key = b"\x06" + (5).to_bytes(4, "big") + (2).to_bytes(4, "big") + bytes.fromhex(slot)
    assert checked(storage, key) is None  # no contract storage in this world


def test_a_proof_does_not_verify_for_another_value(client: httpx.Client) -> None:
    body = client.get(f"/v1/proofs/tokens/{ISSU}").json()
    root = bytes.fromhex(body["anchor"]["state_root"])
    with pytest.raises(ProofError):
        verify(
            root,
            bytes.fromhex(body["proof"]["key"]),
            b"\xa0",
            bytes.fromhex(body["proof"]["proof"]),
        )


def test_address_balances_with_proofs(client: httpx.Client) -> None:
    url = f"/v1/addresses/{address(ALICE)}/balances"
    plain = client.get(url).json()
    body = client.get(url, params={"proofs": "true"}).json()
    assert "anchor" not in plain and all("proof" not in o for o in plain["outpoints"])
    assert len(body["outpoints"]) == 3
    for outpoint in body["outpoints"]:
        txid, vout = outpoint["outpoint"].split(":")
        key = b"\x01" + bytes.fromhex(txid)[::-1] + int(vout).to_bytes(4, "big")
        assert checked({"anchor": body["anchor"], "proof": outpoint["proof"]}, key) is not None


@pytest.mark.parametrize(
    ("url", "code"),
    [
        (f"/v1/addresses/{address(ALICE)}/balances?proofs=yes", "invalid_proofs"),
        ("/v1/proofs/contracts/5:2/storage/11", "invalid_slot"),
        ("/v1/proofs/contracts/5/storage/" + "11" * 32, "invalid_contract"),
        ("/v1/proofs/tokens/ROOT", "invalid_token"),
        ("/v1/proofs/state/0", "invalid_key"),
        ("/v1/proofs/state/" + "00" * 257, "invalid_key"),
        ("/v1/proofs/outpoints/xyz:0", "invalid_outpoint"),
    ],
)
def test_malformed_requests_are_400(client: httpx.Client, url: str, code: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
