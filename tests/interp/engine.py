"""InterpEngine: the interpreter behind protocol.wasm.engine.ContractEngine (spec §15.8)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from protocol.wasm.abi import HOST_FUNCTIONS
from protocol.wasm.engine import (
    EngineTrap,
    ExecutionResult,
    HostFunction,
    HostImport,
    HostTrap,
    ModuleSource,
    TrapKind,
)
from protocol.wasm.limits import STACK_BUDGET
from tests.interp.compile import Function, compile_module
from tests.interp.decode import Module, decode
from tests.interp.execute import HostError, Instance
from tests.interp.numeric import Trap

T = TypeVar("T")
# The instrumentation's exports (spec §15.6), by their normative names.
STACK_EXPORT = "rootstate_stack"
START_EXPORT = "rootstate_start"


@dataclass(frozen=True, slots=True)
class Loaded:
    """A module decoded and compiled once, shared by every execution of its code hash."""

    module: Module
    functions: list[Function]


class InterpEngine:
    """A ContractEngine that interprets the instrumented bytes; re-entrant (a host function
    may call :meth:`execute` again: the nested execution is a new Instance)."""

    def __init__(self) -> None:
        self._cache: dict[bytes, Loaded] = {}

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``: what WasmtimeEngine.run offers, with no worker thread to reach."""
        return fn(*args)

    def loaded(self, code_hash: bytes, module: ModuleSource) -> Loaded:
        hit = self._cache.get(code_hash)
        if hit is None:
            decoded = decode(module() if callable(module) else module)
            hit = self._cache[code_hash] = Loaded(decoded, compile_module(decoded))
        return hit

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
        loaded = self.loaded(code_hash, module)
        hosts: dict[str, HostFunction] = {}
        for name, _ in loaded.module.imports:  # their types are the ABI's (§15.3.2)
            imp = imports.get(name)
            if imp is None or (imp.params, imp.results) != HOST_FUNCTIONS.get(name):
                raise ValueError(f"no host function {name!r} with the ABI signature")
            hosts[name] = imp.func
        instance = Instance(loaded.module, loaded.functions, hosts, fuel)
        exports = loaded.module.exports
        try:
            start = exports.get(START_EXPORT)
            if start is not None:
                instance.call(start[1])
            entry = exports.get(export)
            if entry is None or entry[0] != 0x00:
                raise ValueError(f"the module exports no function {export!r}")
            instance.call(entry[1])
        except HostTrap as trap:
            return ExecutionResult(fuel, TrapKind.HOST, trap)
        except EngineTrap as trap:
            return ExecutionResult(fuel, trap.kind)
        except Trap as trap:
            return ExecutionResult(fuel, _kind(trap, instance, exports))
        except HostError as wrapped:
            raise wrapped.error from None
        if instance.used > fuel:
            return ExecutionResult(fuel, TrapKind.OUT_OF_FUEL)
        return ExecutionResult(instance.used, None)


def _kind(trap: Trap, instance: Instance, exports: Mapping[str, tuple[int, int]]) -> TrapKind:
    """§15.6: an `unreachable` is stack exhaustion when the counter (u32) is above budget."""
    if trap.kind == TrapKind.UNREACHABLE:
        counter = exports.get(STACK_EXPORT)
        if counter is not None and instance.globals[counter[1]] > STACK_BUDGET:
            return TrapKind.STACK_EXHAUSTED
    return trap.kind
