"""Tiny hand-written contracts in the WebAssembly text format, with hand-counted fuel.

Fuel (spec/CONTRACTS_WASM.md §15.7, CONTRACTS.md §17.3): every executed operator costs 1
except ``nop drop block loop unreachable return else end`` (0), counted over the
instrumented module; ``memory.grow`` costs 1 more per page requested (even when it fails);
every function invocation costs 1 on entry, and the frame code of §15.6 adds 12 operators to
every invocation that returns (8 before the body, 4 after): 13 per call. Host calls add the
costs of §17.3. Each contract's
docstring-comment gives the count per path; the scenarios state the totals by hand.

The text is converted with wasmtime's ``wat2wasm``; symbolic names would add a custom
``name`` section, which ``strip_custom`` removes so the published bytes (and code hashes) do
not depend on how a converter writes names.
"""

from __future__ import annotations

import wasmtime

#: CONTRACTS.md §17.3: parameter and result types of each host function.
HOST = {
    "input_len": ("", "i32"),
    "input_read": ("i32", ""),
    "self_id": ("i32", ""),
    "caller_id": ("i32", "i32"),
    "block_height": ("", "i64"),
    "tx_id": ("i32", ""),
    "tx_input_count": ("", "i32"),
    "tx_input": ("i32 i32", ""),
    "tx_input_assets": ("i32 i32 i32", "i32"),
    "tx_output_count": ("", "i32"),
    "tx_output_value": ("i32", "i64"),
    "tx_output_script": ("i32 i32 i32", "i32"),
    "received": ("i32 i32", "i32"),
    "balance": ("i32 i32", ""),
    "send": ("i32 i32 i32", ""),
    "issue": ("i32 i32", ""),
    "burn": ("i32 i32", ""),
    "storage_get": ("i32 i32 i32", "i32"),
    "storage_set": ("i32 i32 i32", ""),
    "storage_delete": ("i32", ""),
    "emit": ("i32 i32", ""),
    "sha256": ("i32 i32 i32", ""),
    "call_contract": ("i32 i32 i32 i32 i32 i64", "i32"),
    "return_data_read": ("i32", ""),
    "set_return": ("i32 i32", ""),
    "abort": ("i32", ""),
}


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def strip_custom(module: bytes) -> bytes:
    """Drop custom sections (id 0) from a binary module."""
    out = bytearray(module[:8])
    pos = 8
    while pos < len(module):
        section_id = module[pos]
        size, body = _leb(module, pos + 1)
        if section_id != 0:
            out += module[pos : body + size]
        pos = body + size
    return bytes(out)


def wat_bytes(data: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in data)


def module(
    body: str,
    *,
    imports: tuple[str, ...] = (),
    pages: int = 1,
    data: dict[int, bytes] | None = None,
    extra: str = "",
) -> bytes:
    """A module importing ``imports`` (as $name), exporting memory, with ``body`` funcs."""
    lines = ["(module"]
    for name in imports:
        params, result = HOST[name]
        sig = (f" (param {params})" if params else "") + (f" (result {result})" if result else "")
        lines.append(f'  (import "rootstate" "{name}" (func ${name}{sig}))')
    lines.append(f'  (memory (export "memory") {pages})')
    for offset, blob in sorted((data or {}).items()):
        lines.append(f'  (data (i32.const {offset}) "{wat_bytes(blob)}")')
    lines.append(extra)
    lines.append(body)
    lines.append(")")
    return strip_custom(bytes(wasmtime.wat2wasm("\n".join(lines))))


#: CONTRACTS.md §17.4 step 5: a nested call also pays the callee's start, 40,000 plus 2 per
#: byte of the callee's module as published (the same start a top-level call takes from
#: its transaction's fuel, §16.5 step 1).
CALL_START = 40_000
CALL_START_PER_BYTE = 2


def start_fuel(code: bytes) -> int:
    return CALL_START + CALL_START_PER_BYTE * len(code)


# --- the contracts -----------------------------------------------------------------------

#: emit("hello"): 3 ops + 13 + emit (100 + 5) = 121.
LOG = module(
    '(func (export "call") i32.const 0 i32.const 5 call $emit)',
    imports=("emit",),
    data={0: b"hello"},
)
LOG_FUEL = 121

