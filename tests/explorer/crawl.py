"""A crawl of the explorer in a real browser: from ``/``, every internal link followed."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from selenium.webdriver import Chrome

from tests.explorer.browser import console_errors, screenshot, wait_for

#: The stream never ends; its link is checked to be the feed's, not loaded.
STREAM = "/v1/stream"
JSON_PREFIXES = ("/v1/", "/openapi.json")


def route_of(path: str) -> str:
    """The page kind of ``path`` (``/tokens/1:1`` -> ``tokens-item``), one screenshot each."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "home"
    return parts[0] if len(parts) == 1 else f"{parts[0]}-item"


@dataclass
class Crawl:
    pages: dict[str, str] = field(default_factory=dict)  # path -> title
    json_routes: set[str] = field(default_factory=set)
    proofs_checked: int = 0
    shots: dict[str, str] = field(default_factory=dict)


def links(driver: Chrome) -> list[str]:
    found: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]'), a => a.href)"
    )
    return found


def crawl(driver: Chrome, base: str, label: str, scripts: bool, most: int = 400) -> Crawl:
    """Load every page reachable from ``/`` (at most ``most``); assert each answers 200
    with no console error or warning, each JSON link it shows answers 200 JSON, and (with
    scripts) each proof on it verifies in the page. One screenshot per page kind."""
    origin = urlsplit(base).netloc
    result = Crawl()
    todo: deque[str] = deque(["/"])
    seen = {"/"}
    with httpx.Client(base_url=base, timeout=30) as http:
        while todo:
            path = todo.popleft()
            assert len(result.pages) < most, f"more than {most} pages: {sorted(result.pages)}"
            status = http.get(path)
            assert status.status_code == 200, f"{path}: {status.status_code} {status.text[:300]}"
            assert status.headers["content-type"].startswith("text/html"), path
            driver.get(base + path)
            title = driver.title
            assert not title.startswith("Error"), f"{path} shows {title}"
            if scripts and driver.execute_script("return !!document.getElementById('proof')"):
                state = wait_for(
                    driver,
                    "document.getElementById('proof-result').dataset.state !== 'pending'"
                    " && document.getElementById('proof-result').dataset.state",
                )
                # /verify opens empty: it checks what a user pastes.
                expected = "empty" if path == "/verify" else "ok"
                assert state == expected, f"{path}: " + driver.execute_script(
                    "return document.getElementById('proof-result').textContent"
                )
                result.proofs_checked += 1
                commitment = driver.execute_script(
                    "const c = document.getElementById('commitment'); return c && c.dataset.state"
                )
                assert commitment in (None, "ok"), f"{path}: the state hash check says {commitment}"
            errors = console_errors(driver)
            assert not errors, f"{path}: console says {errors}"
            kind = route_of(urlsplit(path).path)
            if kind not in result.shots:
                result.shots[kind] = str(screenshot(driver, f"{label}-{kind}"))
            result.pages[path] = title
            for href in links(driver):
                parts = urlsplit(href)
                if parts.netloc != origin:
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if parts.path == STREAM:
                    continue
                if parts.path.startswith(JSON_PREFIXES):
                    if target not in result.json_routes:
                        answer = http.get(target)
                        assert answer.status_code == 200, f"{path} links {target}: {answer.text}"
                        assert answer.headers["content-type"] == "application/json", target
                        result.json_routes.add(target)
                elif target not in seen:
                    seen.add(target)
                    todo.append(target)
    return result
