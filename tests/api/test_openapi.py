"""/openapi.json matches the app's routes and is exactly as strict as the server.

Schemathesis reads the served description and drives every operation with requests built
from it, both conforming and deliberately malformed, against the store of
tests/api/world.py, and runs every check it has: no 5xx, only documented statuses and media
types, responses matching their schemas, every request the document allows accepted (2xx,
or 404/422 for what the store does not hold) and every one it forbids refused with a 4xx.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route

from api.app import all_routes, create_app
from api.context import ApiContext
from api.openapi import build_openapi, decimal_up_to
from api.server import ServerThread
from tests.api.conftest import SETTINGS
from tests.api.world import World

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def test_the_description_lists_exactly_the_routes(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    described = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    served = {
        (route.path, method)
        for route in all_routes()
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert described == served


#: Examples per operation and phase: enough to hit every keyword's boundaries, bounded for CI.
MAX_EXAMPLES = 12


def test_schemathesis_with_every_check_passes(world: World) -> None:
    """Schemathesis's full check set (``--checks all``: server errors, status codes, content
    types, response schemas, headers, positive data acceptance, negative data rejection,
    unsupported methods...) over real HTTP, with the connection guard in front."""
    with ServerThread(create_app(ApiContext(world.store, SETTINGS))) as server:
        # The stream never ends by itself (its refusals: test_sse.py).
        run = schemathesis_run(server.url, "--exclude-path", "/v1/stream")
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]


def schemathesis_run(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``st run`` with every check on the document served at ``url``."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
    }
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "11",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )


def test_the_document_follows_the_settings() -> None:
    spec = build_openapi(replace(SETTINGS, min_fee_rate=Fraction(5), max_page_size=30))
    burn = spec["paths"]["/v1/compose/burn"]["post"]["requestBody"]["content"]
    assert burn["application/json"]["schema"]["properties"]["fee_rate"]["minimum"] == 5.0
    limit = next(
        p for p in spec["paths"]["/v1/tokens"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert limit["schema"]["maximum"] == 30


@pytest.mark.parametrize(
    ("high", "zero"),
    [(0, True), (7, False), (10, True), (105, False), (4321, True), (70_000, True)],
)
def test_decimal_patterns_match_exactly_the_range(high: int, zero: bool) -> None:
    pattern = re.compile(decimal_up_to(high, zero))
    for number in [*range(high * 2 + 20), 10 ** len(str(high)) - 1, high * 10]:
        assert bool(pattern.fullmatch(str(number))) == ((0 if zero else 1) <= number <= high)
    assert not pattern.fullmatch(f"0{high}")
    assert not pattern.fullmatch("")