#: init: storage[0^32] = "init": 4 ops + 13 + 1,000 + 40 = 1,057.
#: call, by input length n: 0: log storage[0^32] (v bytes): 11 ops + 13 + 10 + (200 + v) +
#: (100 + v) = 334 + 2v; n > 32: storage[input[:32]] = input[32:]: 15 ops + 13 + 10 +
#: (10 + n) + 10 + 10 + 1,000 + 10 (n - 32) = 748 + 11 n; otherwise delete input[:32]
#: (n bytes read): 11 ops + 13 + 10 + (10 + n) + 10 + 500 = 554 + n.
STORE = module(
    """
    (func (export "init") i32.const 0 i32.const 32 i32.const 4 call $storage_set)
    (func (export "call") (local i32)
      call $input_len i32.eqz
      if
        i32.const 0 i32.const 64 i32.const 1024 call $storage_get local.set 0
        i32.const 64 local.get 0 call $emit
      else
        i32.const 64 call $input_read
        call $input_len i32.const 32 i32.gt_u
        if
          i32.const 64 i32.const 96 call $input_len i32.const 32 i32.sub call $storage_set
        else
          i32.const 64 call $storage_delete
        end
      end)
    """,
    imports=("input_len", "input_read", "storage_get", "storage_set", "storage_delete", "emit"),
    data={32: b"init"},
)
STORE_INIT_FUEL = 1_057


def store_get_fuel(v: int) -> int:
    return 334 + 2 * v


def store_set_fuel(n: int) -> int:
    return 748 + 11 * n


def store_delete_fuel(n: int) -> int:
    return 554 + n


#: Keeps what it is sent; with input (asset 12, amount 16, vout u32 LE) it sends that out.
#: Empty input: 2 ops + 13 + 10 = 25. Input of n bytes: 9 ops + 13 + 10 + (10 + n) + 500
#: = 542 + n (574 for the usual 32 bytes).
BANK = module(
    """
    (func (export "call")
      call $input_len
      if
        i32.const 0 call $input_read
        i32.const 0 i32.const 12 i32.const 28 i32.load call $send
      end)
    """,
    imports=("input_len", "input_read", "send"),
)
BANK_DEPOSIT_FUEL = 25
BANK_SEND_FUEL = 574

#: init issues 1,000 of sub 1 to itself: 5 ops + 13 + 10 + 500 = 528.
#: call sends (amount 16, vout u32 LE) of sub 1: 9 ops + 13 + 10 + (10 + 20) + 500 = 562.
ISSUER = module(
    """
    (func (export "init")
      i32.const 32 call $self_id
      i32.const 1 i32.const 0 call $issue)
    (func (export "call")
      i32.const 32 call $self_id
      i32.const 64 call $input_read
      i32.const 32 i32.const 64 i32.const 80 i32.load call $send)
    """,
    imports=("self_id", "input_read", "issue", "send"),
    data={0: (1000).to_bytes(16, "little"), 40: (1).to_bytes(4, "big")},
)
ISSUER_INIT_FUEL = 528
ISSUER_SEND_FUEL = 562

#: Burns the one asset record it received: 6 ops + 13 + (10 + 28) + 500 = 557.
BURNER = module(
    """
    (func (export "call")
      i32.const 0 i32.const 28 call $received drop
      i32.const 0 i32.const 12 call $burn)
    """,
    imports=("received", "burn"),
)
BURNER_FUEL = 557

#: Logs input 0's outpoint (36) and assets (28: one record), the height (i64), output 1's
#: value (i64), the txid (32), caller_id's result, the input and output counts: 124 bytes.
#: 29 ops + 13 + 10 + (10 + 28) + 10 + 10 + 10 + 10 + 10 + 10 + (100 + 124) = 374 when
#: input 0 carried one asset; 346 when it carried none (tx_input_assets then writes 0 bytes).
INTRO = module(
    """
    (func (export "call")
      i32.const 0 i32.const 0 call $tx_input
      i32.const 0 i32.const 36 i32.const 28 call $tx_input_assets drop
      i32.const 64 call $block_height i64.store
      i32.const 72 i32.const 1 call $tx_output_value i64.store
      i32.const 80 call $tx_id
      i32.const 112 i32.const 0 call $caller_id i32.store
      i32.const 116 call $tx_input_count i32.store
      i32.const 120 call $tx_output_count i32.store
      i32.const 0 i32.const 124 call $emit)
    """,
    imports=(
        "tx_input",
        "tx_input_assets",
        "block_height",
        "tx_output_value",
        "tx_id",
        "caller_id",
        "tx_input_count",
        "tx_output_count",
        "emit",
    ),
)
INTRO_FUEL = 374
INTRO_BARE_FUEL = 346

