"""The injected WebAssembly engine interface (spec §15.8).

The pure core never imports an engine. It validates and instruments a module with
:mod:`protocol.wasm` (spec §15.2-§15.6) and runs it through a :class:`ContractEngine` that the
caller injects; ``engine.wasmtime_engine`` is the implementation this repository ships. A
second engine is conforming when, for the same instrumented bytes, imports, export and fuel,
it returns an equal :class:`ExecutionResult` and performs the same host calls in the same
order.

Contract of :meth:`ContractEngine.execute` (normative text: spec §15.7-§15.8):

- A fresh instance per execution: no memory, global or table survives a call.
- Fuel: ``fuel`` is the limit. An execution that ends normally with more than ``fuel``
  consumed (instructions per §15.7 plus host charges) reports ``OUT_OF_FUEL``. A trapped
  execution of any kind reports ``fuel_used == fuel``: a failed call consumes its whole
  allowance, so no engine needs an exact count at a trap.
- A :class:`HostTrap` raised by a host function ends the execution with
  ``trap == TrapKind.HOST`` and ``host_trap`` set to that very exception object.
- :class:`EngineTrap` raised by the :class:`HostCaller` methods (memory out of bounds, fuel
  short) ends the execution with its ``kind``; a host function must let it propagate.
- Any other exception out of a host function is a bug in the host, not a consensus outcome,
  and propagates out of ``execute`` unchanged.
- Re-entrant: a host function may call ``execute`` again (a nested contract call); the nested
  execution has its own instance and its own fuel limit. Charging the nested call's fuel to
  the outer execution is the host function's job (``caller.charge(result.fuel_used)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Concatenate, NamedTuple, Protocol


class ValType(IntEnum):
    """The value types a host import may use; values are the binary type codes (§15.2)."""

    I32 = 0x7F
    I64 = 0x7E


class TrapKind(IntEnum):
    """Why an execution stopped early (spec §15.9). Numbers are stable; only appended."""

    UNREACHABLE = 1  # an `unreachable` instruction of the contract itself
    OUT_OF_FUEL = 2  # fuel limit exceeded (§15.7), including a host charge that did not fit
    STACK_EXHAUSTED = 3  # the instrumented stack budget ran out (§15.6); never the engine's own
    MEMORY_OUT_OF_BOUNDS = 4  # a load/store, or a host read/write, outside linear memory
    INTEGER_DIVIDE_BY_ZERO = 5  # div_s/div_u/rem_s/rem_u by zero
    INTEGER_OVERFLOW = 6  # i32/i64 div_s of INT_MIN by -1
    INDIRECT_CALL_TYPE = 7  # call_indirect: the element's type differs from the expected one
    TABLE_OUT_OF_BOUNDS = 8  # call_indirect: index outside the table
    UNINITIALIZED_ELEMENT = 9  # call_indirect: the table slot holds no function
    HOST = 10  # a host function raised HostTrap (see ExecutionResult.host_trap)

    @property
    def label(self) -> str:
        """The lower-case name used in JSON vectors and the API."""
        return self.name.lower()


class HostTrap(Exception):  # noqa: N818 - a trap is an outcome, not an error
    """Raised by a host function to abort the execution with a consensus reason.

    ``reason`` is the contract kind's reason code (the engine never interprets it);
    ``detail`` is for logs only and is not consensus.
    """

    def __init__(self, reason: int, detail: str = "") -> None:
        super().__init__(f"host trap {reason}: {detail}" if detail else f"host trap {reason}")
        self.reason = reason
        self.detail = detail


class EngineTrap(Exception):  # noqa: N818 - a trap is an outcome, not an error
    """Raised by :class:`HostCaller` methods; ends the execution with ``kind``.

    Host functions must not catch it: the engine reports ``kind`` as the execution's trap.
    """

    def __init__(self, kind: TrapKind, detail: str = "") -> None:
        super().__init__(f"{kind.label}: {detail}" if detail else kind.label)
        self.kind = kind
        self.detail = detail


class HostCaller(Protocol):
    """What a host function may touch during the host call that invoked it."""

    def read(self, ptr: int, length: int) -> bytes:
        """``length`` bytes of linear memory from ``ptr`` (both taken as u32).

        Raises EngineTrap(MEMORY_OUT_OF_BOUNDS) when any byte lies outside memory.
        """
        ...

    def write(self, ptr: int, data: bytes) -> None:
        """Copy ``data`` into linear memory at ``ptr`` (u32); nothing is written on a trap.

        Raises EngineTrap(MEMORY_OUT_OF_BOUNDS) when any byte lies outside memory.
        """
        ...

    def charge(self, fuel: int) -> None:
        """Consume ``fuel`` (>= 0) from this execution's allowance.

        Raises EngineTrap(OUT_OF_FUEL), consuming nothing, when less than ``fuel`` is left.
        """
        ...

    def fuel_left(self) -> int:
        """The fuel still available to this execution: the limit minus what it consumed."""
        ...


# A host function gets the caller, then one Python int per wasm parameter (i32 values
# arrive as signed 32-bit, i64 as signed 64-bit, as in wasm's own two's-complement view),
# and returns None (no result) or one int (wrapped to the result type by the engine).
HostFunction = Callable[Concatenate[HostCaller, ...], int | None]


class HostImport(NamedTuple):
    """One function of the import module ``"rootstate"`` (spec §15.4)."""

    name: str
    params: tuple[ValType, ...]
    results: tuple[ValType, ...]  # empty or one value (multi-value is not in the subset)
    func: HostFunction


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """The outcome of one :meth:`ContractEngine.execute`.

    ``fuel_used`` is exact when ``trap`` is None and equals the limit otherwise.
    ``host_trap`` is set exactly when ``trap`` is ``TrapKind.HOST``.
    """

    fuel_used: int
    trap: TrapKind | None
    host_trap: HostTrap | None = None

    @property
    def ok(self) -> bool:
        """True when the export returned normally within its fuel."""
        return self.trap is None


# The instrumented module, or a thunk producing it; engines call the thunk only when the
# compiled module for ``code_hash`` is not cached, so callers need not re-instrument a hot
# contract on every call.
ModuleSource = bytes | Callable[[], bytes]


class ContractEngine(Protocol):
    """Runs instrumented contract modules (spec §15.8)."""

    def execute(
        self,
        code_hash: bytes,
        module: ModuleSource,
        export: str,
        imports: Mapping[str, HostImport],
        fuel: int,
    ) -> ExecutionResult:
        """Instantiate ``module`` afresh and call its ``export`` (type () -> ()).

        ``code_hash`` is sha256 of the module as published; it keys the engine's compiled
        module cache and must identify ``module`` exactly. ``module`` has passed
        :func:`protocol.wasm.validate` and is the output of :func:`protocol.wasm.instrument`.
        ``imports`` maps every import name of the module to its implementation with the
        signature of :data:`protocol.wasm.abi.HOST_FUNCTIONS`. ``fuel`` >= 0 is the limit.
        """
        ...

    def compile(self, code_hash: bytes, module: ModuleSource) -> None:
        """Make ``module`` runnable now, so that no later :meth:`execute` of ``code_hash``
        compiles it. The contract kind calls this when a publish is applied
        (CONTRACTS.md §16.1), so compile time is spent, and paid for, at publish rather than
        at an unpredictable first call. Arguments as for :meth:`execute`."""
        ...
