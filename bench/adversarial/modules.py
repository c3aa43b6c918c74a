"""The attack contracts, written in the WebAssembly text format and converted by wasmtime.

Every contract's ``call`` export reads a u32 count ``n`` from the first 4 bytes of its input
(0 when the input is shorter) and runs its loop body ``n`` times, or forever (until
``out_of_fuel``) when ``n`` is 0xFFFFFFFF: a trapped call consumes its whole fuel limit
(CONTRACTS.md §21.2), so looping until the fuel runs out is the cheapest way to spend it, and
a bounded loop is how an attacker keeps the state its calls write. Bytes 4.. of the input
follow it in memory for bodies that need an argument (a storage key seed).
"""

from __future__ import annotations

import wasmtime

from protocol.wasm.abi import HOST_FUNCTIONS

#: WAT parameter and result types of each host function, from the one import table
#: (protocol.wasm.abi, spec §15.4).
HOST = {
    name: (" ".join(t.name.lower() for t in params), " ".join(t.name.lower() for t in results))
    for name, (params, results) in HOST_FUNCTIONS.items()
}

#: Where the input lands in memory; the loop counter is its first 4 bytes.
INPUT_AT = 0
#: Scratch memory the bodies use (keys, values, buffers): from 4 KiB on.
SCRATCH = 4096
FOREVER = 0xFFFF_FFFF


def wat_module(
    body: str,
    *,
    imports: tuple[str, ...] = (),
    locals_: str = "",
    setup: str = "",
    extra: str = "",
    pages: int = 1,
    max_pages: int = 16,
) -> bytes:
    """A contract: imports, memory, ``extra`` (tables, functions), and ``call`` running
    ``setup`` once then ``body`` in the counted loop of the module docstring."""
    needed = tuple(dict.fromkeys(("input_len", "input_read", *imports)))
    lines = ["(module"]
    for name in needed:
        params, result = HOST[name]
        sig = (f" (param {params})" if params else "") + (f" (result {result})" if result else "")
        lines.append(f'  (import "rootstate" "{name}" (func ${name}{sig}))')
    lines.append(f'  (memory (export "memory") {pages} {max_pages})')
    lines.append(extra)
    lines.append(
        f"""  (func (export "call") (local $n i32) (local $i i32) (local $x i64) {locals_}
    call $input_len
    i32.const 4
    i32.ge_u
    if
      i32.const {INPUT_AT}
      call $input_read
      i32.const {INPUT_AT}
      i32.load
      local.set $n
    end
    {setup}
    local.get $n
    i32.eqz
    br_if 0
    (loop $loop
      {body}
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.ne
      br_if $loop))
)"""
    )
    return bytes(wasmtime.wat2wasm("\n".join(lines)))


def count_input(n: int, rest: bytes = b"") -> bytes:
    """The input of a contract of this module: the loop count, then ``rest``."""
    return n.to_bytes(4, "little") + rest
