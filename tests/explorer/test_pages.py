"""The explorer in headless Chromium: every page reachable from / loads without a console
error, every internal link resolves, every proof shown verifies in the page, and the pages
work with scripts off."""

from __future__ import annotations

import httpx

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.server import ServerThread
from tests.api.conftest import SETTINGS
from tests.api.contract_world import ContractWorld
from tests.api.world import ALICE, ROOT, World, address
from tests.explorer.browser import chromium, console_errors, screenshot, wait_for
from tests.explorer.crawl import crawl
from tests.regtest.e2e import wait_until

#: Every page kind the explorer has, each of which the two histories must reach by links.
TOKEN_KINDS = {
    "home",
    "blocks-item",
    "txs-item",
    "tokens",
    "tokens-item",
    "addresses-item",
    "outpoints-item",
    "state-item",
    "contracts",
    "verify",
}
CONTRACT_KINDS = {
    "home",
    "blocks-item",
    "txs-item",
    "contracts",
    "contracts-item",
    "state-item",
    "tokens-item",
    "outpoints-item",
}


def test_every_page_of_the_token_history(tokens_url: str, world: World) -> None:
    with chromium() as driver:
        result = crawl(driver, tokens_url, "tokens", scripts=True)
    assert set(result.shots) >= TOKEN_KINDS, sorted(result.shots)
    # Every block, token and holder of the history is reachable from the home page.
    assert {f"/blocks/{h}" for h in range(1, 5)} <= set(result.pages)
    assert {f"/tokens/{ROOT}", "/tokens/3:1"} <= set(result.pages)
    assert f"/addresses/{address(ALICE)}" in result.pages
    assert result.proofs_checked >= 5
    assert "/v1/status" in result.json_routes and f"/v1/tokens/{ROOT}" in result.json_routes


def test_every_next_page_link_leads_on(paged_url: str) -> None:
    """With pages of two rows, the crawl follows every listing's "next page" chain to its
    end: holders, a block's events, an address's outpoints."""
    with chromium() as driver:
        result = crawl(driver, paged_url, "paged", scripts=True)
    paged = [path for path in result.pages if "cursor=" in path]
    assert any(p.startswith(f"/addresses/{address(ALICE)}?") for p in paged), paged  # 3
    assert any(p.startswith(f"/tokens/{ROOT}?") for p in paged), paged  # 3 holders
    assert any(p.startswith("/blocks/4?") for p in paged), paged  # 6 events
    # Block 4's six events: three pages of two, the last with no next link.
    assert len([p for p in paged if p.startswith("/blocks/4?")]) == 2


def test_every_page_of_the_contract_history(contracts_url: str, cworld: ContractWorld) -> None:
    with chromium() as driver:
        result = crawl(driver, contracts_url, "contracts", scripts=True)
    assert set(result.shots) >= CONTRACT_KINDS, sorted(result.shots)
    swap_txid = cworld.swap.txid[::-1].hex()
    assert f"/txs/{swap_txid}" in result.pages
    assert any(p.startswith("/contracts/") for p in result.pages)
    assert result.proofs_checked >= 3


def test_the_contract_page_shows_code_custody_storage_and_the_swap(
    contracts_url: str, cworld: ContractWorld
) -> None:
    contracts = httpx.get(f"{contracts_url}/v1/contracts").json()["contracts"]
    (pool,) = [c for c in contracts if c["created_by"] == "publish"]
    with chromium() as driver:
        driver.get(f"{contracts_url}/contracts/{pool['id']}")
        text = driver.find_element("tag name", "main").text
        assert pool["code_hash"] in text
        assert "1,000,001,000" in text  # custody of A after the swap (contract_world.py)
        calls = driver.find_elements("css selector", "tr.event-call")
        assert calls, "no recent call listed"
        assert cworld.swap.txid[::-1].hex()[:10] in calls[0].text
        storage_links = driver.find_elements("link text", "proof")
        assert storage_links, "no storage entry with a proof link"
        assert not console_errors(driver)


def test_pages_work_with_scripts_off(tokens_url: str) -> None:
    """Every page and link works without JavaScript; the feed and the proof check say
    they need it."""
    with chromium(scripts=False) as driver:
        result = crawl(driver, tokens_url, "noscript", scripts=False)
        driver.get(f"{tokens_url}/")
        assert driver.find_element("id", "feed-status").text == "scripts off"
        assert "needs scripts" in driver.find_element("id", "feed").text
        rows = driver.find_elements("css selector", "table.blocks tbody tr")
        assert [r.text.split()[0] for r in rows] == ["4", "3", "2", "1"]
        driver.get(f"{tokens_url}/tokens/{ROOT}")
        # world.py: supply 1,900 and max 1,000,000 base units, 2 decimals.
        assert "19 of 10,000" in driver.find_element("tag name", "main").text
        driver.get(f"{tokens_url}/state/020000000100000001")
        assert "rootstate check" in driver.find_element("id", "proof-result").text
        screenshot(driver, "noscript-state-item")
    assert len(result.pages) >= 20


#: JavaScript: the page as a browser that hides (true) or shows (false) its tab sees it.
SET_HIDDEN = """
Object.defineProperty(document, "hidden", {configurable: true, get: () => arguments[0]});
document.dispatchEvent(new Event("visibilitychange"));
"""
FEED_STATE = "return document.getElementById('feed-status').dataset.state"


def test_the_live_feed_connects_and_pauses_in_a_hidden_tab(tokens_url: str) -> None:
    with chromium() as driver:
        driver.get(f"{tokens_url}/")
        wait_for(driver, "document.getElementById('feed-status').dataset.state === 'live'")
        driver.execute_script(SET_HIDDEN, True)
        assert driver.execute_script(FEED_STATE) == "paused"
        driver.execute_script(SET_HIDDEN, False)
        wait_for(driver, "document.getElementById('feed-status').dataset.state === 'live'")
        assert not console_errors(driver)


def test_feeds_hold_streams_only_while_shown(world: World) -> None:
    """With one stream allowed: held by an API client, a home page's feed says it is
    unavailable; held by a shown home page, an API client is refused (503); once the page
    is hidden, the API client gets its stream."""
    one_stream = ApiSettings(network=SETTINGS.network, max_streams=1)
    with (
        ServerThread(create_app(ApiContext(world.store, one_stream))) as server,
        chromium() as driver,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        with http.stream("GET", "/v1/stream") as held:
            assert held.status_code == 200
            driver.get(f"{server.url}/")
            wait_for(driver, "document.getElementById('feed-status').dataset.state === 'off'")
            assert "unavailable" in driver.find_element("id", "feed-status").text
            errors = console_errors(driver)  # the browser logs the refused EventSource
            assert all("503" in error for error in errors), errors

        def stream_opens() -> bool:
            with http.stream("GET", "/v1/stream") as answer:
                return answer.status_code == 200

        wait_until(stream_opens, 10, "the API client's stream to be given back")
        driver.refresh()
        wait_for(driver, "document.getElementById('feed-status').dataset.state === 'live'")
        with http.stream("GET", "/v1/stream") as refused:
            assert refused.status_code == 503
        driver.execute_script(SET_HIDDEN, True)
        wait_until(stream_opens, 10, "the hidden page's stream to be given back")
        assert not console_errors(driver)