#: Writes storage[0^32] = "w", then, if its input (n bytes) holds at least one 8-byte id,
#: calls the first with the rest as input and all its fuel. Leaf (n = 0): 10 ops + 13 +
#: 1,010 + 10 + 10 = 1,053. Forwarding: 19 ops + 13 + 1,010 + (10 + n) + 10 + 10 + 1,000 +
#: (n - 8) + callee = 2,064 + 2 n + callee.
FORWARD = module(
    """
    (func (export "call")
      i32.const 1024 i32.const 1056 i32.const 1 call $storage_set
      i32.const 0 call $input_read
      call $input_len i32.const 8 i32.ge_u
      if
        i32.const 0 i32.const 8 call $input_len i32.const 8 i32.sub
        i32.const 0 i32.const 0 i64.const 0 call $call_contract drop
      end)
    """,
    imports=("storage_set", "input_read", "input_len", "call_contract"),
    data={1056: b"w"},
)
FORWARD_LEAF_FUEL = 1_053


def forward_fuel(n: int, callee: int) -> int:
    """The callee is another FORWARD (instances of one code)."""
    return 2_064 + 2 * n + callee + start_fuel(FORWARD)


#: Input (callee id 8, one asset record 28): calls the callee with no input and that record.
#: 9 ops + 13 + (10 + 36) + 1,000 + callee = 1,068 + callee.
PAYFORWARD = module(
    """
    (func (export "call")
      i32.const 0 call $input_read
      i32.const 0 i32.const 0 i32.const 0 i32.const 8 i32.const 1 i64.const 0
      call $call_contract drop)
    """,
    imports=("input_read", "call_contract"),
)


def payforward_fuel(callee: int, code: bytes) -> int:
    """``code``: the callee's module."""
    return 1_068 + callee + start_fuel(code)


#: Returns "pong": 3 ops + 13 + (10 + 4) = 30.
PONG = module(
    '(func (export "call") i32.const 0 i32.const 4 call $set_return)',
    imports=("set_return",),
    data={0: b"pong"},
)
PONG_FUEL = 30

#: Input (callee id 8): calls it, reads its return data and logs it (r bytes):
#: 15 ops + 13 + (10 + 8) + 1,000 + callee + (10 + r) + (100 + r) = 1,156 + 2 r + callee.
RELAY = module(
    """
    (func (export "call") (local i32)
      i32.const 0 call $input_read
      i32.const 0 i32.const 0 i32.const 0 i32.const 0 i32.const 0 i64.const 0
      call $call_contract local.set 0
      i32.const 100 call $return_data_read
      i32.const 100 local.get 0 call $emit)
    """,
    imports=("input_read", "call_contract", "return_data_read", "emit"),
)


def relay_fuel(returned: int, callee: int, code: bytes) -> int:
    """``code``: the callee's module."""
    return 1_156 + 2 * returned + callee + start_fuel(code)


#: Logs sha256("abc"): 7 ops + 13 + (50 + 3) + (100 + 32) = 205.
HASHER = module(
    """
    (func (export "call")
      i32.const 0 i32.const 3 i32.const 32 call $sha256
      i32.const 32 i32.const 32 call $emit)
    """,
    imports=("sha256", "emit"),
    data={0: b"abc"},
)
HASHER_FUEL = 205

#: Logs its custody of the asset in its input (12 bytes): 8 ops + 13 + (10 + 12) + 50 +
#: (100 + 16) = 209.
BALANCE = module(
    """
    (func (export "call")
      i32.const 0 call $input_read
      i32.const 0 i32.const 16 call $balance
      i32.const 16 i32.const 16 call $emit)
    """,
    imports=("input_read", "balance", "emit"),
)
BALANCE_FUEL = 209

