"""From the indexer's Config to what the API needs: its settings and a node height source."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from fractions import Fraction

from api.context import ApiSettings
from api.guard import ConnectionLimits
from indexer.config import Config
from indexer.node import NodeClient
from indexer.runtime import node_settings


def api_settings(config: Config) -> ApiSettings:
    return ApiSettings(
        network=config.network,
        undo_depth=config.undo_depth,
        max_page_size=config.api_max_page_size,
        default_page_size=min(100, config.api_max_page_size),
        max_body_bytes=config.api_max_body_bytes,
        cors_origins=config.cors_origins,
        ready_lag_blocks=config.api_ready_lag_blocks,
        node_poll_seconds=max(config.poll_seconds, 1.0),
        max_streams=config.api_max_streams,
        min_fee_rate=Fraction(str(config.api_min_relay_fee)),
        heavy_processes=config.api_heavy_processes,
        heavy_queue=config.api_heavy_queue,
        limits=connection_limits(config),
        engine=config.engine_config,
        module_cache=config.module_cache,
    )


def connection_limits(config: Config) -> ConnectionLimits:
    return ConnectionLimits(
        max_head_bytes=config.api_max_head_bytes,
        max_url_bytes=config.api_max_url_bytes,
        head_timeout=config.api_head_timeout,
        keep_alive_timeout=config.api_keep_alive_seconds,
        max_connections=config.api_max_connections,
    )


def node_height(config: Config) -> Callable[[], Awaitable[int]]:
    """Asks the node for its height without retrying: the monitor asks again on its own.

    The client is made on first use, inside the server's event loop that it will live in.
    """
    client: NodeClient | None = None

    async def fetch() -> int:
        nonlocal client
        if client is None:
            client = NodeClient(node_settings(config, retry_deadline=0.0))
        return await client.tip_height()

    return fetch
