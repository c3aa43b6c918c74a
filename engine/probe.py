"""Start-time proof that every wasmtime setting took effect (issue 8: older bindings
silently ignored some). Each probe observes behaviour, not the configuration object."""

from __future__ import annotations

from typing import TYPE_CHECKING

import wasmtime

if TYPE_CHECKING:
    from engine.wasmtime_engine import WasmtimeEngine


class SettingNotApplied(RuntimeError):  # noqa: N818 - reads as the condition it reports
    """A wasmtime setting did not take effect; the engine must not be used."""


def _wat(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def _run(engine: WasmtimeEngine, text: str, name: str, *args: int) -> object:
    module = wasmtime.Module(engine.engine, _wat(text))
    store = wasmtime.Store(engine.engine)
    store.set_limits(memory_size=engine.config.max_memory_pages * 65_536)
    instance = wasmtime.Instance(store, module, [])
    func = instance.exports(store)[name]
    assert isinstance(func, wasmtime.Func)
    return func(store, *args)


def _depth_ok(engine: WasmtimeEngine, depth: int) -> bool:
    text = (
        '(module (func $f (export "f") (param i32) local.get 0 if '
        "local.get 0 i32.const 1 i32.sub call $f end))"
    )
    try:
        _run(engine, text, "f", depth)
    except wasmtime.Trap as trap:
        if trap.trap_code != wasmtime.TrapCode.STACK_OVERFLOW:
            raise
        return False
    return True


def _artefact(engine: wasmtime.Engine) -> bytes:
    return bytes(wasmtime.Module(engine, b"\x00asm\x01\x00\x00\x00").serialize())


def _assert_strategy(engine: WasmtimeEngine) -> None:
    """Winch is chosen through a C-API call the bindings do not wrap; an artefact records
    the compiler that made it, so a Winch engine's must differ from a cranelift engine's."""
    if engine.config.backend != "winch":
        return
    cranelift = wasmtime.Engine(engine.wasmtime_config("cranelift"))
    if _artefact(engine.engine) == _artefact(cranelift):
        raise SettingNotApplied("strategy: Winch was asked for, cranelift compiled")


def assert_settings(engine: WasmtimeEngine) -> None:
    """Raise SettingNotApplied unless NaN canonicalisation, wasmtime's fuel metering (off),
    the compiler strategy (Winch when chosen), the disabled proposals, the stack size and
    the memory cap all behave as configured. Runs on the worker."""
    nan = _run(
        engine,
        '(module (func (export "f") (result i32) f32.const nan:0x200001 '
        "f32.const 1 f32.add i32.reinterpret_f32))",
        "f",
    )
    if nan != 0x7FC0_0000:
        raise SettingNotApplied(f"NaN canonicalisation: got {nan!r}")

    # The instrumentation counts fuel (spec §15.7); wasmtime's own metering must be off.
    try:
        wasmtime.Store(engine.engine).get_fuel()
    except wasmtime.WasmtimeError:
        pass
    else:
        raise SettingNotApplied("fuel: wasmtime's own fuel metering is on")
    _assert_strategy(engine)

    for text in (
        "(module (func (result v128) v128.const i64x2 0 0))",
        "(module (memory 1) (func (result i32) i32.const 0 i32.atomic.load))",
        "(module (func (result i32 i32) i32.const 0 i32.const 0))",
        "(module (func $f return_call $f))",
        "(module (memory i64 1))",
    ):
        try:
            wasmtime.Module(engine.engine, _wat(text))
        except wasmtime.WasmtimeError:
            continue
        raise SettingNotApplied(f"a disabled proposal compiled: {text}")

    stack = engine.config.max_wasm_stack
    # A one-parameter recursion needs 16 bytes a frame on cranelift and pulley, 64 on Winch
    # (measured, wasmtime 50, x86-64): at least 16, at most 128.
    if not _depth_ok(engine, stack // 128):
        raise SettingNotApplied("max_wasm_stack: the stack is smaller than configured")
    if _depth_ok(engine, stack // 4):
        raise SettingNotApplied("max_wasm_stack: the stack is larger than configured")

    pages = engine.config.max_memory_pages
    grow = (
        '(module (memory 1) (func (export "f") (param i32) (result i32) local.get 0 memory.grow))'
    )
    if _run(engine, grow, "f", pages) != -1 or _run(engine, grow, "f", pages - 1) != 1:
        raise SettingNotApplied("memory cap: memory.grow did not stop at the page limit")
