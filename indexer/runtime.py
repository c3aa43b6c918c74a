"""Wiring: turn a validated Config into a node connection, a store and a follower."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.config import Config
from indexer.follow import Follower, FollowSettings
from indexer.node import NodeSettings
from indexer.node_thread import NodeThread
from indexer.progress import Progress
from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity, StoreConfig
from protocol.contracts import v1_machine
from protocol.params import PROTOCOL_VERSION


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


def open_for(config: Config, node: NodeThread, path: Path | None = None) -> Store:
    """Open (or create) the store for the chain the node is on."""
    return open_store(store_config(config, path), identity(config, node.genesis_hash()))


def follower(config: Config, store: Store, node: NodeThread, progress: Progress) -> Follower:
    settings = FollowSettings(
        start_height=config.start_height,
        prefetch=config.prefetch,
        batch_blocks=config.batch_blocks,
        poll_seconds=config.poll_seconds,
    )
    return Follower(store, node, v1_machine(), settings, progress)


@contextmanager
def opened(config: Config, path: Path | None = None) -> Iterator[tuple[NodeThread, Store]]:
    """The node connection and the store for its chain, both closed on the way out."""
    with NodeThread(node_settings(config)) as node, open_for(config, node, path) as store:
        yield node, store
