"""Prometheus metrics: request counts and latency, and the indexer's progress.

Each app has its own registry (no process-wide state). Indexer figures are read when
scraped: heights from the store, the node's height and the indexing rate from the
:class:`~api.monitor.Monitor`, reorgs from the store's rollback log, and, with the indexer
in the same process (``rootstate run``), its counters of applied blocks and bytes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import ApiContext

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class IndexerCollector(Collector):
    def __init__(self, ctx: ApiContext) -> None:
        self._ctx = ctx

    def collect(self) -> Iterator[Metric]:
        ctx = self._ctx
        with ctx.reader.read() as view:
            tip = view.tip()
            reorgs = list(view.reorgs())
            entries = view.state_entries()
        height = None if tip is None else tip.height
        yield _gauge("rootstate_indexed_height", "Height of the last indexed block", height)
        yield _gauge("rootstate_state_entries", "Protocol state entries in the store", entries)
        monitor = ctx.monitor
        yield _gauge("rootstate_node_height", "The node's tip height", monitor.node_height)
        yield _gauge(
            "rootstate_lag_blocks", "Blocks the index is behind the node", monitor.lag(height)
        )
        if ctx.node_height is not None:
            up = monitor.node_error is None and monitor.node_height is not None
            yield _gauge("rootstate_node_up", "1 if the node answered the last poll", up)
        yield _gauge(
            "rootstate_blocks_per_second",
            "Blocks indexed per second over the last minute",
            monitor.blocks_per_second,
        )
        counter = CounterMetricFamily("rootstate_reorgs", "Rollbacks applied to the store")
        counter.add_metric([], len(reorgs))
        yield counter
        yield _gauge(
            "rootstate_reorg_depth_max",
            "Blocks removed by the deepest rollback",
            max((r.depth for r in reorgs), default=0),
        )
        yield _gauge(
            "rootstate_reorg_depth_last",
            "Blocks removed by the last rollback",
            reorgs[-1].depth if reorgs else 0,
        )
        indexer = ctx.indexer
        if indexer is not None:
            yield _gauge("rootstate_indexer_up", "1 while the indexer thread runs", indexer.alive())
            stats = indexer.stats
            for name, help_text, value in (
                ("rootstate_blocks_applied", "Blocks applied by this process", stats.blocks),
                ("rootstate_block_bytes_applied", "Bytes of blocks applied", stats.bytes),
            ):
                applied = CounterMetricFamily(name, help_text)
                applied.add_metric([], value)
                yield applied


def _gauge(name: str, help_text: str, value: float | bool | None) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, help_text)
    if value is not None:
        gauge.add_metric([], float(value))
    return gauge


class ApiMetrics:
    def __init__(self, ctx: ApiContext) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "rootstate_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rootstate_http_request_duration_seconds",
            "Time to answer an HTTP request (to the end of the body; streams excluded)",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(IndexerCollector(ctx))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """Counts every request by its route template (not its path: ids would explode labels)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics
        # Keyed by method, route template and status: bounded by the routes.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            route = scope.get("route")
            template = route.path if route is not None else "unmatched"
            key = (scope["method"], template, status)
            children = self._children.get(key)
            if children is None:
                # labels() validates and locks on every call: a third of a cheap request's
                # time; the children it returns are stable, so look each up once.
                children = self._children[key] = (
                    self.metrics.requests.labels(scope["method"], template, str(status)),
                    self.metrics.latency.labels(template),
                )
            children[0].inc()
            if template != "/v1/stream":
                children[1].observe(time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    metrics: ApiMetrics = request.app.state.metrics
    return Response(metrics.render(), media_type=PROMETHEUS_TEXT)


ROUTES = [Route("/metrics", metrics_endpoint, methods=["GET"])]
