"""Contracts of the vectors that pin readings of the host interface and the stack rule.

Each one ends in a trap whose reason names the reading (spec/CONTRACTS.md §17.2-§17.4,
CONTRACTS_WASM.md §15.6): a trapped execution reports fuel used = its limit (§15.7), so
none of these outcomes depends on an instruction's fuel price, only on the order of checks
and on the frame costs. Where a contract must get past a host call and then stop, it
divides by zero (``integer_divide_by_zero``): an outcome no reading of the call can give.
Fuel, where it matters, is counted per path in the comment above the contract.
"""

from __future__ import annotations

from tests.vectorgen.wat import module, trap_module

#: The trap that says "the host call before me returned normally".
DIVIDE = "i32.const 1 i32.const 0 i32.div_u drop"
AMOUNT_ONE = {16: (1).to_bytes(16, "little")}

#: send(asset 0, amount 0, vout 99): the amount's zero check precedes the vout check
#: (§17.3) -> invalid_host_argument.
SEND_ZERO_TO_NOWHERE = trap_module("i32.const 0 i32.const 16 i32.const 99 call $send", "send")
#: send(asset 0, amount 1, vout 99) under a limit of 200: arguments are checked before the
#: 500 fuel is charged (§17.2) -> invalid_output. Fuel before the send: the one segment,
#: 4 (entry) + 3 (i32.const) + 2 (call) = 9.
SEND_TO_NOWHERE = module(
    '(func (export "call") i32.const 0 i32.const 16 i32.const 99 call $send)',
    imports=("send",),
    data=AMOUNT_ONE,
)
#: send(asset 0, amount 1, vout 0) under a limit of 200, holding nothing: the charge (step 3)
#: precedes the custody check (step 4) -> out_of_fuel. Fuel before the send: 9.
SEND_UNFUNDED = module(
    '(func (export "call") i32.const 0 i32.const 16 i32.const 0 call $send)',
    imports=("send",),
    data=AMOUNT_ONE,
)
#: issue(sub 0, amount at 70,000): sub is a scalar argument, checked before the amount's
#: range (§17.2 step 1) -> invalid_host_argument.
ISSUE_SUB_ZERO_BAD_POINTER = trap_module("i32.const 0 i32.const 70000 call $issue", "issue")
#: emit(70,000, 1,025): the length bound precedes the range -> invalid_host_argument.
EMIT_LONG_BAD_POINTER = trap_module("i32.const 70000 i32.const 1025 call $emit", "emit")
#: set_return(70,000, 4,097): the length bound precedes the range -> invalid_host_argument.
RETURN_LONG_BAD_POINTER = trap_module(
    "i32.const 70000 i32.const 4097 call $set_return", "set_return"
)
#: storage_set(key 70,000, value 0, 1,025): the length bound precedes both ranges ->
#: storage_limit.
STORE_LONG_BAD_POINTER = trap_module(
    "i32.const 70000 i32.const 0 i32.const 1025 call $storage_set", "storage_set"
)
#: tx_input(99, 70,000): the index precedes the output range -> invalid_host_argument.
INPUT_99_BAD_POINTER = trap_module("i32.const 99 i32.const 70000 call $tx_input", "tx_input")
#: tx_output_value(tx_output_count()): an index equal to the count is out of range ->
#: invalid_host_argument.
OUTPUT_AT_COUNT = trap_module(
    "call $tx_output_count call $tx_output_value drop", "tx_output_count", "tx_output_value"
)

#: received(65,536, 0) with nothing received: a zero-length write at the end of memory is
#: valid (§17.1: ptr <= size), so the call returns and the division traps.
RECEIVED_AT_END = trap_module(
    f"i32.const 65536 i32.const 0 call $received drop {DIVIDE}", "received"
)
#: received(65,537, 0) with nothing received: 0 bytes fit the capacity 0, so the output is
#: written and its range checked; ptr > size -> memory_out_of_bounds.
RECEIVED_PAST_END = trap_module("i32.const 65537 i32.const 0 call $received drop", "received")
#: input_read(70,000) with an empty input: the range (70,000, 0) -> memory_out_of_bounds.
INPUT_READ_PAST_END = trap_module("i32.const 70000 call $input_read", "input_read")
#: tx_output_script(0, 70,000, 0): the 34-byte script does not fit, nothing is written and
#: the range is not checked; the division traps.
SCRIPT_TOO_SMALL_BAD_POINTER = trap_module(
    f"i32.const 0 i32.const 70000 i32.const 0 call $tx_output_script drop {DIVIDE}",
    "tx_output_script",
)
#: caller_id(70,000) called by the transaction: checks and writes nothing, returns 0; the
#: division traps.
CALLER_ID_BAD_POINTER = trap_module(f"i32.const 70000 call $caller_id drop {DIVIDE}", "caller_id")

