"""Status, blocks and probes, against the hand-checked history of tests/api/world.py."""

from __future__ import annotations

import httpx
import pytest

from tests.api.world import World, block_hash, display


def test_status_reports_the_indexed_tip(client: httpx.Client, world: World) -> None:
    body = client.get("/v1/status").json()
    tip = world.store.tip()
    assert tip is not None
    assert body["network"] == "regtest"
    assert body["protocol_version"] == 1
    assert body["activation_height"] == 1
    assert body["indexed"] == {
        "height": 4,
        "hash": display(block_hash(4)),
        "state_hash": tip.state_hash.hex(),
    }
    # No node is attached to this app: what is unknown is null, not made up.
    assert body["node"] == {"height": None, "error": None, "checked_at": None}
    assert body["lag_blocks"] is None and body["sync_progress"] is None
    assert body["undo"] == {"depth": 10, "oldest_height": 1}
    assert body["last_reorg"] is None


def test_a_block_by_height_and_by_hash(client: httpx.Client, world: World) -> None:
    by_height = client.get("/v1/blocks/2").json()
    assert by_height["height"] == 2
    assert by_height["hash"] == display(block_hash(2))
    assert by_height["event_count"] == 4  # B and C: a mint and a credit each
    assert client.get(f"/v1/blocks/{display(block_hash(2))}").json() == by_height
    assert client.get(f"/v1/blocks/{display(block_hash(2)).upper()}").json() == by_height


@pytest.mark.parametrize(
    ("ident", "status", "code"),
    [
        ("99", 404, "block_not_found"),
        (display(block_hash(99)), 404, "block_not_found"),
        ("4294967296", 400, "invalid_block_id"),
        ("12345678901234", 400, "invalid_block_id"),
        ("tip", 400, "invalid_block_id"),
        ("-1", 400, "invalid_block_id"),
        ("ab" * 31, 400, "invalid_block_id"),
    ],
)
def test_bad_block_ids(client: httpx.Client, ident: str, status: int, code: str) -> None:
    response = client.get(f"/v1/blocks/{ident}")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_probes(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "height": 4, "lag_blocks": None}
