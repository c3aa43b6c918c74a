"""Wiring: turn a validated Config into a node connection, a store and a follower."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.config import Config
from indexer.contract_engine import CachedEngine, contract_engine, contract_machine
from indexer.follow import Follower, FollowSettings
from indexer.gc_tuning import tune_for_catch_up
from indexer.node import NodeChainError, NodeSettings
from indexer.node_thread import NodeThread
from indexer.progress import Progress
from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity, StoreConfig
from indexer.store_reader import open_reader
from protocol.params import PROTOCOL_VERSION, Network

#: ``getblockchaininfo``'s ``chain`` for each network: Bitcoin Core's name, then btcd's.
NODE_CHAINS: dict[Network, frozenset[str]] = {
    Network.MAINNET: frozenset({"main", "mainnet"}),
    Network.TESTNET4: frozenset({"testnet4"}),
    Network.SIGNET: frozenset({"signet"}),
    Network.REGTEST: frozenset({"regtest"}),
}
#: The other way round, to name the network a node is on in the error message.
NETWORK_OF_CHAIN = {name: network for network, names in NODE_CHAINS.items() for name in names}


def node_settings(config: Config, retry_deadline: float | None = None) -> NodeSettings:
    return NodeSettings(
        rpc_url=config.rpc_url,
        user=config.rpc_user,
        password=config.rpc_password,
        cookie_file=config.rpc_cookie_file,
        rest=config.rest,
        timeout=config.rpc_timeout,
        retry_deadline=retry_deadline,
    )


def identity(config: Config, genesis_hash: bytes) -> ChainIdentity:
    return ChainIdentity(config.network, config.start_height, PROTOCOL_VERSION, genesis_hash)


def store_config(config: Config, path: Path | None = None) -> StoreConfig:
    return StoreConfig(path=path or config.store_path, undo_depth=config.undo_depth)


def chain_mismatch(config: Config, chain: str) -> str | None:
    """Why a node on ``chain`` cannot serve ``config.network``, or None when it can."""
    if chain in NODE_CHAINS[config.network]:
        return None
    known = NETWORK_OF_CHAIN.get(chain)
    hint = (
        f"set --network {known.value}" if known else "rootstate does not index that chain"
    ) + " or point --rpc-url at a node of the configured network"
    return (
        f"the node at {config.rpc_url} is on chain {chain!r}, but network is "
        f"{config.network.value}: {hint}"
    )


def check_chain(config: Config, node: NodeThread) -> None:
    """Refuse a node on another chain than ``config.network`` before any store is made:
    a forgotten ``--network`` would otherwise create an empty store and index nothing."""
    mismatch = chain_mismatch(config, node.chain())
    if mismatch is not None:
        raise NodeChainError(mismatch)


def open_for(config: Config, node: NodeThread, path: Path | None = None) -> Store:
    """Open (or create) the store for the chain the node is on."""
    return open_store(store_config(config, path), identity(config, node.genesis_hash()))


def open_existing(config: Config) -> Store:
    """The store at ``config.store_path`` opened for writing without asking a node: its
    chain is the one it was created for, checked against the configuration. Raises
    StoreNotFoundError, creating nothing, when there is no store."""
    with open_reader(store_config(config)) as reader:
        genesis = reader.identity.genesis_hash
    return open_store(store_config(config), identity(config, genesis))


def engine_for(config: Config) -> CachedEngine:
    """The wasmtime engine of ``config``, behind its on-disk compiled-module cache."""
    return contract_engine(config.engine_config, config.module_cache)


def follower(
    config: Config,
    store: Store,
    node: NodeThread,
    progress: Progress,
    engine: CachedEngine | None = None,
) -> Follower:
    """The follow loop applying blocks with the v2 machine (tokens and contracts)."""
    settings = FollowSettings(
        start_height=config.start_height,
        prefetch=config.prefetch,
        batch_blocks=config.batch_blocks,
        poll_seconds=config.poll_seconds,
    )
    engine = engine or engine_for(config)
    return Follower(store, node, contract_machine(engine), settings, progress, runner=engine)


@contextmanager
def opened(
    config: Config,
    path: Path | None = None,
    *,
    watch: Callable[[NodeThread], object] | None = None,
    catch_up: bool = False,
) -> Iterator[tuple[NodeThread, Store]]:
    """The node connection (its chain checked) and the store for its chain, both closed on
    the way out. ``watch`` sees the node first, before anything waits for it: a stop
    request can then interrupt it. With ``catch_up``, the block fetch process starts first,
    while the node connection and the store open, and the garbage collector is set for
    a catch-up (:mod:`indexer.gc_tuning`) once they are open."""
    with NodeThread(node_settings(config), fetch_soon=catch_up) as node:
        if watch is not None:
            watch(node)
        check_chain(config, node)
        with open_for(config, node, path) as store:
            if catch_up:
                tune_for_catch_up()
            yield node, store
