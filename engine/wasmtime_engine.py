"""The wasmtime implementation of ContractEngine (spec §15.8).

Every execution gets a fresh Store and Instance. Executions run on one worker thread whose
native stack is sized for ``max_nesting`` nested executions (a host function may call
``execute`` again; that nested call runs inline on the same thread), so the process's
main-thread stack size never matters. :meth:`WasmtimeEngine.run` puts a whole block
application on that thread, so its executions need no hand-off at all. Each compiled
module is pre-instantiated once against the host functions (a linker's InstancePre), so an
execution only creates its store and instance. Compiled modules are kept in a bounded LRU keyed by
code hash; ``serialize``/``deserialize`` let an on-disk cache skip compilation.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import wasmtime
from wasmtime import _ffi

from engine.config import Backend, WasmtimeConfig
from engine.host import (
    HostContext,
    HostFunctions,
    call,
    export,
    global_i64,
    global_u32,
    set_global_i64,
)
from engine.probe import assert_settings
from protocol.wasm import abi, limits
from protocol.wasm.engine import (
    EngineTrap,
    ExecutionResult,
    HostImport,
    HostTrap,
    ModuleSource,
    TrapKind,
)
from protocol.wasm.instrument import FUEL_EXPORT, STACK_EXPORT, START_EXPORT

T = TypeVar("T")
WINCH_STRATEGY = 2  # wasmtime_strategy_t: 0 auto, 1 cranelift, 2 winch (wasmtime.h)
INSTRUMENTATION_VERSION = 2  # bump when protocol/wasm/instrument.py's output changes

# wasmtime's own fuel is off: OUT_OF_FUEL comes only from the instrumentation (§15.7.3).
_TRAPS = {
    wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS: TrapKind.MEMORY_OUT_OF_BOUNDS,
    wasmtime.TrapCode.INTEGER_DIVISION_BY_ZERO: TrapKind.INTEGER_DIVIDE_BY_ZERO,
    wasmtime.TrapCode.INTEGER_OVERFLOW: TrapKind.INTEGER_OVERFLOW,
    wasmtime.TrapCode.BAD_SIGNATURE: TrapKind.INDIRECT_CALL_TYPE,
    wasmtime.TrapCode.TABLE_OUT_OF_BOUNDS: TrapKind.TABLE_OUT_OF_BOUNDS,
    wasmtime.TrapCode.INDIRECT_CALL_TO_NULL: TrapKind.UNINITIALIZED_ELEMENT,
}


class _Compiled:
    """A compiled module, its import names in order, and, from its first execution on, the
    module pre-instantiated against the host functions."""

    __slots__ = ("imports", "module", "pre")

    def __init__(self, module: wasmtime.Module) -> None:
        self.module = module
        self.imports = tuple(item.name or "" for item in module.imports)
        self.pre: wasmtime.InstancePre | None = None


class EngineFault(RuntimeError):  # noqa: N818 - reads as the condition it reports
    """The engine misbehaved (e.g. its own stack overflow fired): never a consensus result.

    The indexer must stop rather than record a result another node might not reproduce.
    """


class WasmtimeEngine:
    """ContractEngine on wasmtime (Winch, cranelift or pulley); see the module docstring."""

    def __init__(self, config: WasmtimeConfig | None = None) -> None:
        self.config = config or WasmtimeConfig()
        self.engine = wasmtime.Engine(self.wasmtime_config(self.config.backend))
        self._cache: OrderedDict[bytes, _Compiled] = OrderedDict()
        self._lock = threading.Lock()
        self._running: list[HostContext] = []  # nested executions, innermost last
        self._host = HostFunctions(self.engine, self._running)
        previous = threading.stack_size(self.config.native_stack_bytes)
        try:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="wasm")
            self._worker = self._pool.submit(threading.get_ident).result()
        finally:
            threading.stack_size(previous)
        self.fingerprint = self._fingerprint()
        self._on_worker(assert_settings, self)

    def wasmtime_config(self, backend: Backend) -> wasmtime.Config:
        """This engine's wasmtime settings, with ``backend`` compiling."""
        cfg = wasmtime.Config()
        if backend == "pulley":
            cfg.target = "pulley64"
        elif backend == "winch":
            # The bindings name only auto/cranelift; the C API's strategy 2 is Winch, the
            # single-pass baseline compiler (compile time linear in the module). The probe
            # and tests/engine/test_backends.py fail loudly if this stops taking effect.
            _ffi.wasmtime_config_strategy_set(cfg.ptr(), WINCH_STRATEGY)
        else:
            cfg.strategy = "cranelift"
        # The instrumentation counts fuel (spec §15.7); nothing of wasmtime's decides a count.
        cfg.consume_fuel = False
        cfg.cranelift_nan_canonicalization = True
        cfg.max_wasm_stack = self.config.max_wasm_stack
        cfg.parallel_compilation = False
        cfg.cranelift_opt_level = "speed"
        # Proposals outside the subset. Reference types and bulk memory stay enabled in
        # wasmtime because its component-model-async feature (compiled into the bindings)
        # requires them; the validator rejects both (spec §15.3), and the probe checks the
        # rest are really off.
        for feature in (
            "wasm_simd",
            "wasm_relaxed_simd",
            "wasm_threads",
            "wasm_multi_value",
            "wasm_tail_call",
            "wasm_multi_memory",
            "wasm_memory64",
            "wasm_gc",
            "wasm_function_references",
            "wasm_exceptions",
            "wasm_wide_arithmetic",
            "wasm_custom_page_sizes",
            "wasm_stack_switching",
        ):
            setattr(cfg, feature, False)
        return cfg

    def _fingerprint(self) -> bytes:
        """Identifies what a serialized artefact depends on: the wasmtime release, this
        configuration and the instrumentation. A serialized empty module embeds wasmtime's
        own version and compilation settings, so it is hashed whole."""
        empty = wasmtime.Module(self.engine, b"\x00asm\x01\x00\x00\x00").serialize()
        parts = (
            importlib.metadata.version("wasmtime"),
            self.config.backend,
            self.config.max_wasm_stack,
            INSTRUMENTATION_VERSION,
        )
        return hashlib.sha256(repr(parts).encode() + bytes(empty)).digest()

    # -- the compiled-module cache ------------------------------------------------------

    def compiled(self, code_hash: bytes, module: ModuleSource) -> wasmtime.Module:
        """The compiled module for ``code_hash``, compiling ``module`` on a miss."""
        return self._compiled(code_hash, module).module

    def compile(self, code_hash: bytes, module: ModuleSource) -> None:
        """See :meth:`protocol.wasm.engine.ContractEngine.compile`."""
        self._compiled(code_hash, module)

    def _compiled(self, code_hash: bytes, module: ModuleSource) -> _Compiled:
        with self._lock:
            hit = self._cache.get(code_hash)
            if hit is not None:
                self._cache.move_to_end(code_hash)
                return hit
        raw = module() if callable(module) else module
        return self._remember(code_hash, wasmtime.Module(self.engine, raw))

    def _remember(self, code_hash: bytes, module: wasmtime.Module) -> _Compiled:
        compiled = _Compiled(module)
        with self._lock:
            self._cache[code_hash] = compiled
            self._cache.move_to_end(code_hash)
            while len(self._cache) > self.config.cache_size:
                self._cache.popitem(last=False)
        return compiled

    def cache_key(self, code_hash: bytes) -> bytes:
        """The on-disk cache key: code hash + this engine's fingerprint (version, config)."""
        return code_hash + self.fingerprint

    def serialize(self, code_hash: bytes) -> bytes | None:
        """The compiled artefact of a cached module, for an on-disk cache; None if absent."""
        with self._lock:
            hit = self._cache.get(code_hash)
        return None if hit is None else bytes(hit.module.serialize())

    def deserialize(self, code_hash: bytes, artefact: bytes) -> None:
        """Load an artefact from :meth:`serialize` into the cache.

        Only for artefacts this process's own cache wrote under :meth:`cache_key`: wasmtime
        trusts them as native code.
        """
        self._remember(code_hash, wasmtime.Module.deserialize(self.engine, artefact))

    # -- execution ------------------------------------------------------------------------

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the engine's worker thread, where every ``execute`` it makes runs
        inline. A caller that applies a whole block through ``run`` pays one thread hand-off
        per block instead of one per contract call (most of a short call's wall time on a
        busy machine: the worker must be woken and scheduled each time)."""
        return self._on_worker(fn, *args)

    def _on_worker(self, fn: Callable[..., T], *args: Any) -> T:
        if threading.get_ident() == self._worker:
            return fn(*args)
        return self._pool.submit(fn, *args).result()

    def execute(
        self,
        code_hash: bytes,
        module: ModuleSource,
        export: str,
        imports: Mapping[str, HostImport],
        fuel: int,
    ) -> ExecutionResult:
        """See :meth:`protocol.wasm.engine.ContractEngine.execute`."""
        if not 0 <= fuel < 2**63:
            raise ValueError("fuel must be in 0..2^63-1")
        return self._on_worker(self._execute, code_hash, module, export, imports, fuel)

    def _execute(
        self,
        code_hash: bytes,
        module: ModuleSource,
        export_name: str,
        imports: Mapping[str, HostImport],
        fuel: int,
    ) -> ExecutionResult:
        if len(self._running) >= self.config.max_nesting:
            raise EngineFault(f"more than {self.config.max_nesting} nested executions")
        compiled = self._compiled(code_hash, module)
        functions = {}
        for name in compiled.imports:
            imp = imports.get(name)
            if imp is None or (imp.params, imp.results) != abi.HOST_FUNCTIONS.get(name):
                raise ValueError(f"no host function {name!r} with the ABI signature")
            functions[name] = imp.func
        if compiled.pre is None:
            compiled.pre = self._host.prepare(compiled.module)
        store = wasmtime.Store(self.engine)
        store.set_limits(
            memory_size=self.config.max_memory_pages * 65_536,
            table_elements=limits.MAX_TABLE_ELEMENTS,
            instances=1,
            tables=1,
            memories=1,
        )
        hc = HostContext(functions)
        self._running.append(hc)
        instance: Any = None
        try:
            instance = self._host.instantiate(store, compiled.pre)
            hc.memory = export(store, instance, abi.MEMORY_EXPORT).of.memory
            hc.bind_fuel(export(store, instance, FUEL_EXPORT).of.global_)
            set_global_i64(store, hc.fuel, fuel)
            start = export(store, instance, START_EXPORT)
            if start is not None:
                call(store, start.of.func)
            entry = export(store, instance, export_name)
            if entry is None or entry.kind != _ffi.WASMTIME_EXTERN_FUNC.value:
                raise ValueError(f"the module exports no function {export_name!r}")
            call(store, entry.of.func)
        except HostTrap as trap:
            return ExecutionResult(fuel, TrapKind.HOST, trap)
        except EngineTrap as trap:
            return ExecutionResult(fuel, trap.kind)
        except wasmtime.Trap as trap:
            return ExecutionResult(fuel, self._trap_kind(trap, store, instance, hc))
        finally:
            self._running.pop()
        # A normal end leaves the counter at the limit minus every charge (spec §15.7.3).
        return ExecutionResult(fuel - global_i64(store, hc.fuel), None)

    @staticmethod
    def _trap_kind(
        trap: wasmtime.Trap, store: wasmtime.Store, instance: Any, hc: HostContext
    ) -> TrapKind:
        code = trap.trap_code
        if code == wasmtime.TrapCode.UNREACHABLE and instance is not None:
            # Only a failed charge leaves the fuel counter negative, and only a failed frame
            # reservation leaves the stack counter above the budget (spec §15.9).
            if global_i64(store, hc.fuel) < 0:
                return TrapKind.OUT_OF_FUEL
            if global_u32(store, instance, STACK_EXPORT) > limits.STACK_BUDGET:
                return TrapKind.STACK_EXHAUSTED
            return TrapKind.UNREACHABLE
        if code is not None and code in _TRAPS:
            return _TRAPS[code]
        raise EngineFault(f"engine trap outside the specification: {trap.message}")
