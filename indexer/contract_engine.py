"""The contract engine the indexer injects into the v2 machine: wasmtime behind the on-disk
compiled-module cache (:mod:`indexer.module_cache`)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from indexer.module_cache import ModuleCache, ModuleCacheConfig
from protocol.contracts import v2_machine
from protocol.machine import Machine
from protocol.wasm.engine import ExecutionResult, HostImport, ModuleSource

log = logging.getLogger(__name__)

T = TypeVar("T")


class CachedEngine:
    """A ContractEngine: before a code hash first runs, its compiled module comes from the
    disk cache if there, else is compiled once and written there (unless the cache is
    read-only: the API's heavy-work processes load what the indexer wrote, and write nothing).

    ``_loaded`` mirrors the engine's in-memory LRU (same bound, touched on every execution,
    nested ones included since they come through here too), so the disk is read only when
    the engine would compile. Were the mirror ever wrong, the engine compiles by itself:
    slower, never different.
    """

    def __init__(self, engine: WasmtimeEngine, cache: ModuleCache) -> None:
        self.engine = engine
        self.cache = cache
        self._loaded: OrderedDict[bytes, None] = OrderedDict()
        # The API may run simulations on another thread with the same engine; one thread
        # at a time decides what to load (a compile of one module is not repeated).
        self._lock = threading.RLock()
        self.compiles = 0  # modules compiled by this process (the cache's misses)
        self.loads = 0  # modules loaded from the disk cache

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the engine's worker thread (see ``WasmtimeEngine.run``)."""
        return self.engine.run(fn, *args)

    def execute(
        self,
        code_hash: bytes,
        module: ModuleSource,
        export: str,
        imports: Mapping[str, HostImport],
        fuel: int,
    ) -> ExecutionResult:
        """See :meth:`protocol.wasm.engine.ContractEngine.execute`."""
        self.compile(code_hash, module)
        return self.engine.execute(code_hash, module, export, imports, fuel)

    def compile(self, code_hash: bytes, module: ModuleSource) -> None:
        """See :meth:`protocol.wasm.engine.ContractEngine.compile`: at publish, the module
        is loaded from the disk cache if there (a block applied again after a restart or a
        reorg), else compiled and written there."""
        with self._lock:
            if code_hash in self._loaded:
                self._loaded.move_to_end(code_hash)
            else:
                self._load(code_hash, module)

    def _load(self, code_hash: bytes, module: ModuleSource) -> None:
        key = self.engine.cache_key(code_hash)
        artefact = self.cache.load(key)
        loaded = False
        if artefact is not None:
            try:
                self.engine.deserialize(code_hash, artefact)
                loaded = True
                self.loads += 1
            except Exception as exc:  # any refusal means: compile instead
                log.warning("the cached module %s did not load (%s); recompiling", key.hex(), exc)
                self.cache.discard(key)
        if not loaded:
            self.engine.compiled(code_hash, module)
            self.compiles += 1
            if self.cache.writable:
                serialized = self.engine.serialize(code_hash)
                if serialized is not None:
                    self.cache.store(key, serialized)
        self._loaded[code_hash] = None
        while len(self._loaded) > self.engine.config.cache_size:
            self._loaded.popitem(last=False)


def contract_engine(engine_config: WasmtimeConfig, cache_config: ModuleCacheConfig) -> CachedEngine:
    return CachedEngine(WasmtimeEngine(engine_config), ModuleCache(cache_config))


def contract_machine(engine: CachedEngine) -> Machine:
    """The v2 machine (tokens and WebAssembly contracts) on ``engine``."""
    return v2_machine(engine)
