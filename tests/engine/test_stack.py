"""The deterministic stack bound (spec §15.6): the instrumented budget always runs out
before wasmtime's own stack does, on every back end, with the largest frames the limits
allow, and even on an engine given half the default native wasm stack."""

from __future__ import annotations

import hashlib

import pytest

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm import limits
from protocol.wasm.engine import TrapKind
from protocol.wasm.instrument import prepare
from tests.engine.conftest import run, wasm

MEM = '(memory (export "memory") 1)'


def _recursion(n: int) -> str:
    # $r: cost = FRAME_BASE 8 + 1 param + 0 locals + max height 2 = 11.
    # call: cost = 8 + 0 + 0 + 1 = 9.
    return f"""(module {MEM}
      (func $r (param i32) local.get 0 if local.get 0 i32.const 1 i32.sub call $r end)
      (func (export "call") i32.const {n} call $r))"""


def test_exact_depth_by_hand(engine: WasmtimeEngine) -> None:
    # n + 1 frames of $r under one frame of call: 9 + 11 (n + 1) <= 65,536 iff n <= 5,956.
    assert limits.STACK_BUDGET == 65_536 and limits.FRAME_BASE == 8
    assert run(engine, _recursion(5_956)).trap is None
    assert run(engine, _recursion(5_957)).trap == TrapKind.STACK_EXHAUSTED


def test_unbounded_recursion_of_the_smallest_frame(engine: WasmtimeEngine) -> None:
    text = f'(module {MEM} (func $t call $t) (func (export "call") call $t))'
    result = run(engine, text, fuel=100_000_000)
    assert result.trap == TrapKind.STACK_EXHAUSTED


def test_contract_unreachable_stays_unreachable(engine: WasmtimeEngine) -> None:
    assert run(engine, f'(module {MEM} (func (export "call") unreachable))').trap == (
        TrapKind.UNREACHABLE
    )


def largest_frame_module() -> str:
    """A recursion whose every frame is as large as the limits allow: 32 i64 params, the
    other 480 locals i64, and 1,022 operand values live across the recursive call, all
    loaded from memory so the compiler can neither fold nor rematerialise them."""
    params = limits.MAX_PARAMS
    locals_ = limits.MAX_LOCALS - params
    live = limits.MAX_STACK_HEIGHT - params
    load = "i32.const {a} i64.load "
    body = ["local.get 0 i64.eqz if return end"]
    for i in range(locals_):
        body.append(load.format(a=(i * 8) % 60_000) + f"local.set {params + i}")
    body += [load.format(a=(i * 8 + 4) % 60_000) for i in range(live)]
    body.append("local.get 0 i64.const 1 i64.sub")
    body += [f"local.get {i}" for i in range(1, params)]
    body.append("call $w")
    body += ["i64.xor"] * (live - 1)
    body += [f"local.get {params + i} i64.add" for i in range(locals_)]
    body.append("drop")
    decl = f"(param {' i64' * params}) (local {' i64' * locals_})"
    args = " ".join(["i64.const 1000000"] * params)
    return f"""(module {MEM}
      (func $w {decl} {" ".join(body)})
      (func (export "call") {args} call $w))"""


SMALLEST = f'(module {MEM} (func $t call $t) (func (export "call") call $t))'
SMALLEST_INDIRECT = f"""(module {MEM} (type $v (func)) (table 1 funcref) (elem (i32.const 0) $t)
  (func $t i32.const 0 call_indirect (type $v)) (func (export "call") call $t))"""
PARAMS = " i64" * limits.MAX_PARAMS
WIDE_PARAMS = f"""(module {MEM}
  (func $p (param{PARAMS}) {"local.get 0 " * limits.MAX_PARAMS} call $p)
  (func (export "call") {"i64.const 1 " * limits.MAX_PARAMS} call $p))"""


@pytest.mark.parametrize("backend", ["winch", "cranelift", "pulley"])
@pytest.mark.parametrize("shape", ["largest", "smallest", "smallest_indirect", "wide_params"])
def test_worst_frames_exhaust_the_budget_on_half_the_native_stack(backend: str, shape: str) -> None:
    """Measured (spec §15.6), as the least max_wasm_stack still ending in stack_exhausted:
    the smallest frame 258 KiB on every back end; 32 i64 parameters 484 KiB on Winch (230
    cranelift, 175 pulley); the largest frames 520 KiB on Winch, which keeps every value in
    its frame (20 KiB cranelift and pulley). The default max_wasm_stack is 2 MiB and this
    test gives the engine only 1 MiB."""
    text = {
        "largest": largest_frame_module(),
        "smallest": SMALLEST,
        "smallest_indirect": SMALLEST_INDIRECT,
        "wide_params": WIDE_PARAMS,
    }[shape]
    code = wasm(text)
    result = _half(backend).execute(hashlib.sha256(code).digest(), prepare(code), "call", {}, 10**9)
    assert result.trap == TrapKind.STACK_EXHAUSTED


_HALF: dict[str, WasmtimeEngine] = {}


def _half(backend: str) -> WasmtimeEngine:
    if backend not in _HALF:
        config = WasmtimeConfig(backend=backend, max_wasm_stack=1 << 20)  # type: ignore[arg-type]
        _HALF[backend] = WasmtimeEngine(config)
    return _HALF[backend]
