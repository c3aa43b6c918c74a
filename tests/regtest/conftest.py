"""Fixtures that run real regtest nodes: one fresh node per available kind per session.

Both kinds are required under CI=true: a missing btcd (.ci/install-btcd.sh) or bitcoind
(.ci/install-bitcoind.sh installs its runtime libraries) fails their tests there. Elsewhere a
node that is missing or cannot start skips its variants, with one reason per cause
(regtest.launch.node_problem). A node is found through ROOTSTATE_BTCD / ROOTSTATE_BITCOIND,
on PATH, or where the installers put it (GOPATH/bin, ../shared/bitcoin).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

import pytest

from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind, node_problem
from regtest.mining import COIN, Miner
from regtest.node import NodeConfig, NodeInfo, RegtestNode
from regtest.wallet import Wallet

#: Output script for blocks mined only to move the chain (anyone can spend; nobody tracks it).
ANYONE_CAN_SPEND = b"\x51"
#: 10 coinbases of 50 BTC give 250 test wallets their grant before the bank runs dry.
BANK_COINBASES = 10
WALLET_GRANT = 2 * COIN


def _in_ci() -> bool:
    return os.environ.get("CI") == "true"


@functools.cache
def _problem(kind: NodeKind) -> str | None:
    """One reason per cause, the same in the skip mark and in require_binary."""
    try:
        return node_problem(kind)
    except FileNotFoundError as exc:
        # A misnamed ROOTSTATE_BTCD/BITCOIND is a mistake to report, not a reason to skip.
        return str(exc)


def _kind_params() -> list[Any]:
    params = []
    for kind in NodeKind:
        problem = None if _in_ci() else _problem(kind)
        # Under CI the variant runs and fails in require_binary, never shows as skipped.
        marks = [] if problem is None else [pytest.mark.skip(reason=problem)]
        params.append(pytest.param(kind, id=kind.value, marks=marks))
    return params


def require_binary(kind: NodeKind) -> None:
    """Fail (under CI=true, or for a misnamed env var) or skip, with the one reason."""
    try:
        node_problem(kind)
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    problem = _problem(kind)
    if problem is None:
        return
    if _in_ci():
        pytest.fail(problem, pytrace=False)
    pytest.skip(problem)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``core_only`` uses what only Bitcoin Core has (mock time, a restart
    that keeps the chain, size-based mempool eviction): its btcd variant is not a test
    btcd could pass or fail, so it is deselected rather than reported as skipped."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        btcd = callspec is not None and callspec.params.get("node_kind") is NodeKind.BTCD
        (dropped if btcd and item.get_closest_marker("core_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=_kind_params())
def node_kind(request: pytest.FixtureRequest) -> NodeKind:
    kind: NodeKind = request.param
    require_binary(kind)
    return kind


@pytest.fixture(scope="session")
def regtest_node(
    node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NodeInfo]:
    """A running node shared by the session; its logs stay in pytest's temp directory."""
    workdir = tmp_path_factory.mktemp(f"{node_kind.value}-node")
    with RegtestNode(NodeConfig(node_kind, workdir=workdir)) as info:
        yield info


@pytest.fixture(scope="session")
def node_rpc(regtest_node: NodeInfo) -> Iterator[NodeRpc]:
    node = NodeRpc.connect(regtest_node)
    yield node
    node.close()


@pytest.fixture
def miner(node_rpc: NodeRpc) -> Miner:
    return Miner(node_rpc, ANYONE_CAN_SPEND)


@pytest.fixture(scope="session")
def bank(node_rpc: NodeRpc) -> Wallet:
    """Funded once per node, so each test's wallet costs one block, not a maturity period."""
    funder = Wallet(node_rpc, Key.derive("pytest-bank"))
    funder.fund(BANK_COINBASES)
    return funder


@pytest.fixture
def wallet(node_rpc: NodeRpc, bank: Wallet, request: pytest.FixtureRequest) -> Wallet:
    """A wallet with a key of its own per test, holding one confirmed P2TR coin."""
    funded = Wallet(node_rpc, Key.derive(request.node.nodeid))
    grant = bank.pay(funded.p2tr_script, WALLET_GRANT)
    bank.broadcast(grant)
    bank.mine()
    funded.accept(grant)
    return funded
