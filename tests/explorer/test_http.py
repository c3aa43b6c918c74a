"""The explorer over HTTP, without a browser: errors as HTML pages with the API's status and
code, the search box's redirects, escaping, security headers, static files, and that every
template and static file is shipped as package data."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.context import ApiContext
from api.server import ServerThread
from tests.api.conftest import SETTINGS
from tests.api.world import ALICE, World, address, display, point, small_store
from tests.explorer import browser

ROOT_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT_DIR / "api" / "explorer"


@pytest.fixture(scope="module")
def http(tokens_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tokens_url, timeout=30) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/tokens/NOPE", 404, "token_not_found"),
        ("/blocks/99", 404, "block_not_found"),
        ("/blocks/nonsense", 400, "invalid_block_id"),
        ("/txs/" + "ab" * 32, 404, "tx_not_found"),
        ("/addresses/notanaddress", 400, "invalid_address"),
        # A typed "?" stays inside the segment: it reaches the route as part of the address.
        ("/addresses/notanaddress%3Flimit=1", 400, "invalid_address"),
        ("/state/0", 400, "invalid_key"),
        ("/contracts/1:1", 404, "contract_not_found"),
    ],
)
def test_errors_are_pages_with_the_routes_status_and_code(
    http: httpx.Client, path: str, status: int, code: str
) -> None:
    answer = http.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert code in answer.text


def test_the_search_leads_to_each_kind_of_page(http: httpx.Client, world: World) -> None:
    deploy = display(world.txs["A"].txid)
    block_hash = http.get("/v1/blocks/2").json()["hash"]
    expected = {
        "3": "/blocks/3",
        block_hash: f"/blocks/{block_hash}",
        deploy.upper(): f"/txs/{deploy}",
        "1:1": "/tokens/1:1",
        "root": "/tokens/ROOT",
        point(world.txs["E"], 1): f"/outpoints/{point(world.txs['E'], 1)}",
        address(ALICE): f"/addresses/{address(ALICE)}",
        "020000000100000001": "/state/020000000100000001",
    }
    for query, target in expected.items():
        answer = http.get("/search", params={"q": query})
        assert answer.status_code == 303, (query, answer.text[:200])
        assert answer.headers["location"] == target, query
    assert http.get("/search", params={"q": "zz"}).status_code == 404


def test_what_a_user_types_is_escaped(http: httpx.Client) -> None:
    answer = http.get("/search", params={"q": "<script>alert(1)</script>"})
    assert answer.status_code == 404
    assert "<script>alert" not in answer.text
    assert "&lt;script&gt;alert" in answer.text


def test_pages_forbid_inline_and_foreign_scripts(http: httpx.Client) -> None:
    headers = http.get("/").headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"


def test_static_files_are_served_with_an_etag(http: httpx.Client) -> None:
    first = http.get("/static/proof.js")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/javascript")
    assert "crypto.subtle" in first.text
    again = http.get("/static/proof.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert http.get("/static/missing.js").status_code == 404


def test_every_template_and_static_file_is_package_data() -> None:
    config = tomllib.loads((ROOT_DIR / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["api.explorer"]
    files = [
        p.relative_to(PACKAGE).as_posix()
        for d in ("templates", "static")
        for p in (PACKAGE / d).iterdir()
    ]
    assert len(files) >= 15
    missing = [f for f in files if not any(fnmatch(f, glob) for glob in globs)]
    assert not missing, f"not installed with the package: {missing}"


def test_event_amounts_show_in_the_tokens_decimals(http: httpx.Client) -> None:
    """world.py, block 4: F burns 100 base units of ROOT (2 decimals) and spends 1,000."""
    page = http.get("/blocks/4").text
    burn = re.search(r'<tr class="event-burn">(.*?)</tr>', page, re.S)
    assert burn is not None
    assert ">ROOT</a>" in burn.group(1)
    assert '<td class="num">1</td>' in burn.group(1)
    debits = re.findall(r'<tr class="event-debit">.*?<td class="num">([^<]*)</td>', page, re.S)
    assert debits == ["10", "3"]


def test_a_store_without_blocks_has_a_home_page(tmp_path: Path) -> None:
    with (
        small_store(tmp_path / "empty") as store,
        ServerThread(create_app(ApiContext(store, SETTINGS))) as server,
    ):
        answer = httpx.get(f"{server.url}/", timeout=30)
    assert answer.status_code == 200
    assert "No block is indexed yet" in answer.text


def test_a_missing_chromium_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed"):
        browser.require_chromium()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        browser.require_chromium()
