"""Fixtures: the hand-checked histories of tests/api/world.py (tokens) and
tests/api/contract_world.py (contracts) in real stores, served by uvicorn on a loopback
port, and HTTP clients for them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.server import ServerThread
from indexer.store import Store
from protocol.params import Network
from tests.api.contract_world import ContractWorld, build_contract_world
from tests.api.world import World, build_world

SETTINGS = ApiSettings(
    network=Network.REGTEST, undo_depth=10, default_page_size=20, max_page_size=50
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("api") / "store")
    yield built
    built.store.close()


@pytest.fixture(scope="module")
def cworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractWorld]:
    """The AMM world of tests/api/contract_world.py, one per test module."""
    built = build_contract_world(tmp_path_factory.mktemp("contracts") / "store")
    yield built
    built.store.close()


def serve(store: Store) -> Iterator[httpx.Client]:
    """An HTTP client for the API over ``store``, served by uvicorn on a loopback port."""
    with (
        ServerThread(create_app(ApiContext(store, SETTINGS))) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        yield http


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[httpx.Client]:
    yield from serve(world.store)


@pytest.fixture(scope="module")
def http(cworld: ContractWorld) -> Iterator[httpx.Client]:
    yield from serve(cworld.store)
