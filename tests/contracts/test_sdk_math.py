"""The contract SDK's u128 arithmetic (contracts/sdk/u128.ts), checked against Python
integers by running the committed contracts/wasm/sdk_math.wasm on the real engine.

The module is validated and instrumented like any published contract; only a minimal host
(input, return data, abort) stands in for the contract kind, because the arithmetic is all
under test here. Expected values are Python's exact integer arithmetic, not the SDK's.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from protocol.wasm.abi import HOST_FUNCTIONS
from protocol.wasm.engine import HostCaller, HostFunction, HostImport, HostTrap
from protocol.wasm.instrument import prepare

WASM = Path(__file__).resolve().parents[2] / "contracts" / "wasm" / "sdk_math.wasm"
U128_MAX = (1 << 128) - 1
# The SDK's abort codes (contracts/sdk/error.ts).
E_OVERFLOW, E_UNDERFLOW, E_DIV_ZERO = 2, 3, 4
ADD, SUB, MUL, DIV, MULDIV, MULDIV_UP, SQRT_MUL, INDEX = range(1, 9)
E_RUNTIME = 99

_CODE = WASM.read_bytes()
_HASH = hashlib.sha256(_CODE).digest()
_MODULE = prepare(_CODE)
_ENGINE = WasmtimeEngine()

u128s = st.one_of(
    st.integers(0, U128_MAX),
    st.integers(0, 1 << 64),
    st.sampled_from([0, 1, 2, (1 << 64) - 1, 1 << 64, U128_MAX - 1, U128_MAX]),
)


def run(op: int, a: int, b: int, c: int = 0) -> int:
    """The SDK's result as an int, or -code when the module aborted with ``code``."""
    data = bytes([op]) + b"".join(v.to_bytes(16, "little") for v in (a, b, c))
    out: list[bytes] = []

    def input_len(caller: HostCaller) -> int:
        return len(data)

    def input_read(caller: HostCaller, ptr: int) -> None:
        caller.write(ptr, data)

    def set_return(caller: HostCaller, ptr: int, length: int) -> None:
        out.append(caller.read(ptr, length))

    def abort(caller: HostCaller, code: int) -> None:
        raise HostTrap(code)

    funcs: dict[str, HostFunction] = {
        "input_len": input_len,
        "input_read": input_read,
        "set_return": set_return,
        "abort": abort,
    }
    imports = {name: HostImport(name, *HOST_FUNCTIONS[name], func) for name, func in funcs.items()}
    result = _ENGINE.execute(_HASH, _MODULE, "call", imports, 10_000_000)
    if result.host_trap is not None:
        return -result.host_trap.reason
    assert result.ok, result
    return int.from_bytes(out[-1], "little")


def expect(value: int) -> int:
    return value if value <= U128_MAX else -E_OVERFLOW


@settings(max_examples=60, deadline=None)
@given(u128s, u128s)
def test_add_sub_mul_div(a: int, b: int) -> None:
    assert run(ADD, a, b) == expect(a + b)
    assert run(SUB, a, b) == (a - b if a >= b else -E_UNDERFLOW)
    assert run(MUL, a, b) == expect(a * b)
    assert run(DIV, a, b) == (a // b if b else -E_DIV_ZERO)


@settings(max_examples=60, deadline=None)
@given(u128s, u128s, u128s)
def test_mul_div_rounds_down_and_up_exactly(a: int, b: int, c: int) -> None:
    if c == 0:
        assert run(MULDIV, a, b, c) == -E_DIV_ZERO
        return
    assert run(MULDIV, a, b, c) == expect(a * b // c)
    assert run(MULDIV_UP, a, b, c) == expect(-(-a * b // c))


@settings(max_examples=60, deadline=None)
@given(u128s, u128s)
def test_sqrt_of_a_256_bit_product(a: int, b: int) -> None:
    assert run(SQRT_MUL, a, b) == math.isqrt(a * b)


def test_edges_by_hand() -> None:
    # (2^128 - 1)^2 = 2^256 - 2^129 + 1: the largest 256-bit product.
    assert run(MULDIV, U128_MAX, U128_MAX, U128_MAX) == U128_MAX
    assert run(SQRT_MUL, U128_MAX, U128_MAX) == U128_MAX
    # 2^127 * 4 / 2 = 2^128: one past u128.
    assert run(MULDIV, 1 << 127, 4, 2) == -E_OVERFLOW
    # 7 * 3 / 2 = 10.5
    assert run(MULDIV, 7, 3, 2) == 10
    assert run(MULDIV_UP, 7, 3, 2) == 11
    assert run(MULDIV_UP, 6, 3, 2) == 9
    assert run(SQRT_MUL, 1_000_000, 4_000_000) == 2_000_000
    assert run(SQRT_MUL, 3, 5) == 3
    assert run(ADD, U128_MAX, 1) == -E_OVERFLOW
    assert run(SUB, 0, 1) == -E_UNDERFLOW


def test_assemblyscript_runtime_abort_goes_to_rootstate_abort() -> None:
    """build.sh's --use abort=...: a bounds check ends in rootstate.abort(99)."""
    assert run(INDEX, 0, 0) == 0
    assert run(INDEX, 1, 0) == -E_RUNTIME
