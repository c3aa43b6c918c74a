"""End to end: the example contracts published by envelope and called on a real node, indexed.

One chain per node kind (tests/regtest/e2e_contracts.py builds it): the AMM, OTC and vesting
examples published by envelope; liquidity added, a swap each way, a swap failing its minimum,
liquidity removed; an OTC offer, a take that underpays and one that pays the seller; vesting
releases before the cliff, at it, midway and after the end. The chain is indexed once; the
tests read the store, and the token routes of ``rootstate serve`` over it. Amounts are worked
out by hand from contracts/README.md (fee 30 bps):

- add 1,000,000 A + 4,000,000 B: shares isqrt(4 * 10^12) = 2,000,000, 1,000 locked in custody;
- swap 10,000 A: fee ceil(10,000 * 30 / 10^4) = 30, out floor(9,970 * 4,000,000 / 1,009,970)
  = 39,486: reserves 1,010,000 / 3,960,514;
- swap 30,000 B: fee 90, out floor(29,910 * 1,010,000 / 3,990,424) = 7,570: reserves
  1,002,430 / 3,990,514;
- remove 500,000 of 2,000,000 shares: floor(1,002,430 / 4) = 250,607 A and
  floor(3,990,514 / 4) = 997,628 B: reserves 751,823 / 2,992,886, supply 1,500,000;
- vesting 600,000 from start s, cliff s + 2, end s + 6: releases of 600,000 * 2 / 6 =
  200,000 at s + 2, 400,000 - 200,000 at s + 4, the last 200,000 at s + 7.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from indexer.store_reader import StoreReader
from regtest.address import script_to_address
from regtest.client import NodeRpc
from regtest.contract_inputs import example_module
from regtest.launch import NodeKind
from regtest.node import NodeInfo
from regtest.payloads import AssetRef, asset_id
from tests.regtest.e2e import (
    CREDIT,
    E_REASON,
    E_TYPE,
    REJECTED,
    LocalIndexer,
    balances_at,
    module_node,
    outpoint_bytes,
    read_store,
    rejection_of,
    serve_api,
    tx_events,
)
from tests.regtest.e2e_contracts import (
    CONTRACT_ABORT,
    E_CODE_HASH,
    E_CONTRACT,
    E_DETAIL,
    PUBLISH,
    SEND,
    ContractStory,
    ContractStoryBuilder,
    amm_reserves,
    contract_bytes,
    contract_record,
    custody,
    issued_record,
    outstanding,
    wide,
)

pytestmark = pytest.mark.regtest

E_OUTPOINT, E_TOKEN, E_AMOUNT = 2, 3, 4


@dataclass
class Indexed:
    info: NodeInfo
    node: NodeRpc
    reader: StoreReader
    store_dir: Path
    story: ContractStory


@pytest.fixture(scope="module")
def indexed(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexed]:
    with module_node(node_kind, tmp_path_factory, "e2e-contracts") as regtest:
        node = NodeRpc.connect(regtest.info)
        story = ContractStoryBuilder(node).build()
        store_dir = tmp_path_factory.mktemp("e2e-contracts-store")
        with LocalIndexer(regtest.info, store_dir) as indexer:
            tip = indexer.catch_up()
            assert tip.block_hash[::-1].hex() == node.best_block_hash()
        reader = read_store(store_dir)
        try:
            yield Indexed(regtest.info, node, reader, store_dir, story)
        finally:
            reader.close()
            node.close()


def _abort_code(indexed: Indexed, name: str) -> int | None:
    with indexed.reader.read() as view:
        events = tx_events(view, indexed.story.txs[name])
    rejected = [e for e in events if e[E_TYPE] == REJECTED]
    if not rejected:
        return None
    assert rejected[0][E_REASON] == CONTRACT_ABORT, rejected
    code: int = rejected[0][E_DETAIL]
    return code


def _held(indexed: Indexed, name: str, vout: int = 0) -> dict[bytes, int]:
    """What the transaction's settlement credited to its output ``vout`` (its ``credit``
    events: the output may be spent by a later call)."""
    tx = indexed.story.txs[name]
    with indexed.reader.read() as view:
        events = tx_events(view, tx)
        credits = [e for e in events if e[E_TYPE] == CREDIT]
        held = {
            e[E_TOKEN]: e[E_AMOUNT] for e in credits if e[E_OUTPOINT] == outpoint_bytes(tx, vout)
        }
        unspent = balances_at(view, tx, vout)
    assert not unspent or unspent == held
    return held


def test_each_example_is_published_by_envelope(indexed: Indexed) -> None:
    story = indexed.story
    with indexed.reader.read() as view:
        for name in ("amm", "otc", "vesting"):
            reveal = story.txs[f"publish {name}"]
            module = example_module(name)
            code_hash = hashlib.sha256(module).digest()
            # The payload rode in the reveal's witness: signature, leaf script, control block.
            assert len(reveal.inputs[0].witness) == 3 and len(reveal.outputs) == 1
            assert story.contracts[name] == (story.heights["publish"], story.contracts[name][1])
            assert contract_record(view, story.contracts[name]) == {
                0: code_hash,
                1: reveal.txid,
                2: 5,
            }
            assert view.get(b"\x05" + code_hash) == module
            assert rejection_of(view, reveal) is None
            published = [e for e in tx_events(view, reveal) if e[E_TYPE] == PUBLISH]
            assert [(e[E_CONTRACT], e[E_CODE_HASH]) for e in published] == [
                (contract_bytes(story.contracts[name]), code_hash)
            ]


def test_amm_add_swap_both_ways_and_remove(indexed: Indexed) -> None:
    story = indexed.story
    a, b = asset_id(story.token_a), asset_id(story.token_b)
    lp_ref: AssetRef = (*story.contracts["amm"], 1)
    lp = asset_id(lp_ref)
    for name in ("add", "swap a->b", "swap b->a", "remove"):
        assert _abort_code(indexed, name) is None, name
    # bob's one coin after each call: everything not sent in comes back on output 0.
    assert _held(indexed, "add") == {a: 999_000_000, b: 996_000_000, lp: 1_999_000}
    assert _held(indexed, "swap a->b") == {a: 998_340_000, b: 996_039_486, lp: 1_999_000}
    assert _held(indexed, "swap b->a") == {a: 998_347_570, b: 996_009_486, lp: 1_999_000}
    assert _held(indexed, "remove") == {a: 998_598_177, b: 997_007_114, lp: 1_499_000}
    with indexed.reader.read() as view:
        amm = story.contracts["amm"]
        assert amm_reserves(view, amm) == (751_823, 2_992_886, 1_500_000)
        assert custody(view, amm) == {
            wide(story.token_a): 751_823,
            wide(story.token_b): 2_992_886,
            lp: 1_000,
        }
        assert issued_record(view, lp_ref) == (2_000_000, 500_000)
        swap = [e for e in tx_events(view, story.txs["swap a->b"]) if e[E_TYPE] == SEND]
        assert [(e[E_OUTPOINT], e[E_AMOUNT]) for e in swap] == [
            (outpoint_bytes(story.txs["swap a->b"], 0), 39_486)
        ]


def test_failed_call_settles_everything_on_the_default_output(indexed: Indexed) -> None:
    """The swap asks for 10^30 out (abort 104, slippage) and names output 1 for it: the
    message is rejected and the whole pool, the 5,000 A listed for the call included,
    settles on output 0, the default output (spec §7.6, §19.1)."""
    story = indexed.story
    assert _abort_code(indexed, "failed swap") == 104
    assert _held(indexed, "failed swap") == _held(indexed, "swap b->a")
    assert _held(indexed, "failed swap", 1) == {}
    with indexed.reader.read() as view:
        events = tx_events(view, story.txs["failed swap"])
    assert not [e for e in events if e[E_TYPE] == SEND]


def test_otc_sale_completes_when_the_seller_is_paid(indexed: Indexed) -> None:
    story = indexed.story
    a = asset_id(story.token_a)
    assert _held(indexed, "offer") == {
        a: 998_350_000,
        asset_id(story.token_b): 996_000_000,
        asset_id((*story.contracts["amm"], 1)): 1_999_000,
    }
    assert _abort_code(indexed, "underpaid take") == 102  # not paid
    assert _held(indexed, "underpaid take") == {}
    assert _abort_code(indexed, "take") is None
    take = story.txs["take"]
    assert take.outputs[1].script_pubkey == story.scripts["bob p2wpkh"]
    assert take.outputs[1].value == 30_000
    assert _held(indexed, "take") == {a: 50_000}
    with indexed.reader.read() as view:
        assert custody(view, story.contracts["otc"]) == {}
        assert view.script_balances(story.scripts["dave"]) == [(a, 50_000)]


def test_vesting_releases_at_its_heights(indexed: Indexed) -> None:
    story = indexed.story
    a = asset_id(story.token_a)
    start = story.vesting_start
    assert story.heights["liquidity"] == start  # funded in its start block
    assert story.heights["swaps"] == start + 1
    assert _abort_code(indexed, "early release") == 105  # before the cliff: nothing vested
    expected = {"release at cliff": 2, "release at +4": 4, "release after end": 7}
    for name, after in expected.items():
        assert story.heights[name.removeprefix("release ").replace("at ", "")] == start + after
        assert _abort_code(indexed, name) is None, name
        assert _held(indexed, name) == {a: 200_000}, name
    with indexed.reader.read() as view:
        assert custody(view, story.contracts["vesting"]) == {}
        assert view.script_balances(story.scripts["erin"]) == [(a, 600_000)]


def test_supply_is_on_outputs_or_in_custody(indexed: Indexed) -> None:
    """spec §14.4 over the whole indexed state: minted - burned = outputs + custody."""
    story = indexed.story
    lp: AssetRef = (*story.contracts["amm"], 1)
    with indexed.reader.read() as view:
        assert outstanding(view, story.token_a) == 10**9
        assert outstanding(view, story.token_b) == 10**9
        assert outstanding(view, lp) == 2_000_000 - 500_000


def test_token_routes_serve_what_contracts_paid(indexed: Indexed) -> None:
    story = indexed.story
    token_a = f"{story.token_a[0]}:{story.token_a[1]}"
    server, url = serve_api(indexed.info, indexed.store_dir)
    try:
        for who, amount in (("dave", "50000"), ("erin", "600000")):
            address = script_to_address(story.scripts[who])
            response = httpx.get(f"{url}/v1/addresses/{address}/balances", timeout=10)
            assert response.status_code == 200, response.text
            held = [(b["token"], b["amount"]) for b in response.json()["balances"]]
            assert held == [(token_a, amount)], who
        # bob holds LP shares, a 12-byte contract asset, beside both tokens.
        bob = script_to_address(story.scripts["bob"])
        response = httpx.get(f"{url}/v1/addresses/{bob}/balances", timeout=10)
        assert response.status_code == 200, response.text
        amounts = {b["token"]: b["amount"] for b in response.json()["balances"]}
        assert amounts[token_a] == "998598177"
    finally:
        assert server.terminate() == 0, server.log_tail()


def test_the_block_clock_is_the_nodes(indexed: Indexed) -> None:
    """CONTRACTS.md §17.5: state key 09 holds the node's header times of the last 10 blocks,
    and the median of the tip's time and the 10 before it (sorted, index 5) is the node's own
    median time past of the tip (Bitcoin Core's ``mediantime``; btcd does not report one)."""
    node = indexed.node
    tip = node.block_count()
    assert tip >= 10
    headers = [node.header(node.block_hash(height)) for height in range(tip - 10, tip + 1)]
    with indexed.reader.read() as view:
        stored = view.get(b"\x09")
    assert stored is not None
    times = [int.from_bytes(stored[i : i + 4], "big") for i in range(0, len(stored), 4)]
    assert times == [int(header["time"]) for header in headers[1:]]
    if "mediantime" in headers[-1]:
        assert sorted(int(h["time"]) for h in headers)[5] == int(headers[-1]["mediantime"])
