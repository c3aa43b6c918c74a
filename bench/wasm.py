"""WebAssembly layer figures (issue 8): ``python -m bench.wasm [--backend cranelift]``.

Prints CPU time per operation (one core's cost, whatever else the machine runs) for a
generated ~50 KB module: validation, instrumentation and compilation; a warm call with the
compiled module cached; the fixed per-execution overhead (fresh store, instance and
worker-thread hop); and the cost of one host call from wasm.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable

import wasmtime

from engine.config import BACKENDS, WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm.engine import HostCaller, HostImport, ValType
from protocol.wasm.instrument import FUEL_EXPORT, instrument
from protocol.wasm.validate import validate


def big_module(functions: int) -> bytes:
    """A module shaped like compiled contract code: many small integer functions."""
    funcs = []
    for n in range(functions):
        funcs.append(
            f"""(func $f{n} (param i32 i64) (result i64) (local i32 i64)
              local.get 0 i32.const 8 i32.add local.set 2
              block loop
                local.get 3 local.get 1 i64.const {n * 31 + 7} i64.mul i64.add local.set 3
                local.get 2 i32.const 4 i32.shl i32.const 65520 i32.and
                local.get 3 i64.store
                local.get 2 i32.const 1 i32.sub local.tee 2 i32.const {n % 7} i32.gt_u br_if 0
              end end
              local.get 3 local.get 2 i64.extend_i32_u i64.xor
              local.get 0 i32.const 1 i32.and if (result i64) i64.const 3 else i64.const 5 end
              i64.rotl)"""
        )
    calls = " ".join(f"i32.const {n} i64.const 3 call $f{n} drop" for n in range(0, functions, 97))
    text = f"""(module (import "rootstate" "emit" (func $emit (param i32 i32)))
      (memory (export "memory") 1) {" ".join(funcs)}
      (func (export "call") {calls} i32.const 0 i32.const 8 call $emit)
      (func (export "init") (local i32)
        loop i32.const 0 i32.const 0 call $emit
          local.get 0 i32.const 1 i32.add local.tee 0 i32.const 10000 i32.lt_u br_if 0 end))"""
    return bytes(wasmtime.wat2wasm(text))


def per_call(fn: Callable[[], object], seconds: float = 1.0) -> tuple[float, int]:
    """Mean CPU seconds per call of ``fn`` (all threads of the process) over about
    ``seconds`` of wall time, and the number of calls. CPU time, not wall time, so the
    figure is one core's cost even on a machine shared with other work."""
    fn()
    count = 0
    start = time.perf_counter()
    cpu = time.process_time()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
    return (time.process_time() - cpu) / count, count


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=list(BACKENDS), default="winch")
    parser.add_argument("--functions", type=int, default=580, help="size of the module")
    args = parser.parse_args()
    engine = WasmtimeEngine(WasmtimeConfig(backend=args.backend))
    code = big_module(args.functions)
    key = hashlib.sha256(code).digest()
    print(f"backend {args.backend}, module {len(code):,} bytes, {args.functions:,} functions")

    t_validate, _ = per_call(lambda: validate(code))
    module = validate(code)
    t_instrument, _ = per_call(lambda: instrument(module))
    instrumented = instrument(module)
    t_compile, _ = per_call(lambda: wasmtime.Module(engine.engine, instrumented), 2.0)
    print(f"validate      {t_validate * 1e3:8,.2f} ms  ({len(code) / t_validate / 1e6:,.2f} MB/s)")
    grown = len(instrumented) - len(code)
    print(f"instrument    {t_instrument * 1e3:8,.2f} ms  (+{grown:,} bytes)")
    print(f"compile       {t_compile * 1e3:8,.2f} ms")
    print(f"publish total {(t_validate + t_instrument + t_compile) * 1e3:8,.2f} ms")

    def emit(caller: HostCaller, ptr: int, length: int) -> None:
        caller.charge(1)

    imports = {"emit": HostImport("emit", (ValType.I32, ValType.I32), (), emit)}
    warm = engine.execute(key, instrumented, "call", imports, 10_000_000)
    t_warm, n_warm = per_call(lambda: engine.execute(key, instrumented, "call", imports, 10**7))
    print(
        f"warm call     {us(t_warm):>12}  ({warm.fuel_used:,} fuel, {1 / t_warm:,.0f}/s "
        f"over {n_warm:,} calls)"
    )

    empty = bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "call")))'))
    empty_key = hashlib.sha256(empty).digest()
    empty_code = instrument(validate(empty))
    t_exec, _ = per_call(lambda: engine.execute(empty_key, empty_code, "call", {}, 1_000))
    store = wasmtime.Store(engine.engine)
    instance = wasmtime.Instance(store, engine.compiled(empty_key, empty_code), [])
    exports = instance.exports(store)
    counter = exports[FUEL_EXPORT]  # the instrumentation's fuel counter (spec §15.6)
    assert isinstance(counter, wasmtime.Global)
    counter.set_value(store, wasmtime.Val.i64(10**15))
    func = exports["call"]
    assert isinstance(func, wasmtime.Func)
    t_raw, _ = per_call(lambda: func(store))
    print(
        f"per execution {us(t_exec):>12}  (empty export; a call into a live instance: "
        f"{us(t_raw)}, so store + instance + thread hop = {us(t_exec - t_raw)})"
    )

    loop = engine.execute(key, instrumented, "init", imports, 10**9)
    t_loop, _ = per_call(lambda: engine.execute(key, instrumented, "init", imports, 10**9), 2.0)
    per_host = (t_loop - t_exec) / 10_000
    print(
        f"host call     {us(per_host):>12}  (10,000 calls in one execution, "
        f"{loop.fuel_used:,} fuel)"
    )


if __name__ == "__main__":
    main()
