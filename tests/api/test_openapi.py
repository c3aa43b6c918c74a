"""/openapi.json matches the app's routes, and no generated request yields a 5xx.

Schemathesis reads the served description and drives every operation with requests built
from it, both conforming and deliberately malformed, against the store of
tests/api/world.py; every response must be below 500 and, when it claims success or a
documented error, match the schema given for it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from starlette.routing import Route

from api.app import all_routes, create_app
from api.context import ApiContext
from api.openapi import build_openapi
from tests.api.conftest import SETTINGS
from tests.api.world import World


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


@pytest.fixture(scope="module")
def api_schema(world: World) -> Any:
    return schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(ApiContext(world.store, SETTINGS))
    )


def malformable(spec: dict[str, Any]) -> bool:
    """Whether a request can break the description: a body, a query, or a constrained path
    parameter (any text fits a free-text path parameter, so nothing there is malformed)."""
    params = spec["parameters"]
    return "requestBody" in spec or any(
        p["in"] != "path" or set(p["schema"]) - {"type", "description"} for p in params
    )


# Every operation but the stream, which never ends by itself (its refusals: test_sse.py).
CASES = [
    (path, method, mode)
    for path, ops in build_openapi()["paths"].items()
    for method, spec in ops.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if path != "/v1/stream" and (mode is GenerationMode.POSITIVE or malformable(spec))
]


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_no_request_yields_a_server_error(
    api_schema: Any, path: str, method: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        checks = [not_a_server_error]
        if mode is GenerationMode.POSITIVE:
            checks.append(response_schema_conformance)
        case.call_and_validate(checks=checks)

    run()
