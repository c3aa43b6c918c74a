"""The explorer's live feed against a real node: ``rootstate run`` (indexer and API) beside
a regtest node, the home page open in headless Chromium, a block mined during the test; the
page's feed shows it (over /v1/stream) and links to its page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from regtest.client import NodeRpc
from regtest.mining import Miner
from regtest.node import NodeInfo
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
    regtest_node: NodeInfo, node_rpc: NodeRpc, miner: Miner, tmp_path: Path
) -> None:
    miner.mine(1)  # at least one block above activation, whatever ran before
    server, url = serve_api(regtest_node, tmp_path / "data", "run")
    try:
        with httpx.Client(base_url=url, timeout=30) as api, chromium() as driver:
            height = node_rpc.block_count()
            wait_until(lambda: indexed_height(api) == height, 60, f"the index at {height}")
            driver.get(f"{url}/")
            wait_for(driver, "document.getElementById('feed-status').dataset.state === 'live'")
            assert driver.find_elements("css selector", "#feed-items li") == []

            (block,) = miner.mine(1)
            item = wait_for(
                driver,
                f"document.querySelector('#feed-items li[data-hash=\"{block.hash_hex}\"]')",
                timeout=60,
            )
            assert f"block {height + 1:,}" in item.text
            assert block.hash_hex in item.text
            screenshot(driver, "regtest-home-live-feed")
            assert not console_errors(driver)

            item.find_element("tag name", "a").click()
            wait_for(driver, f"document.title === 'Block {height + 1:,}'")
            assert block.hash_hex in driver.find_element("tag name", "main").text
            assert not console_errors(driver)
    finally:
        assert server.terminate() == 0, server.log_tail()
