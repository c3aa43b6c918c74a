"""Tiny hand-written contracts in the WebAssembly text format, with hand-counted fuel.

Fuel (spec/CONTRACTS_WASM.md §15.7, CONTRACTS.md §17.3), counted over the published
instructions: ``unreachable nop block loop else end drop`` cost 0; ``call`` and loads 2;
division, remainder and ``call_indirect`` 4; ``memory.grow`` 128 whatever it is asked for;
every other instruction 1; every invocation of a defined function 4 more (its entry). Host
calls add the costs of §17.3. "ops" below is the instructions' total with those weights (a
host ``call`` counts 2). Each contract's docstring-comment gives the count per path; the
scenarios state the totals by hand.

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
    "schnorr_verify": ("i32 i32 i32 i32", "i32"),
    "block_time": ("", "i64"),
    "block_median_time": ("", "i64"),
    "send_to_caller": ("i32 i32", ""),
    "call_view": ("i32 i32 i32 i64", "i32"),
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


#: The text of every module built here, by its binary: the generator ships these as
#: spec/vectors/wat/ (tests/vectorgen/wat_files.py).
SOURCES: dict[bytes, str] = {}


def raw_module(text: str) -> bytes:
    """A module written out in full (``module`` writes the usual shell around its body)."""
    binary = strip_custom(bytes(wasmtime.wat2wasm(text)))
    SOURCES.setdefault(binary, text)
    return binary


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
    return raw_module("\n".join(lines))


#: CONTRACTS.md §17.4 step 5: a nested call also pays the callee's start, 500,000 plus 2 per
#: byte of the callee's module as published (the same start a top-level call takes from
#: its transaction's fuel, §16.5 step 1).
CALL_START = 500_000
CALL_START_PER_BYTE = 2


def start_fuel(code: bytes) -> int:
    return CALL_START + CALL_START_PER_BYTE * len(code)


#: CONTRACTS.md §17.3's prices, restated by hand: the base of most functions, the price
#: of a byte copied in or out, and the functions' own prices.
B = 15_000
PB = 1
BALANCE_COST = 25_000
MOVE = 30_000  # issue and burn
SEND = 200_000
NEW_ASSET = 500_000  # an issue of a sub id with no record yet
GET = 15_000
SET = 20_000
SET_PB = 2
NEW_KEY = 300_000
NEW_BYTE = 1_000
DELETE = 15_000
EMIT = 25_000
EMIT_PB = 6
SHA = 20_000
SHA_PB = 2
CALL = 30_000


def emit_fuel(n: int) -> int:
    return EMIT + EMIT_PB * n


def set_fuel(n: int, old: int | None) -> int:
    """storage_set of ``n`` bytes over a value of ``old`` bytes (None: the key is new)."""
    grown = n if old is None else max(0, n - old)
    return SET + SET_PB * n + (NEW_KEY if old is None else 0) + NEW_BYTE * grown


# --- the contracts -----------------------------------------------------------------------

#: emit("hello"): 4 ops + 4 + emit(5).
LOG = module(
    '(func (export "call") i32.const 0 i32.const 5 call $emit)',
    imports=("emit",),
    data={0: b"hello"},
)
LOG_FUEL = 8 + emit_fuel(5)

#: init: storage[0^32] = "init" (a new key): 5 ops + 4 + set(4, new).
#: call, by input length n: 0: log storage[0^32] (v bytes): 14 ops + 4 + B + (GET + PB v) +
#: emit(v); n > 32: storage[input[:32]] = input[32:]: 20 ops + 4 + B + (B + PB n) + B + B +
#: set(n - 32, over the old value); otherwise delete input[:32] (n bytes read): 15 ops + 4 +
#: B + (B + PB n) + B + DELETE.
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
STORE_INIT_FUEL = 9 + set_fuel(4, None)


def store_get_fuel(v: int) -> int:
    return 18 + B + GET + PB * v + emit_fuel(v)


def store_set_fuel(n: int, old: int | None) -> int:
    """``old``: the length of the value the key held (None: absent)."""
    return 24 + 4 * B + PB * n + set_fuel(n - 32, old)


def store_delete_fuel(n: int) -> int:
    return 19 + 3 * B + PB * n + DELETE


#: Keeps what it is sent; with input (asset 12, amount 16, vout u32 LE) it sends that out.
#: Empty input: 3 ops + 4 + B. Input of n bytes: 13 ops + 4 + B + (B + PB n) + SEND (the
#: usual 32 bytes).
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
BANK_DEPOSIT_FUEL = 7 + B
BANK_SEND_FUEL = 17 + 2 * B + PB * 32 + SEND

#: init issues 1,000 of sub 1 (no record yet) to itself: 7 ops + 4 + B + MOVE + NEW_ASSET.
#: call sends (amount 16, vout u32 LE) of sub 1: 13 ops + 4 + B + (B + PB 20) + SEND.
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
ISSUER_INIT_FUEL = 11 + B + MOVE + NEW_ASSET
ISSUER_SEND_FUEL = 17 + 2 * B + PB * 20 + SEND

#: Burns the one asset record it received: 8 ops + 4 + (B + PB 28) + MOVE.
BURNER = module(
    """
    (func (export "call")
      i32.const 0 i32.const 28 call $received drop
      i32.const 0 i32.const 12 call $burn)
    """,
    imports=("received", "burn"),
)
BURNER_FUEL = 12 + B + PB * 28 + MOVE

#: Logs input 0's outpoint (36) and assets (28: one record), the height (i64), output 1's
#: value (i64), the txid (32), caller_id's result, the input and output counts: 124 bytes.
#: 38 ops + 4 + B + (B + PB 28) + 6 B + emit(124) when input 0 carried one asset; without
#: the 28 bytes when it carried none.
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
INTRO_BARE_FUEL = 42 + 8 * B + emit_fuel(124)
INTRO_FUEL = INTRO_BARE_FUEL + PB * 28

#: Writes storage[0^32] = "w", then, if its input (n bytes) holds at least one 8-byte id,
#: calls the first with the rest as input and all its fuel. Leaf (n = 0): 13 ops + 4 +
#: set(1, new) + B + B. Forwarding: 24 ops + 4 + set(1, new) + (B + PB n) + B + B + CALL +
#: PB (n - 8) + the callee's start + callee.
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
FORWARD_LEAF_FUEL = 17 + set_fuel(1, None) + 2 * B


def forward_fuel(n: int, callee: int) -> int:
    """The callee is another FORWARD (instances of one code)."""
    return 28 + set_fuel(1, None) + 3 * B + CALL + PB * (2 * n - 8) + callee + start_fuel(FORWARD)


#: Input (callee id 8, one asset record 28): calls the callee with no input and that record.
#: 11 ops + 4 + (B + PB 36) + CALL + the callee's start + callee.
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
    return 15 + B + PB * 36 + CALL + callee + start_fuel(code)


#: Returns "pong": 4 ops + 4 + (B + PB 4).
PONG = module(
    '(func (export "call") i32.const 0 i32.const 4 call $set_return)',
    imports=("set_return",),
    data={0: b"pong"},
)
PONG_FUEL = 8 + B + PB * 4

#: Input (callee id 8): calls it, reads its return data and logs it (r bytes):
#: 19 ops + 4 + (B + PB 8) + CALL + start + callee + (B + PB r) + emit(r).
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
    return 23 + 2 * B + PB * (8 + returned) + CALL + emit_fuel(returned) + callee + start_fuel(code)


#: Logs sha256("abc"): 9 ops + 4 + (SHA + SHA_PB 3) + emit(32).
HASHER = module(
    """
    (func (export "call")
      i32.const 0 i32.const 3 i32.const 32 call $sha256
      i32.const 32 i32.const 32 call $emit)
    """,
    imports=("sha256", "emit"),
    data={0: b"abc"},
)
HASHER_FUEL = 13 + SHA + SHA_PB * 3 + emit_fuel(32)

#: Logs its custody of the asset in its input (12 bytes): 11 ops + 4 + (B + PB 12) +
#: BALANCE_COST + emit(16).
BALANCE = module(
    """
    (func (export "call")
      i32.const 0 call $input_read
      i32.const 0 i32.const 16 call $balance
      i32.const 16 i32.const 16 call $emit)
    """,
    imports=("input_read", "balance", "emit"),
)
BALANCE_FUEL = 15 + B + PB * 12 + BALANCE_COST + emit_fuel(16)

#: memory.grow by 100 pages (past the 16-page limit: -1) then by 1 (returns 1), both
#: stored as i32 in storage[0^32]: 11 ops + 2 memory.grow (128 each, whatever the pages)
#: + 4 + set(8, new).
GROW = module(
    """
    (func (export "call")
      i32.const 32 i32.const 100 memory.grow i32.store
      i32.const 36 i32.const 1 memory.grow i32.store
      i32.const 0 i32.const 32 i32.const 8 call $storage_set)
    """,
    imports=("storage_set",),
)
GROW_FUEL = 11 + 2 * 128 + 4 + set_fuel(8, None)


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


#: Logs 78 bytes: the caller's id (8, zero when called by the transaction), caller_id's
#: result (i32), output 0's script length asked with cap 0 (nothing written), the script
#: itself (34 bytes for the vectors' outputs), and the asset records received (cap 28).
#: 25 ops + 4 + B (caller_id) + B (cap 0) + (B + PB 34) + (B + PB r) + emit(78), r = 28
#: when it received one record, 0 when none.
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
    return 29 + 4 * B + PB * (34 + received) + emit_fuel(78)
