"""The explorer's live feed against a real node: ``rootstate run`` (indexer and API) beside
a regtest node, the home page open in headless Chromium, a block with a token deploy mined
during the test; the page's feed shows it (over /v1/stream) with its events, and links lead
to the block's page and on to the deploy's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from selenium.webdriver import Chrome
from selenium.webdriver.remote.webelement import WebElement

from regtest.client import NodeRpc
from regtest.mining import Miner
from regtest.node import NodeInfo
from regtest.payloads import deploy_open, message
from regtest.wallet import Wallet
from tests.explorer.browser import chromium, console_errors, screenshot, wait_for
from tests.explorer.test_pages import SET_HIDDEN
from tests.regtest.e2e import serve_api, wait_until

pytestmark = pytest.mark.regtest


def indexed_height(api: httpx.Client) -> int | None:
    answer = api.get("/v1/status")
    if answer.status_code != 200:  # 503 not_ready until the indexer has the store open
        return None
    indexed = answer.json()["indexed"]
    return None if indexed is None else int(indexed["height"])


@contextmanager
def home_page_live(info: NodeInfo, rpc: NodeRpc, data_dir: Path) -> Iterator[Chrome]:
    """``rootstate run`` beside the node, caught up with it, and its home page open in
    Chromium with the feed connected."""
    server, url = serve_api(info, data_dir, "run")
    try:
        with httpx.Client(base_url=url, timeout=30) as api, chromium() as driver:
            height = rpc.block_count()
            wait_until(lambda: indexed_height(api) == height, 60, f"the index at {height}")
            driver.get(f"{url}/")
            wait_for(driver, "document.getElementById('feed-status').dataset.state === 'live'")
            assert driver.find_elements("css selector", "#feed-items li") == []
            yield driver
            assert not console_errors(driver)
    finally:
        assert server.terminate() == 0, server.log_tail()


def feed_item(driver: Chrome, block_hash: str) -> WebElement:
    item: WebElement = wait_for(
        driver, f"document.querySelector('#feed-items li[data-hash=\"{block_hash}\"]')", 60
    )
    return item


def test_the_home_page_feed_shows_a_block_mined_during_the_test(
    regtest_node: NodeInfo, node_rpc: NodeRpc, wallet: Wallet, tmp_path: Path
) -> None:
    with home_page_live(regtest_node, node_rpc, tmp_path / "data") as driver:
        height = node_rpc.block_count()
        # A ticker no other test deploys; were it taken, the rejection is an event too.
        deploy = wallet.op_return(message(deploy_open("EXPLORER", 10**6, 1_000, 10)))
        (block,) = wallet.mine([deploy])
        item = feed_item(driver, block.hash_hex)
        assert f"block {height + 1:,}" in item.text
        assert driver.find_element("id", "tip-height").text == f"{height + 1:,}"
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


def test_the_feed_reports_a_reorg(
    regtest_node: NodeInfo, node_rpc: NodeRpc, miner: Miner, tmp_path: Path
) -> None:
    with home_page_live(regtest_node, node_rpc, tmp_path / "data") as driver:
        # A hidden tab gives its stream back; shown again it resumes where it was.
        driver.execute_script(SET_HIDDEN, True)
        (first,) = miner.mine(1)
        driver.execute_script(SET_HIDDEN, False)
        feed_item(driver, first.hash_hex)
        height = node_rpc.block_count()
        branch = miner.reorg(1)  # the block just shown is replaced by two others
        feed_item(driver, branch[-1].hash_hex)
        notice = driver.find_element("css selector", "#feed-items li.feed-reorg").text
        assert notice == f"reorg: block {height} rolled back"
        heights = [
            li.get_attribute("data-height")
            for li in driver.find_elements("css selector", "#feed-items li.feed-block")
        ]
        assert heights == [str(height + 1), str(height), str(height)]  # newest first
        # The tip and the recent blocks follow the new branch: the replaced block is gone.
        assert driver.find_element("id", "tip-height").text == f"{height + 1:,}"
        rows = driver.find_elements("css selector", "#recent-blocks tbody tr")
        shown = [row.get_attribute("data-height") for row in rows[:3]]
        assert shown == [str(height + 1), str(height), str(height - 1)]
        hashes = [
            row.find_element("css selector", "td:nth-child(2) a").get_attribute("title")
            for row in rows
        ]
        assert hashes[:2] == [branch[1].hash_hex, branch[0].hash_hex]
        assert first.hash_hex not in hashes
        screenshot(driver, "regtest-home-reorg")
