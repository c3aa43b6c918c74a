"""End to end: token operations and hostile payloads mined on a real node, then indexed.

The module's node gets the chain of tests/regtest/e2e_story.py: deploys (open mint by
OP_RETURN, issuer authority by a multi-chunk envelope), mints, transfers and burns through
both carriers, token UTXOs and an authority spent without a message, and a block of hostile
payloads. It is indexed once in this process; the tests read the store, ``rootstate serve``
over it, and a second index by the ``rootstate index`` command. Every expected number is
worked out by hand from spec §6-§8; nothing is computed by the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from regtest.client import NodeRpc
from regtest.launch import NodeKind
from regtest.payloads import token_of
from tests.regtest.e2e import (
    AUTHORITY,
    BURN,
    CREDIT,
    DEBIT,
    E_AMOUNT,
    E_CAUSE,
    E_OUTPOINT,
    E_TYPE,
    LocalIndexer,
    RootstateProcess,
    authorities_at,
    balances_at,
    module_node,
    outpoint_bytes,
    read_store,
    rejection_of,
    run_to_height,
    serve_api,
    snapshot,
    ticker_owner,
    token_bytes,
    token_record,
    tx_events,
)
from tests.regtest.e2e_story import ISSUE_MAX, ISSUE_MINT, Story, StoryBuilder

pytestmark = pytest.mark.regtest


@pytest.fixture(scope="module")
def story(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    with module_node(node_kind, tmp_path_factory, "e2e-tokens") as regtest:
        info = regtest.info
        node = NodeRpc.connect(info)
        build = StoryBuilder(node)
        open_token, issue_token = build.deploys()
        build.mints(open_token, issue_token)
        build.moves(open_token, issue_token)
        build.hostile_block(open_token, issue_token)
        big_token = token_of(node, build.txs["big_op_return"])
        store_dir = tmp_path_factory.mktemp("e2e-tokens-store")
        with LocalIndexer(info, store_dir) as indexer:
            tip = indexer.catch_up()
            assert tip.block_hash[::-1].hex() == node.best_block_hash()
        reader = read_store(store_dir)
        try:
            yield Story(
                node=node,
                info=info,
                reader=reader,
                store_dir=store_dir,
                bob=build.bob,
                carol=build.carol,
                open_token=open_token,
                issue_token=issue_token,
                big_token=big_token,
                txs=build.txs,
                hostile_reasons=build.hostile,
            )
        finally:
            reader.close()
            node.close()


def _op(story: Story, name: str, vout: int) -> bytes:
    return outpoint_bytes(story.txs[name], vout)


def test_deploys_through_both_carriers(story: Story) -> None:
    with story.reader.read() as view:
        open_record = token_record(view, story.open_token)
        issue_record = token_record(view, story.issue_token)
        assert ticker_owner(view, "OPEN") == token_bytes(story.open_token)
        assert ticker_owner(view, "ISSUE") == token_bytes(story.issue_token)
    assert open_record is not None and issue_record is not None
    # spec §9.4: ticker, decimals, max supply, minted, burned, mints, terms | authority, txid.
    assert open_record[0] == "OPEN"
    assert (open_record[2], open_record[6]) == (10**6, {0: 1_000, 1: 100})
    assert open_record[8] == story.txs["deploy_open"].txid
    assert 7 not in open_record
    assert (issue_record[0], issue_record[2]) == ("ISSUE", ISSUE_MAX)
    assert issue_record[8] == story.txs["deploy_issuer"].txid
    assert 6 not in issue_record


def test_supply_counts_after_mints_and_burns(story: Story) -> None:
    with story.reader.read() as view:
        open_record = token_record(view, story.open_token)
        issue_record = token_record(view, story.issue_token)
    assert open_record is not None and issue_record is not None
    assert (open_record[3], open_record[4], open_record[5]) == (2_000, 300, 2)
    assert (issue_record[3], issue_record[4], issue_record[5]) == (500 + ISSUE_MINT, 2**69, 1)
    # The authority moved twice: with the mint's message, then without a message.
    assert issue_record[7] == _op(story, "authority_plain", 0)


def test_balances_per_outpoint(story: Story) -> None:
    open_id, issue_id = token_bytes(story.open_token), token_bytes(story.issue_token)
    expected = {
        ("unsupported_version", 1): {open_id: 600},  # rejected: pointer ignored
        ("transfer_env", 1): {open_id: 150},
        ("transfer_env", 0): {open_id: 250},
        ("burn_env", 0): {open_id: 700},
        ("plain_spend", 0): {issue_id: 500},
        ("burn_or", 1): {issue_id: 2**69},
    }
    spent = [
        ("mint_or", 1),
        ("mint_env", 0),
        ("transfer_or", 1),
        ("transfer_or", 2),
        ("deploy_issuer", 1),
        ("mint_issuer", 2),
        ("unsupported_version", 2),
    ]
    with story.reader.read() as view:
        for (name, vout), balances in expected.items():
            assert balances_at(view, story.txs[name], vout) == balances, (name, vout)
        for name, vout in spent:
            assert balances_at(view, story.txs[name], vout) == {}, (name, vout)
        assert authorities_at(view, story.txs["authority_plain"], 0) == [issue_id]
        assert authorities_at(view, story.txs["mint_issuer"], 1) == []
        assert authorities_at(view, story.txs["deploy_issuer"], 0) == []


def test_balances_per_address(story: Story) -> None:
    open_id, issue_id = token_bytes(story.open_token), token_bytes(story.issue_token)
    with story.reader.read() as view:
        bob = view.script_balances(story.bob.p2tr_script)
        carol = view.script_balances(story.carol.p2wpkh_script)
        carol_taproot = view.script_balances(story.carol.p2tr_script)
        carol_outpoints = set(view.outpoints_of_script(story.carol.p2wpkh_script))
    assert bob == [(open_id, 750)]
    assert carol == [(open_id, 950), (issue_id, 500 + 2**69)]
    assert carol_taproot == []
    assert carol_outpoints == {
        _op(story, "burn_env", 0),
        _op(story, "transfer_env", 0),
        _op(story, "plain_spend", 0),
        _op(story, "burn_or", 1),
    }


def test_token_utxo_spent_without_message_moves_to_first_output(story: Story) -> None:
    with story.reader.read() as view:
        events = tx_events(view, story.txs["plain_spend"])
        assert rejection_of(view, story.txs["plain_spend"]) is None
    kinds = [(e[E_TYPE], e.get(E_OUTPOINT), e.get(E_AMOUNT)) for e in events]
    assert kinds == [
        (DEBIT, _op(story, "deploy_issuer", 1), 500),
        (CREDIT, _op(story, "plain_spend", 0), 500),
    ]


def test_authority_spent_without_message_moves_to_first_output(story: Story) -> None:
    with story.reader.read() as view:
        events = tx_events(view, story.txs["authority_plain"])
    assert [(e[E_TYPE], e.get(E_OUTPOINT)) for e in events] == [
        (AUTHORITY, _op(story, "authority_plain", 0))
    ]


def test_burn_events_name_their_cause(story: Story) -> None:
    with story.reader.read() as view:
        burns = [
            (e[E_AMOUNT], e[E_CAUSE])
            for name in ("burn_env", "burn_or")
            for e in tx_events(view, story.txs[name])
            if e[E_TYPE] == BURN
        ]
    assert burns == [(300, 0), (2**69, 0)]


HOSTILE = [
    "non_canonical",
    "float",
    "truncated_cbor",
    "two_op_returns",
    "op_return_and_envelope",
    "malformed_carrier",
    "malformed_envelope",
    "unsupported_version",
    "insufficient_balance",
    "wrong_mint_amount",
    "ticker_taken",
    "amount_above_u128",
    "unknown_operation",
    "invalid_ticker",
    "unauthorized",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_payload_is_rejected_with_its_reason(story: Story, name: str) -> None:
    with story.reader.read() as view:
        reason = rejection_of(view, story.txs[name])
    assert reason == story.hostile_reasons[name]


@pytest.mark.parametrize(
    "name", ["annex", "ord_envelope", "pushdata_magic_envelope", "pushdata_magic_op_return"]
)
def test_lookalike_carriers_are_not_messages(story: Story, name: str) -> None:
    with story.reader.read() as view:
        assert view.transaction(story.txs[name].txid) == []
        for ticker in ("ANNEX", "ORDX", "PUSHD", "COINB"):
            assert ticker_owner(view, ticker) is None


def test_big_op_return_payload_deploys(story: Story) -> None:
    with story.reader.read() as view:
        record = token_record(view, story.big_token)
        [entry] = view.transaction(story.txs["big_op_return"].txid)
    assert record is not None and record[0] == "BIGOR"
    assert entry.payload is not None and len(entry.payload) > 5_000


def test_rootstate_index_command_derives_the_same_state(story: Story, tmp_path: Path) -> None:
    """The CLI, started cold on the finished chain, agrees with the in-process index."""
    with story.reader.read() as view:
        expected = snapshot(view)
    process = RootstateProcess(story.info, tmp_path, flags=("--batch-blocks=7",))
    assert run_to_height(process, expected.tip.height) == expected


# --- the same answers through `rootstate serve` ---------------------------------------------


@pytest.fixture(scope="module")
def api(story: Story) -> Iterator[httpx.Client]:
    server, url = serve_api(story.info, story.store_dir)
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            yield http
    finally:
        assert server.terminate() == 0, server.log_tail()


def _amounts(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(entry["ticker"], entry["amount"]) for entry in entries]


def _text(story: Story, name: str, vout: int) -> str:
    return f"{story.txs[name].txid_hex}:{vout}"


def test_api_serves_balances_per_outpoint(story: Story, api: httpx.Client) -> None:
    body = api.get(f"/v1/outpoints/{_text(story, 'unsupported_version', 1)}").json()
    assert _amounts(body["balances"]) == [("OPEN", "600")]
    assert body["address"] == story.bob.p2tr_address
    batch = [
        _text(story, "burn_or", 1),
        _text(story, "authority_plain", 0),
        _text(story, "mint_or", 1),
    ]
    answers = api.post("/v1/outpoints", json={"outpoints": batch}).json()["outpoints"]
    issue_text = f"{story.issue_token[0]}:{story.issue_token[1]}"
    assert [(_amounts(a["balances"]), a["authorities"]) for a in answers] == [
        ([("ISSUE", str(2**69))], []),
        ([], [issue_text]),
        ([], []),  # spent
    ]


def test_api_serves_balances_per_address(story: Story, api: httpx.Client) -> None:
    bob = api.get(f"/v1/addresses/{story.bob.p2tr_address}/balances").json()
    carol = api.get(f"/v1/addresses/{story.carol.p2wpkh_address}/balances").json()
    assert _amounts(bob["balances"]) == [("OPEN", "750")]
    assert _amounts(carol["balances"]) == [("OPEN", "950"), ("ISSUE", str(500 + 2**69))]
    assert {entry["outpoint"] for entry in carol["outpoints"]} == {
        _text(story, "burn_env", 0),
        _text(story, "transfer_env", 0),
        _text(story, "plain_spend", 0),
        _text(story, "burn_or", 1),
    }


def test_api_serves_tokens(story: Story, api: httpx.Client) -> None:
    issue = api.get("/v1/tokens/ISSUE").json()
    assert issue["id"] == f"{story.issue_token[0]}:{story.issue_token[1]}"
    assert (issue["kind"], issue["max_supply"]) == ("issuer", str(ISSUE_MAX))
    assert (issue["minted"], issue["burned"]) == (str(500 + ISSUE_MINT), str(2**69))
    assert issue["authority"] == _text(story, "authority_plain", 0)
    open_token = api.get(f"/v1/tokens/{story.open_token[0]}:{story.open_token[1]}").json()
    assert (open_token["ticker"], open_token["mints"], open_token["supply"]) == ("OPEN", 2, "1700")
    assert api.get("/v1/tokens/COINB").status_code == 404


@pytest.mark.parametrize("name", HOSTILE)
def test_api_explains_rejections(story: Story, api: httpx.Client, name: str) -> None:
    body = api.get(f"/v1/txs/{story.txs[name].txid_hex}").json()
    assert body["status"] == "rejected"
    assert body["reason"]["code"] == story.hostile_reasons[name]


def test_api_status_is_the_store_tip(story: Story, api: httpx.Client) -> None:
    indexed = api.get("/v1/status").json()["indexed"]
    assert indexed["hash"] == story.node.best_block_hash()
    assert indexed["height"] == story.node.block_count()
    with story.reader.read() as view:
        tip = view.tip()
    assert tip is not None and indexed["state_hash"] == tip.state_hash.hex()
