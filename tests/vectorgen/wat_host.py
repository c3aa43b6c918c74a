"""The modules of the host-addition vectors (CONTRACTS.md §17.5-§17.7), with their fuel
counted by hand: each published instruction its weight (CONTRACTS_WASM.md §15.7: 1, 2 for
``call``, 0 for ``drop``), 4 for the entry, and each host call §17.3's price restated here.
"""

from __future__ import annotations

from tests.vectorgen.wat import PB, B, emit_fuel, module, start_fuel

#: §17.5-§17.7's prices, restated by hand.
SCHNORR = 150_000
SCHNORR_PB = 8
RETURN = 30_000
NEW_KEY = 300_000
VIEW = 20_000
CALL = 30_000
#: §17.7: a read-only call's start: 400,000 + 2 per byte of the callee's module.
VIEW_START = 400_000


def view_start(code: bytes) -> int:
    return VIEW_START + 2 * len(code)


#: Input: x-only key (32) at 0, signature (64) at 32, message (m bytes) at 96; logs the
#: result as one byte: 18 ops + 4 + (B + PB (96 + m)) + B + (SCHNORR + SCHNORR_PB m) + emit(1).
SCHNORR_LOG = module(
    """
    (func (export "call")
      i32.const 0 call $input_read
      i32.const 4000
      i32.const 0 i32.const 96 call $input_len i32.const 96 i32.sub i32.const 32
      call $schnorr_verify
      i32.store8
      i32.const 4000 i32.const 1 call $emit)
    """,
    imports=("input_read", "input_len", "schnorr_verify", "emit"),
)


def schnorr_log_fuel(m: int) -> int:
    return 22 + 2 * B + PB * (96 + m) + SCHNORR + SCHNORR_PB * m + emit_fuel(1)


#: schnorr_verify over a 65,536-byte message of zeros with a zero key (no curve point):
#: returns 0, logged. 12 ops + 4 + (SCHNORR + SCHNORR_PB 65,536) + emit(1).
SCHNORR_MAX = module(
    """
    (func (export "call")
      i32.const 4000
      i32.const 0 i32.const 0 i32.const 65536 i32.const 0 call $schnorr_verify
      i32.store8
      i32.const 4000 i32.const 1 call $emit)
    """,
    imports=("schnorr_verify", "emit"),
    pages=2,
)
SCHNORR_MAX_FUEL = 16 + SCHNORR + SCHNORR_PB * 65_536 + emit_fuel(1)


def schnorr_trap(pubkey: int, msg: int, length: int, sig: int) -> bytes:
    """A call export of one schnorr_verify with these arguments (and a 2-page memory)."""
    return module(
        f"""
        (func (export "call")
          i32.const {pubkey} i32.const {msg} i32.const {length} i32.const {sig}
          call $schnorr_verify drop)
        """,
        imports=("schnorr_verify",),
        pages=2,
    )


#: 65,537 bytes of message from an out-of-range pointer: the length is checked first.
SCHNORR_LONG_BAD_POINTER = schnorr_trap(0, 0xFFFFFFFF, 65_537, 0)
#: The key range (65,505, 32) ends past the 2-page memory (131,072): 131,041 + 32 > size.
SCHNORR_KEY_OUT = schnorr_trap(131_041, 0, 32, 0)
SCHNORR_MSG_OUT = schnorr_trap(0, 131_040, 33, 0)
SCHNORR_SIG_OUT = schnorr_trap(0, 0, 32, 131_009)
#: All ranges valid: the charge (150,256) is next, so under a limit of 100 out_of_fuel.
SCHNORR_IN_RANGE = schnorr_trap(0, 0, 32, 64)

#: Logs block_time then block_median_time, u64 LE each: 16 ops + 4 + 2 B + emit(16).
CLOCK = module(
    """
    (func (export "call")
      i32.const 0 call $block_time i64.store
      i32.const 8 call $block_median_time i64.store
      i32.const 0 i32.const 16 call $emit)
    """,
    imports=("block_time", "block_median_time", "emit"),
)
CLOCK_FUEL = 16 + 2 * B + emit_fuel(16)

