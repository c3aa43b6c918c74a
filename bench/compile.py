"""Compile time per KB (issue 17 item 6): ``python -m bench.compile [--backend winch]``.

Making a module runnable (validate, instrument, compile) must take time linear in its size:
the worst shapes the validator accepts may cost at most 3x per KB what the example contracts
(contracts/wasm/*.wasm) cost, on the default back end. This prints, per back end, the CPU
time of each step for the examples and for generated hostile shapes (deep nesting with a
br_table and hundreds of live i64 locals, 2,048 functions, chains of if/else diamonds, one
maximal straight-line body), as ns per published byte and as a ratio to the examples' mean.
It also prints execution speed on a tight loop and an AMM-shaped swap function, so the
back ends can be compared on what contracts do, not only on compile time.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from engine.config import BACKENDS, Backend, WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm import limits
from protocol.wasm.instrument import instrument
from protocol.wasm.validate import validate

EXAMPLES = Path(__file__).resolve().parent.parent / "contracts" / "wasm"
MEM = '(memory (export "memory") 1)'


def _wat(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def nested_br_table(
    depth: int = limits.MAX_NESTING - 1, locals_: int = 500, functions: int = 8
) -> bytes:
    """``functions`` bodies of blocks nested ``depth`` deep, a br_table to every level at
    the bottom, and ``locals_`` i64 locals all live across it (each read after every
    level's end)."""
    targets = " ".join(str(i) for i in range(depth))
    inits = " ".join(f"i64.const {i} local.set {i}" for i in range(locals_))
    tail = []
    for level in range(depth):
        tail.append("end")
        tail.append(f"local.get {level % locals_} local.get {(level * 7) % locals_} i64.add ")
        tail.append(f"local.set {(level * 13) % locals_}")
    body = f"{inits} {'block ' * depth} i32.const 3 br_table {targets} 0 {' '.join(tail)}"
    sums = " ".join(f"local.get {i} i64.add" for i in range(1, locals_))
    decl = "(local" + " i64" * locals_ + ")"
    funcs = " ".join(f"(func {decl} {body} local.get 0 {sums} drop)" for _ in range(functions))
    return _wat(f'(module {MEM} {funcs} (func (export "call")))')


def many_functions(count: int = limits.MAX_FUNCTIONS - 1) -> bytes:
    """``count`` small functions that call each other (the export is one more)."""
    funcs = [
        f"(func $f{n} (param i32) (result i32) local.get 0 i32.const {n} i32.add"
        f" call $f{(n * 31 + 1) % count} i32.const 1 i32.xor)"
        for n in range(count - 1)
    ]
    funcs.append(f"(func $f{count - 1} (param i32) (result i32) local.get 0)")
    return _wat(f'(module {MEM} {" ".join(funcs)} (func (export "call")))')


def diamonds(count: int = 2_400, locals_: int = 64) -> bytes:
    """A chain of if/else diamonds, each writing a different one of many live locals."""
    parts = []
    for n in range(count):
        a, b = n % locals_, (n * 7 + 3) % locals_
        parts.append(
            f"local.get {a} i64.const 1 i64.and i32.wrap_i64 if local.get {b} i64.const {n}"
            f" i64.add local.set {b} else local.get {a} local.get {b} i64.mul local.set {a} end"
        )
    decl = "(local" + " i64" * locals_ + ")"
    sums = " ".join(f"local.get {i} i64.add" for i in range(1, locals_))
    return _wat(
        f"(module {MEM} (func {decl} {' '.join(parts)} local.get 0 {sums} drop)"
        f' (func (export "call")))'
    )


def straight_line(ops: int = 12_000) -> bytes:
    """One body of ``ops`` dependent i64 operations (no control flow at all)."""
    body = " ".join(f"i64.const {n} i64.add i64.const {n | 1} i64.mul" for n in range(ops // 4))
    return _wat(f'(module {MEM} (func (result i64) i64.const 1 {body}) (func (export "call")))')


SHAPES: dict[str, Callable[[], bytes]] = {
    "nested br_table, 500 live i64": nested_br_table,
    "2,048 functions (export included)": many_functions,
    "if/else diamonds": diamonds,
    "straight line": straight_line,
}


def _cpu(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def compile_figures(engine: WasmtimeEngine, name: str, code: bytes, repeat: int) -> float:
    """Print one module's validate/instrument/compile CPU time; return compile ns/byte."""
    module = validate(code)
    instrumented = instrument(module)
    check = _cpu(lambda: validate(code), repeat)
    transform = _cpu(lambda: instrument(module), repeat)
    compile_ = _cpu(lambda: wasmtime.Module(engine.engine, instrumented), repeat)
    per_byte = compile_ * 1e9 / len(code)
    print(
        f"  {name:32s} {len(code) / 1024:7.1f} KB  validate {check * 1e3:7.1f} ms"
        f"  instrument {transform * 1e3:6.1f} ms  compile {compile_ * 1e3:8.1f} ms"
        f"  = {per_byte:8.0f} ns/B compile, {(check + transform + compile_) * 1e9 / len(code):8.0f}"
        " ns/B all"
    )
    return per_byte


TIGHT_LOOP = f"""(module {MEM} (func (export "call") (local i32 i64)
  loop local.get 1 local.get 0 i64.extend_i32_u i64.add local.set 1
    local.get 0 i32.const 1 i32.add local.tee 0 i32.const 1000000 i32.lt_u br_if 0 end))"""

#: The arithmetic of a constant-product swap (u64 reserves; 0.3% fee), 100,000 times.
SWAP = f"""(module {MEM}
  (func $swap (param $x i64) (param $y i64) (param $in i64) (result i64) (local $fee i64)
    local.get $in i64.const 997 i64.mul local.set $fee
    local.get $fee local.get $y i64.mul
    local.get $x i64.const 1000 i64.mul local.get $fee i64.add
    i64.div_u)
  (func (export "call") (local i32 i64 i64)
    i64.const 1000000000 local.set 1 i64.const 2000000000 local.set 2
    loop
      i32.const 0 local.get 1 i64.store i32.const 8 local.get 2 i64.store
      i32.const 0 i64.load i32.const 8 i64.load local.get 0 i64.extend_i32_u i64.const 1000 i64.add
      call $swap local.get 2 i64.add i64.const 1 i64.shr_u local.set 2
      local.get 0 i32.const 1 i32.add local.tee 0 i32.const 100000 i32.lt_u br_if 0 end))"""


def execution_figures(engine: WasmtimeEngine, repeat: int) -> None:
    for name, text, count in (("tight loop", TIGHT_LOOP, 1_000_000), ("swap", SWAP, 100_000)):
        code = _wat(text)
        key = hashlib.sha256(code).digest()
        instrumented = instrument(validate(code))
        engine.execute(key, instrumented, "call", {}, 10**12)  # compile outside the timing
        result = engine.execute(key, instrumented, "call", {}, 10**12)
        seconds = _cpu(
            functools.partial(engine.execute, key, instrumented, "call", {}, 10**12), repeat
        )
        print(
            f"  {name:12s} {seconds * 1e9 / count:6.2f} ns per iteration,"
            f" {result.fuel_used / count:5.1f} fuel per iteration"
        )


def report(backend: Backend, repeat: int) -> None:
    engine = WasmtimeEngine(WasmtimeConfig(backend=backend))
    print(f"{backend}:")
    examples = [
        compile_figures(engine, path.name, path.read_bytes(), repeat)
        for path in sorted(EXAMPLES.glob("*.wasm"))
    ]
    mean = sum(examples) / len(examples)
    worst = max(compile_figures(engine, name, build(), repeat) for name, build in SHAPES.items())
    print(
        f"  compile: examples {mean:,.0f} ns/B mean, worst shape {worst:,.0f} ns/B"
        f" = {worst / mean:.2f}x the examples (target <= 3x on the default back end)"
    )
    execution_figures(engine, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per figure")
    args = parser.parse_args()
    for backend in list(BACKENDS) if args.backend == "all" else [args.backend]:
        report(backend, args.repeat)


if __name__ == "__main__":
    main()