#: memory.grow by 100 pages (past the 16-page limit: -1) then by 1 (returns 1), both
#: stored as i32 in storage[0^32]: 12 ops + (100 + 1) pages + 13 + 1,000 + 80 = 1,206.
GROW = module(
    """
    (func (export "call")
      i32.const 32 i32.const 100 memory.grow i32.store
      i32.const 36 i32.const 1 memory.grow i32.store
      i32.const 0 i32.const 32 i32.const 8 call $storage_set)
    """,
    imports=("storage_set",),
)
GROW_FUEL = 1_206


def trap_module(body: str, *imports: str, extra: str = "") -> bytes:
    """A contract whose call export is ``body`` (and traps in it)."""
    return module(f'(func (export "call") {body})', imports=imports, extra=extra)


UNREACHABLE = trap_module("unreachable")
SPIN = trap_module("(loop br 0)")
DIVIDE_BY_ZERO = trap_module("i32.const 1 i32.const 0 i32.div_u drop")
OVERFLOW = trap_module("i32.const 0x80000000 i32.const -1 i32.div_s drop")
LOAD_OUT_OF_BOUNDS = trap_module("i32.const 65536 i32.load drop")
RECURSE = trap_module("call 0")
_TABLE = (
    "(type (func)) (type (func (param i32))) (table 2 funcref) (elem (i32.const 0) 0) (func nop)"
)
INDIRECT_TYPE = module(
    '(func (export "call") i32.const 7 i32.const 0 call_indirect (type 1))', extra=_TABLE
)
INDIRECT_OUT_OF_TABLE = module(
    '(func (export "call") i32.const 5 call_indirect (type 0))', extra=_TABLE
)
INDIRECT_EMPTY_SLOT = module(
    '(func (export "call") i32.const 1 call_indirect (type 0))', extra=_TABLE
)
ABORT_7 = trap_module("i32.const 7 call $abort", "abort")
EMIT_BAD_POINTER = trap_module("i32.const 70000 i32.const 5 call $emit", "emit")
EMIT_TOO_LONG = trap_module("i32.const 0 i32.const 1025 call $emit", "emit")
INPUT_99 = trap_module("i32.const 99 i32.const 0 call $tx_input", "tx_input")
RETURN_TOO_LONG = trap_module("i32.const 0 i32.const 4097 call $set_return", "set_return")
ISSUE_SUB_ZERO = module(
    '(func (export "call") i32.const 0 i32.const 0 call $issue)',
    imports=("issue",),
    data={0: (5).to_bytes(16, "little")},
)
#: init traps; call would log.
INIT_TRAP = module(
    '(func (export "init") unreachable) (func (export "call") i32.const 0 i32.const 5 call $emit)',
    imports=("emit",),
    data={0: b"hello"},
)


def raw_module(text: str) -> bytes:
    """A module written out in full (for modules ``module`` cannot express)."""
    return strip_custom(bytes(wasmtime.wat2wasm(text)))


#: Logs 78 bytes: the caller's id (8, zero when called by the transaction), caller_id's
#: result (i32), output 0's script length asked with cap 0 (nothing written), the script
#: itself (34 bytes for the vectors' outputs), and the asset records received (cap 28).
#: 20 ops + 13 + 10 (+ 0: caller_id) + 10 + (10 + 34) + (10 + r) + (100 + 78) = 285 + r,
#: r = 28 when it received one record, 0 when none.
CALLER_INFO = module(
    """
    (func (export "call")
      i32.const 8 i32.const 0 call $caller_id i32.store
      i32.const 12 i32.const 0 i32.const 200 i32.const 0 call $tx_output_script i32.store
      i32.const 0 i32.const 16 i32.const 100 call $tx_output_script drop
      i32.const 50 i32.const 28 call $received drop
      i32.const 0 i32.const 78 call $emit)
    """,
    imports=("caller_id", "tx_output_script", "received", "emit"),
)


def caller_info_fuel(received: int) -> int:
    return 285 + received