#: Input: asset (12) and amount (16 LE); sends them back to the calling contract:
#: 7 ops + 4 + (B + PB 28) + RETURN (+ NEW_KEY when the caller held none of the asset).
RETURNER = module(
    """
    (func (export "call")
      i32.const 0 call $input_read
      i32.const 0 i32.const 12 call $send_to_caller)
    """,
    imports=("input_read", "send_to_caller"),
)


def returner_fuel(new_key: bool) -> int:
    return 11 + B + PB * 28 + RETURN + (NEW_KEY if new_key else 0)


#: send_to_caller with the asset pointer out of range (1-page memory).
RETURN_BAD_POINTER = module(
    '(func (export "call") i32.const 65530 i32.const 0 call $send_to_caller)',
    imports=("send_to_caller",),
)

#: Input: callee id (8), one asset record (28) to send it, the callee's input (28): calls
#: the callee with that input and record, all its fuel: 11 ops + 4 + (B + PB 64) + CALL +
#: PB 28 + the callee's start + the callee's fuel.
ROUTER = module(
    """
    (func (export "call")
      i32.const 0 call $input_read
      i32.const 0 i32.const 36 i32.const 28 i32.const 8 i32.const 1 i64.const 0
      call $call_contract drop)
    """,
    imports=("input_read", "call_contract"),
)


def router_fuel(callee: int, code: bytes) -> int:
    return 15 + B + PB * 64 + CALL + PB * 28 + start_fuel(code) + callee


#: Input: callee id (8), then the callee's input; calls it with no assets.
CALLER = module(
    """
    (func (export "call")
      i32.const 0 call $input_read
      i32.const 0 i32.const 8 call $input_len i32.const 8 i32.sub i32.const 0 i32.const 0
      i64.const 0 call $call_contract drop)
    """,
    imports=("input_read", "input_len", "call_contract"),
)

#: Input: callee id (8), then the callee's input (n bytes in all); views it and logs its
#: return data (r bytes): 20 ops + 4 + (B + PB n) + B + (VIEW + PB (n - 8) + the callee's
#: start + the callee's fuel) + (B + PB r) + emit(r).
VIEWER = module(
    """
    (func (export "call") (local i32)
      i32.const 0 call $input_read
      i32.const 0 i32.const 8 call $input_len i32.const 8 i32.sub i64.const 0
      call $call_view local.set 0
      i32.const 2000 call $return_data_read
      i32.const 2000 local.get 0 call $emit)
    """,
    imports=("input_read", "input_len", "call_view", "return_data_read", "emit"),
)


def viewer_fuel(n: int, returned: int, callee: int, code: bytes) -> int:
    return (
        24
        + 2 * B
        + PB * n
        + VIEW
        + PB * (n - 8)
        + view_start(code)
        + callee
        + B
        + PB * returned
        + emit_fuel(returned)
    )


#: Input: callee id (8); views it with no input and returns its return data (r bytes) as
#: its own: 17 ops + 4 + (B + PB 8) + (VIEW + the callee's start + its fuel) + (B + PB r)
#: + (B + PB r).
VIEW_RELAY = module(
    """
    (func (export "call") (local i32)
      i32.const 0 call $input_read
      i32.const 0 i32.const 8 i32.const 0 i64.const 0 call $call_view local.set 0
      i32.const 2000 call $return_data_read
      i32.const 2000 local.get 0 call $set_return)
    """,
    imports=("input_read", "call_view", "return_data_read", "set_return"),
)


def view_relay_fuel(returned: int, callee: int, code: bytes) -> int:
    return 21 + 3 * B + PB * (8 + 2 * returned) + VIEW + view_start(code) + callee


#: call_view of 65,537 bytes of input from an out-of-range id pointer: length first.
VIEW_LONG_BAD_POINTER = module(
    """
    (func (export "call")
      i32.const 0xFFFFFFFF i32.const 0 i32.const 65537 i64.const 0 call $call_view drop)
    """,
    imports=("call_view",),
    pages=2,
)
