"""The wasmtime engine's configuration: a validated frozen dataclass (spec §15.8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protocol.wasm import limits

Backend = Literal["winch", "cranelift", "pulley"]
BACKENDS: tuple[Backend, ...] = ("winch", "cranelift", "pulley")

# wasmtime refuses (by aborting the process) a max_wasm_stack above its async stack size,
# which the Python bindings cannot raise: 2 MiB.
WASMTIME_MAX_WASM_STACK = 2 << 20
# The stack budget of spec §15.6 needs at most 520 KiB of native stack in the worst shape
# measured (the largest frames on Winch; tests/engine/test_stack.py runs every worst shape
# with 1 MiB); below 1 MiB the margin would be under 2x.
MIN_WASM_STACK = 1 << 20
# What one level of nesting (wasm -> Python host function -> execute) costs on the native
# stack besides the wasm frames themselves, with a wide margin.
HOST_LEVEL_BYTES = 512 << 10


@dataclass(frozen=True, slots=True)
class WasmtimeConfig:
    """How :class:`engine.wasmtime_engine.WasmtimeEngine` runs contracts.

    None of these settings is consensus: every setting yields the same results (the tests
    run every back end). Winch, wasmtime's single-pass baseline compiler, is the default
    because its compile time is linear in the module (cranelift's is not, on shapes the
    validator accepts). ``max_wasm_stack`` must stay far above what the instrumented stack
    budget (spec §15.6) can use, so wasmtime's own stack-overflow trap is unreachable.
    """

    backend: Backend = "winch"
    cache_size: int = 256  # compiled modules kept in memory, least recently used evicted
    max_memory_pages: int = limits.MAX_MEMORY_PAGES
    max_wasm_stack: int = WASMTIME_MAX_WASM_STACK
    max_nesting: int = 16  # nested executions (contract calls) one worker thread can hold
    native_stack_bytes: int = 128 << 20  # the worker thread's stack; virtual, touched lazily

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        if not 1 <= self.max_memory_pages <= limits.MAX_MEMORY_PAGES:
            raise ValueError(f"max_memory_pages must be 1..{limits.MAX_MEMORY_PAGES}")
        if not MIN_WASM_STACK <= self.max_wasm_stack <= WASMTIME_MAX_WASM_STACK:
            raise ValueError(
                f"max_wasm_stack must be {MIN_WASM_STACK:,}..{WASMTIME_MAX_WASM_STACK:,}"
            )
        if self.max_nesting < 1:
            raise ValueError("max_nesting must be at least 1")
        needed = self.max_nesting * (self.max_wasm_stack + HOST_LEVEL_BYTES)
        if self.native_stack_bytes < needed:
            raise ValueError(
                f"native_stack_bytes must be at least {needed:,} for {self.max_nesting} "
                "nested executions"
            )
