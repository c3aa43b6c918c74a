"""Fixtures: the API tests' two hand-checked histories (tokens, and the AMM contract) in
real LMDB stores, each served with the explorer by uvicorn on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.server import ServerThread
from tests.api.conftest import SETTINGS
from tests.api.contract_world import ContractWorld, build_contract_world
from tests.api.world import World, build_world


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("explorer") / "store")
    yield built
    built.store.close()


@pytest.fixture(scope="package")
def cworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractWorld]:
    built = build_contract_world(tmp_path_factory.mktemp("explorer-contracts") / "store")
    yield built
    built.store.close()


@pytest.fixture(scope="package")
def tokens_url(world: World) -> Iterator[str]:
    """The explorer over the token history (tests/api/world.py)."""
    with ServerThread(create_app(ApiContext(world.store, SETTINGS))) as server:
        yield server.url


@pytest.fixture(scope="package")
def contracts_url(cworld: ContractWorld) -> Iterator[str]:
    """The explorer over the AMM history (tests/api/contract_world.py)."""
    with ServerThread(create_app(ApiContext(cworld.store, SETTINGS))) as server:
        yield server.url


#: Pages of two rows, so every listing of the token history has a next page to follow.
TINY_PAGES = ApiSettings(
    network=SETTINGS.network, undo_depth=10, default_page_size=2, max_page_size=2
)


@pytest.fixture(scope="package")
def paged_url(world: World) -> Iterator[str]:
    """The explorer over the token history with pages of two rows."""
    with ServerThread(create_app(ApiContext(world.store, TINY_PAGES))) as server:
        yield server.url
