"""CPU-heavy request work in worker processes, bounded, so cheap requests keep their latency.

A compose request (up to 250 inputs, 64 transfers, then a dry run of the protocol machine)
or a batch of 1,000 outpoint lookups costs tens of milliseconds of pure Python. On the event
loop that time is taken from every other request, and a thread would not help (the GIL);
so such work runs in a small pool of processes, each with the store open read-only (LMDB
readers in other processes see the same committed snapshots) and the indexer's on-disk
compiled-module cache read-only too (:mod:`indexer.module_cache`): a worker's first call of
a contract loads the machine code the indexer compiled instead of compiling it again.

The interface, for compose, batch lookups and contract simulation::

    body = await heavy.run(job, *args)

``job`` is a module-level function ``job(worker: Worker, *args) -> T``; it runs in a worker
process and gets the worker's store, protocol machine and contract engine. ``args`` and the
result cross the process boundary by pickle, so they are plain data (an :class:`ApiError`
raised by the job is re-raised to the caller). At most ``processes`` jobs run at once and
``queue`` more wait; past that :meth:`HeavyWork.run` refuses at once with 503 ``busy`` and a
Retry-After, so a flood of heavy requests is shed instead of queued without bound.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

from api.errors import ApiError
from engine.config import WasmtimeConfig
from indexer.contract_engine import CachedEngine, contract_engine, contract_machine
from indexer.module_cache import ModuleCacheConfig
from indexer.store_config import StoreConfig
from indexer.store_reader import StoreReader, open_reader
from protocol.machine import Machine

log = logging.getLogger(__name__)
#: How often a worker checks that the server that started it is still there.
ORPHAN_CHECK_SECONDS = 1.0
P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Worker:
    """What a job gets in its worker process."""

    store: StoreReader
    machine: Machine
    engine: CachedEngine  # the machine's contract engine


# One per worker process, set by its initializer: the pool gives jobs no other way to reach
# state that is costly to open (the store environment) and must outlive a single job.
_worker: list[Worker] = []


def worker_module_cache(modules: ModuleCacheConfig | None, store: StoreConfig) -> ModuleCacheConfig:
    """The module cache of a worker: the indexer's, read-only (the indexer owns that directory:
    it writes, evicts and cleans it), or off when the indexer's is off or unknown."""
    if modules is None:
        return ModuleCacheConfig(store.path / "modules", 0)
    return replace(modules, read_only=True)


def _start_worker(
    config: StoreConfig, parent: int, engine: WasmtimeConfig, modules: ModuleCacheConfig | None
) -> None:
    # The v2 machine, so compose can spend contract assets and simulate can run calls. A
    # module the indexer has compiled is loaded from its cache, not compiled again here.
    cached = contract_engine(engine, worker_module_cache(modules, config))
    _worker.append(Worker(open_reader(config), contract_machine(cached), cached))
    threading.Thread(target=_exit_with, args=(parent,), name="orphan-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """A worker whose server died without shutting the pool down (SIGKILL, a crash) would wait
    for jobs forever: leave as soon as the parent is gone."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)


def _call(job: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return job(_worker[0], *args, **kwargs)


def _warm(worker: Worker) -> None:
    """A job that does nothing: submitting it makes the pool start its processes."""


class HeavyWork:
    def __init__(
        self,
        store: StoreConfig,
        processes: int,
        queue: int,
        engine: WasmtimeConfig | None = None,
        *,
        modules: ModuleCacheConfig | None = None,
    ) -> None:
        """``modules``: the indexer's compiled-module cache, which the workers read and never
        write (see :func:`worker_module_cache`); None: they compile every module themselves."""
        self._store = store
        self._engine = engine or WasmtimeConfig()
        self._modules = modules
        self.processes = processes
        self.limit = processes + queue
        #: Jobs submitted and not finished (a job's process keeps working if its client left).
        self.pending = 0
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the server has threads (uvicorn, the indexer under `run`).
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._store, os.getpid(), self._engine, self._modules),
            )
        return self._pool

    def start(self) -> None:
        """Start the worker processes now rather than on the first heavy request."""
        pool = self._executor()
        for _ in range(self.processes):
            pool.submit(_call, _warm)

    async def run(
        self, job: Callable[Concatenate[Worker, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.pending >= self.limit:
            raise ApiError(
                503,
                "busy",
                f"{self.pending:,} heavy requests (compose, large batches) are running or "
                "waiting, the most this server takes; retry shortly",
            )
        self.pending += 1
        try:
            future: Future[T] = self._executor().submit(_call, job, *args, **kwargs)
        except BaseException as exc:
            self.pending -= 1
            if isinstance(exc, BrokenProcessPool):
                self._failed(exc)
            raise
        loop = asyncio.get_running_loop()
        # Done callbacks run on the pool's thread; the count belongs to the loop's.
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release))
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._failed(exc)

    def _failed(self, exc: BrokenProcessPool) -> NoReturn:
        log.error("a heavy-work process failed: %s", exc)
        # A worker died (killed, out of memory, or it could not open the store): start
        # afresh on the next job instead of failing every job from now on.
        self.close()
        raise ApiError(
            503, "worker_failed", "a heavy-work process failed; the error is logged"
        ) from None

    def _release(self) -> None:
        self.pending -= 1

    def close(self) -> None:
        """Stop the workers; a job already running finishes first."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