#: Input (callee id 8): calls it with fuel 50, less than any call of LOG needs (its emit
#: alone charges 105) -> the callee's out_of_fuel, which is the caller's.
LIMITED = module(
    """
    (func (export "call")
      i32.const 0 call $input_read
      i32.const 0 i32.const 0 i32.const 0 i32.const 0 i32.const 0 i64.const 50
      call $call_contract drop)
    """,
    imports=("input_read", "call_contract"),
)


def _depth(n: int) -> bytes:
    return module(
        """
        (func $f (param i32) (local i64)
          block
            local.get 0
            if
              local.get 0 i32.const 1 i32.sub call $f
            end
            return
            i32.const 0 i32.const 0 i32.const 0 drop drop drop
          end
          unreachable)
        (func (export "call")
          i32.const 0 i32.load call $f
          i32.const 1 i32.const 0 i32.div_u drop)
        """,
        data={0: n.to_bytes(4, "little")},
    )


#: Frame costs (§15.6). $f (1 parameter, 1 local) recurses n times; its max height is 3,
#: reached by the pushes after its `return` (unreachable code counts), so C = 8 + 1 + 1 + 3
#: = 13. The export reads n (u32 LE, a data segment at 0), calls $f(n) and then divides by
#: zero; its max height is 2, so C = 10. n + 1 frames of $f fit when 10 + 13 (n + 1) <=
#: 65,536: n = 5,039 fits (integer_divide_by_zero), n = 5,040 is stack_exhausted at frame
#: 5,041. The `return` sits inside a block, so its rewrite is `br 1`; a `br 0` would reach
#: the `unreachable`.
DEPTH_FITS = _depth(5_039)
#: As DEPTH_FITS (depth-fits.wat) with n = 5,040. Fuel (§15.7): the export is one segment,
#: 4 (entry) + 1 (i32.const) + 2 (i32.load) + 2 (call) + 1 + 1 + 4 (i32.div_u) = 15; each
#: frame of $f going down charges its entry segment 4 + 0 (block) + 1 (local.get) + 1 (if)
#: = 6, then, in the then-branch, 1 + 1 + 1 + 2 (call) = 5. Frame 5,041's entry charge brings U to
#: 15 + 5,040 x 11 + 6 = 55,461, before its frame is reserved: with F = 55,460 it does not
#: fit (out_of_fuel); with F = 55,461 it fits and the frame does not (stack_exhausted).
DEPTH_OVER = _depth(5_040)
DEPTH_OVER_FUEL = 55_461


def _skip(branch: str) -> bytes:
    return module(
        f"""
        (func (export "call")
          block
            {branch}
            i32.const 7 i32.const 0 i32.div_u drop
          end
          i32.const 1 i32.const 0 i32.div_u drop)
        """
    )


#: Segments end at a branch (§15.7.2), so code a taken branch skips is not paid. The block
#: is left by `i32.const 1 br_if 0`: the entry segment is 4 + 0 (block) + 1 + 1 = 6 and
#: ends at the br_if; the skipped segment (1 + 1 + 4 + 0 + 0 = 6) is never entered; the one
#: after the block's end, 1 + 1 + 4 + 0 = 6, is paid and then divides by zero. 12 in all:
#: with F = 12 integer_divide_by_zero, with F = 11 out_of_fuel.
BR_IF_SKIPS = _skip("i32.const 1 br_if 0")
BR_IF_SKIPS_FUEL = 12
#: As BR_IF_SKIPS (br-if-skips.wat), left by `br 0`: entry 4 + 0 + 1 = 5, then 6: 11 in all.
BR_SKIPS = _skip("br 0")
BR_SKIPS_FUEL = 11
#: As BR_IF_SKIPS (br-if-skips.wat), left by `i32.const 0 br_table 0`: entry 4 + 0 + 1
#: + 1 = 6, then 6: 12.
BR_TABLE_SKIPS = _skip("i32.const 0 br_table 0")
BR_TABLE_SKIPS_FUEL = 12
