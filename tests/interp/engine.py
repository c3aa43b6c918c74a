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
FUEL_EXPORT = "rootstate_fuel"
START_EXPORT = "rootstate_start"


@dataclass(frozen=True, slots=True)
class Loaded:
    """A module decoded and compiled once, shared by every execution of its code hash."""

    module: Module
    functions: list[Function]


class InterpEngine:
    """A ContractEngine that interprets the instrumented bytes; re-entrant (a host function
    may call :meth:`execute` again: the nested execution is a new Instance). It has no fuel
    logic: it sets the module's fuel counter to the limit and reads it back (spec §15.7.3)."""

    def __init__(self) -> None:
        self._cache: dict[bytes, Loaded] = {}

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``: what WasmtimeEngine.run offers, with no worker thread to reach."""
        return fn(*args)

    def compile(self, code_hash: bytes, module: ModuleSource) -> None:
        """See :meth:`protocol.wasm.engine.ContractEngine.compile`: decode and compile now."""
        self.loaded(code_hash, module)

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
        exports = loaded.module.exports
        instance = Instance(loaded.module, loaded.functions, hosts, exports[FUEL_EXPORT][1])
        instance.globals[instance.fuel] = fuel  # before anything runs (spec §15.8)
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
        return ExecutionResult(fuel - instance.fuel_left(), None)


def _kind(trap: Trap, instance: Instance, exports: Mapping[str, tuple[int, int]]) -> TrapKind:
    """§15.9: an `unreachable` after a failed charge (fuel counter negative) is out_of_fuel,
    after a failed frame reservation (stack counter above the budget, as u32) is
    stack_exhausted, and otherwise the contract's own."""
    if trap.kind == TrapKind.UNREACHABLE:
        if instance.fuel_left() < 0:
            return TrapKind.OUT_OF_FUEL
        if instance.globals[exports[STACK_EXPORT][1]] > STACK_BUDGET:
            return TrapKind.STACK_EXHAUSTED
    return trap.kind
