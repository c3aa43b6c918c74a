"""Measured cost of each weight class of the fuel schedule (protocol/wasm/schedule.py,
spec §15.7.1): ``python -m bench.schedule [--backend winch]``.

Each class runs inside a loop of ``--iterations`` iterations, instrumented as the protocol
runs it, through the real engine; the figure is the CPU time per iteration above an empty
loop's, beside the fuel the class adds per iteration, so the ns per fuel of every class can
be compared (the schedule means a fuel unit to cover about a nanosecond of work on the
reference machine with the default back end). CPU time, best of ``--repeat`` runs: one
core's cost whatever else the machine runs, though a loaded machine still inflates it.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import time

import wasmtime

from engine.config import BACKENDS, Backend, WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm.instrument import prepare

#: class -> the loop body measuring it (each leaves the operand stack as it found it).
CASES = {
    "empty loop": "",
    "5 x i32.add (weight 1)": "local.get 1 i32.const 1 i32.add local.set 1 " * 5,
    "i32.div_u (4)": "local.get 1 i32.const 7 i32.div_u local.set 1",
    "i64.rem_s (4)": "local.get 2 i64.const 7 i64.rem_s local.set 2",
    "i32.load (2)": "local.get 1 i32.const 1023 i32.and i32.load local.set 1",
    "i64.store (1)": "local.get 1 i32.const 1023 i32.and local.get 2 i64.store",
    "call + entry (2 + 4)": "call $e",
    "call_indirect + entry (4 + 4)": "i32.const 0 call_indirect (type $v)",
    "br_table of 1,000 (1)": "block i32.const 500 br_table " + "0 " * 1000 + "0 end",
    "if (1)": "local.get 1 if end",
    "memory.grow 0 (128)": "i32.const 0 memory.grow local.set 1",
    "memory.grow failing (128)": "i32.const 100 memory.grow local.set 1",
}


def module(body: str, iterations: int) -> bytes:
    return bytes(
        wasmtime.wat2wasm(
            f"""(module (memory (export "memory") 1) (type $v (func)) (table 1 funcref)
            (elem (i32.const 0) $e) (func $e)
            (func (export "call") (local i32 i32 i64) loop {body}
              local.get 0 i32.const 1 i32.add local.tee 0 i32.const {iterations} i32.lt_u
              br_if 0 end))"""
        )
    )


def report(backend: Backend, iterations: int, repeat: int) -> None:
    engine = WasmtimeEngine(WasmtimeConfig(backend=backend))
    print(f"{backend} ({iterations:,} iterations, best of {repeat}):")
    base_ns = base_fuel = 0.0
    for name, body in CASES.items():
        code = module(body, iterations)
        key = hashlib.sha256(code).digest()
        run = functools.partial(engine.execute, key, prepare(code), "call", {}, 10**15)
        fuel = run().fuel_used / iterations
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            run()
            best = min(best, time.process_time() - start)
        ns = best * 1e9 / iterations
        if name == "empty loop":
            base_ns, base_fuel = ns, fuel
            print(f"  {name:32s} {ns:7.2f} ns/iteration  {fuel:6.1f} fuel")
            continue
        extra_ns, extra_fuel = ns - base_ns, fuel - base_fuel
        print(
            f"  {name:32s} +{extra_ns:6.2f} ns  +{extra_fuel:5.1f} fuel"
            f"  = {extra_ns / extra_fuel:5.2f} ns per fuel"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.schedule", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="winch")
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for backend in list(BACKENDS) if args.backend == "all" else [args.backend]:
        report(backend, args.iterations, args.repeat)


if __name__ == "__main__":
    main()
