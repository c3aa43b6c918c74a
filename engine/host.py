"""wasmtime C-API plumbing for host functions, instantiation and calls (spec §15.8).

wasmtime-py's ``Linker.define_func`` trampoline wraps every argument in a ``Val`` and every
call in a ``Caller``, and ``Instance.exports`` wraps every export: together most of the cost
of a host call and of an empty execution (profiled). This module talks to the C API through
the bindings' own ctypes declarations instead, reusing wasmtime-py's exception hand-off
(``LAST_EXCEPTION``) so that an exception raised by a host function still surfaces, as
itself, from the call that entered wasm.
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping
from typing import Any

import wasmtime
import wasmtime._func
from wasmtime import _ffi
from wasmtime._func import enter_wasm

from protocol.wasm import abi
from protocol.wasm.engine import EngineTrap, HostFunction, TrapKind, ValType

# A NULL finalizer: the callbacks own no per-function state.
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(0)
_VALTYPES = {ValType.I32: wasmtime.ValType.i32(), ValType.I64: wasmtime.ValType.i64()}


def _global_i64(context: Any, handle: Any) -> int:
    value = _ffi.wasmtime_val_t()
    _ffi.wasmtime_global_get(context, ctypes.byref(handle), ctypes.byref(value))
    return int(value.of.i64)


def _set_global_i64(context: Any, handle: Any, value: int) -> None:
    raw = _ffi.wasmtime_val_t(kind=_ffi.WASMTIME_I64)
    raw.of.i64 = value
    error = _ffi.wasmtime_global_set(context, ctypes.byref(handle), ctypes.byref(raw))
    if error:  # pragma: no cover - only on a type mismatch, which instrumentation excludes
        raise wasmtime.WasmtimeError._from_ptr(error)


class HostContext:
    """The HostCaller of one execution, with the implementations of the module's imports.
    ``context`` is the store context of the host call
    in progress (None between host calls); ``memory`` the instance's memory handle and
    ``fuel`` its fuel counter's (the instrumentation's global, spec §15.7.3);
    ``base`` the memory's (data pointer, size) once looked up in the host call in progress
    (memory cannot grow while a host function runs)."""

    __slots__ = (
        "_fuel_ref",
        "_value",
        "_value_ref",
        "base",
        "context",
        "fuel",
        "functions",
        "memory",
    )

    def __init__(self, functions: Mapping[str, HostFunction]) -> None:
        self.functions = functions
        self.context: Any = None
        self.memory: Any = None
        self.fuel: Any = None
        self.base: tuple[Any, int] | None = None
        # One value buffer and the pointers to it and to the counter, made once: a host
        # charge reads and writes the counter, and most host calls charge.
        self._value = _ffi.wasmtime_val_t(kind=_ffi.WASMTIME_I64)
        self._value_ref = ctypes.byref(self._value)
        self._fuel_ref: Any = None

    def bind_fuel(self, handle: Any) -> None:
        """Use the instance's fuel counter (a wasmtime_global_t) for charges."""
        self.fuel = handle
        self._fuel_ref = ctypes.byref(handle)

    def _address(self, ptr: int, length: int) -> int:
        """The native address of memory[ptr : ptr + length], after the bounds check."""
        base = self.base
        if base is None:
            context = self.context
            if context is None or self.memory is None:  # pragma: no cover - host misuse
                raise RuntimeError("HostCaller used outside its host call")
            memory = ctypes.byref(self.memory)
            base = self.base = (
                _ffi.wasmtime_memory_data(context, memory),
                _ffi.wasmtime_memory_data_size(context, memory),
            )
        start = ptr & 0xFFFF_FFFF
        if length < 0 or start + length > base[1]:
            raise EngineTrap(TrapKind.MEMORY_OUT_OF_BOUNDS, f"{length} bytes at {start:#x}")
        return ctypes.addressof(base[0].contents) + start

    def read(self, ptr: int, length: int) -> bytes:
        length &= 0xFFFF_FFFF
        address = self._address(ptr, length)
        return ctypes.string_at(address, length) if length else b""

    def write(self, ptr: int, data: bytes) -> None:
        address = self._address(ptr, len(data))
        if data:
            ctypes.memmove(address, data, len(data))

    def fuel_left(self) -> int:
        if self.context is None:  # pragma: no cover - misuse by the host
            raise RuntimeError("HostCaller used outside its host call")
        # Never negative here: a charge that does not fit traps at once (spec §15.7.3).
        _ffi.wasmtime_global_get(self.context, self._fuel_ref, self._value_ref)
        return int(self._value.of.i64)

    def charge(self, fuel: int) -> None:
        if fuel < 0:
            raise ValueError("a charge cannot be negative")
        if self.context is None:  # pragma: no cover - misuse by the host
            raise RuntimeError("HostCaller used outside its host call")
        value = self._value
        _ffi.wasmtime_global_get(self.context, self._fuel_ref, self._value_ref)
        remaining = int(value.of.i64)
        if fuel > remaining:  # consumes nothing: the execution traps with its whole limit
            raise EngineTrap(TrapKind.OUT_OF_FUEL, f"host charge of {fuel:,}")
        value.of.i64 = remaining - fuel
        if _ffi.wasmtime_global_set(self.context, self._fuel_ref, self._value_ref):
            raise RuntimeError("cannot set the fuel counter")  # pragma: no cover


