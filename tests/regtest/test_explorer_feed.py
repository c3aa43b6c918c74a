"""The explorer's live feed against a real node: ``rootstate run`` (indexer and API) beside
a regtest node, the home page open in headless Chromium, a block with a token deploy mined
during the test; the page's feed shows it (over /v1/stream) with its events, and links lead
to the block's page and on to the deploy's."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from regtest.client import NodeRpc
from regtest.mining import Miner
from regtest.node import NodeInfo
from regtest.payloads import deploy_open, message
from regtest.wallet import Wallet
from tests.explorer.browser import chromium, console_errors, screenshot, wait_for
from tests.regtest.e2e import serve_api, wait_until

pytestmark = pytest.mark.regtest


def indexed_height(api: httpx.Client) -> int | None:
    answer = api.get("/v1/status")
    if answer.status_code != 200:  # 503 not_ready until the indexer has the store open
        return None
    indexed = answer.json()["indexed"]
    return None if indexed is None else int(indexed["height"])


def test_the_home_page_feed_shows_a_block_mined_during_the_test(
    regtest_node: NodeInfo, node_rpc: NodeRpc, miner: Miner, wallet: Wallet, tmp_path: Path
) -> None:
    server, url = serve_api(regtest_node, tmp_path / "data", "run")
    try:
        with httpx.Client(base_url=url, timeout=30) as api, chromium() as driver:
            height = node_rpc.block_count()
            wait_until(lambda: indexed_height(api) == height, 60, f"the index at {height}")
            driver.get(f"{url}/")
            wait_for(driver, "document.getElementById('feed-status').dataset.state === 'live'")
            assert driver.find_elements("css selector", "#feed-items li") == []

            # A ticker no other test deploys; were it taken, the rejection is an event too.
            deploy = wallet.op_return(message(deploy_open("EXPLORER", 10**6, 1_000, 10)))
            (block,) = wallet.mine([deploy])
            item = wait_for(
                driver,
                f"document.querySelector('#feed-items li[data-hash=\"{block.hash_hex}\"]')",
                timeout=60,
            )
            assert f"block {height + 1:,}" in item.text
            assert block.hash_hex in item.text
            assert " · 0 events" not in item.text, item.text
            screenshot(driver, "regtest-home-live-feed")
            assert not console_errors(driver)

            item.find_element("tag name", "a").click()
            wait_for(driver, f"document.title === 'Block {height + 1:,}'")
            assert block.hash_hex in driver.find_element("tag name", "main").text
            txid = deploy.txid[::-1].hex()
            driver.find_element("css selector", f'a[href="/txs/{txid}"]').click()
            wait_for(driver, "document.title.startsWith('Transaction ')")
            assert txid in driver.find_element("tag name", "main").text
            screenshot(driver, "regtest-deploy-tx")
            assert not console_errors(driver)
    finally:
        assert server.terminate() == 0, server.log_tail()