class HostFunctions:
    """One raw callback per ABI function, dispatching to the innermost execution's
    implementation (executions nest strictly on the engine's worker thread).

    The callbacks are defined once, store-independently, in a linker, so a compiled module
    is pre-instantiated once (:meth:`prepare`: imports resolved and type-checked) and each
    execution only instantiates it (:meth:`instantiate`), with no per-import work.
    """

    def __init__(self, engine: wasmtime.Engine, running: list[HostContext]) -> None:
        self.running = running
        self.types = {
            name: wasmtime.FuncType([_VALTYPES[t] for t in ps], [_VALTYPES[t] for t in rs])
            for name, (ps, rs) in abi.HOST_FUNCTIONS.items()
        }
        # Kept referenced for as long as the engine lives: wasmtime holds raw pointers.
        self.callbacks = {name: self._callback(name) for name in abi.HOST_FUNCTIONS}
        self.linker = wasmtime.Linker(engine)
        host = abi.IMPORT_MODULE.encode()
        for name, callback in self.callbacks.items():
            raw = name.encode()
            error = _ffi.wasmtime_linker_define_func_unchecked(
                self.linker.ptr(),
                host,
                len(host),
                raw,
                len(raw),
                self.types[name].ptr(),
                callback,
                None,
                _NO_FINALIZER,
            )
            if error:  # pragma: no cover - only on a name defined twice
                raise wasmtime.WasmtimeError._from_ptr(error)

    def _callback(self, name: str) -> Any:
        params, results = abi.HOST_FUNCTIONS[name]
        wide = tuple(t == ValType.I64 for t in params)
        result_wide = results == (ValType.I64,)
        has_result = bool(results)
        running = self.running

        def callback(env: Any, caller: Any, raw: Any, count: int) -> int:
            try:
                hc = running[-1]
                args = [raw[i].i64 if w else raw[i].i32 for i, w in enumerate(wide)]
                outer, base = hc.context, hc.base
                hc.context, hc.base = _ffi.wasmtime_caller_context(caller), None
                try:
                    result = hc.functions[name](hc, *args)
                finally:
                    hc.context, hc.base = outer, base
                if has_result:
                    if result is None:
                        raise TypeError(f"host function {name} must return a value")
                    if result_wide:
                        raw[0].i64 = ((result + 2**63) & (2**64 - 1)) - 2**63
                    else:
                        raw[0].i32 = ((result + 2**31) & (2**32 - 1)) - 2**31
                return 0
            except BaseException as exc:  # handed to wasmtime-py, re-raised by enter_wasm
                wasmtime._func.LAST_EXCEPTION = exc  # type: ignore[assignment]
                trap = wasmtime.Trap("python exception")._consume()
                return ctypes.cast(trap, ctypes.c_void_p).value or 0

        return _ffi.wasmtime_func_unchecked_callback_t(callback)

    def prepare(self, module: wasmtime.Module) -> wasmtime.InstancePre:
        """``module`` with its imports resolved against the host functions, once."""
        return self.linker.instantiate_pre(module)

    def instantiate(self, store: wasmtime.Store, pre: wasmtime.InstancePre) -> Any:
        """A raw instance of a prepared module in ``store``."""
        instance = _ffi.wasmtime_instance_t()
        with enter_wasm(store) as trap:
            error = _ffi.wasmtime_instance_pre_instantiate(
                pre.ptr(), store._context(), ctypes.byref(instance), trap
            )
            if error:
                raise wasmtime.WasmtimeError._from_ptr(error)
        return instance


def export(store: wasmtime.Store, instance: Any, name: str) -> Any:
    """The raw export ``name`` (a wasmtime_extern_t) of a raw instance, or None."""
    item = _ffi.wasmtime_extern_t()
    raw = name.encode()
    found = _ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance), raw, len(raw), ctypes.byref(item)
    )
    return item if found else None


def call(store: wasmtime.Store, func: Any) -> None:
    """Call a () -> () function (a wasmtime_func_t); traps and host exceptions surface
    exactly as with ``Func.__call__``."""
    with enter_wasm(store) as trap:
        error = _ffi.wasmtime_func_call(
            store._context(), ctypes.byref(func), None, 0, None, 0, trap
        )
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)


def global_u32(store: wasmtime.Store, instance: Any, name: str) -> int:
    """The value of an exported i32 global, as u32."""
    item = export(store, instance, name)
    value = _ffi.wasmtime_val_t()
    _ffi.wasmtime_global_get(store._context(), ctypes.byref(item.of.global_), ctypes.byref(value))
    return int(value.of.i32) & 0xFFFF_FFFF


def global_i64(store: wasmtime.Store, handle: Any) -> int:
    """The value of an i64 global (a wasmtime_global_t), signed."""
    return _global_i64(store._context(), handle)


def set_global_i64(store: wasmtime.Store, handle: Any, value: int) -> None:
    """Set an i64 global (a wasmtime_global_t) from the host, between calls into wasm."""
    _set_global_i64(store._context(), handle, value)
