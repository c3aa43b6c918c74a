"""The instrumentation transform, byte for byte (spec §15.6)."""

from __future__ import annotations

import wasmtime

from protocol.wasm.instrument import prepare, sleb, uleb

HEADER = "0061736d 01000000"
TYPE = "01 04 01 60 00 00"  # one type: () -> ()
FUNC = "03 02 01 00"
MEMORY = "05 03 01 00 01"
EXPORTS = "06 6d656d6f7279 02 00  04 63616c6c 00 00"  # "memory" mem 0, "call" func 0


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def test_return_becomes_branch_and_frame_is_metered() -> None:
    published = h(HEADER + TYPE + FUNC + MEMORY + "07 11 02" + EXPORTS + "0a 05 01 03 00 0f 0b")
    assert published == bytes(
        wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "call") return))')
    )
    body = (
        "00"  # no locals
        "23 00 41 08 6b 24 00"  # counter -= 8 (FRAME_BASE, no params/locals/operands)
        "23 00 41 808004 4b 04 40 00 0b"  # if counter > 65,536: unreachable
        "02 40"  # block (the function's result type: none)
        "0c 00"  # return -> br 0
        "0b"  # end of the block
        "23 00 41 08 6a 24 00"  # counter += 8
        "0b"
    )
    assert len(h(body)) == 0x20
    expected = (
        HEADER
        + TYPE
        + FUNC
        + MEMORY
        + "06 08 01 7f 01 41 808004 0b"  # the counter global, inserted before the exports
        + "07 23 03"
        + EXPORTS
        + "0f 726f6f7473746174655f737461636b 03 00"  # "rootstate_stack" global 0
        + "0a 22 01 20"
        + body
    )
    assert prepare(published) == h(expected)


def test_existing_globals_and_start_section() -> None:
    published = bytes(
        wasmtime.wat2wasm(
            """(module (memory (export "memory") 1) (global $g (mut i32) (i32.const 7))
            (func $s) (start $s) (func (export "call") (result) nop))"""
        )
    )
    out = prepare(published)
    # The counter is global 1, appended after the contract's own global 0:
    # 13 bytes = count (1) + the contract's global (5) + the counter (7).
    assert h("06 0d 02 7f 01 41 07 0b 7f 01 41 808004 0b") in out
    assert b"\x08\x01\x00" not in out[-40:]  # the start section is gone ...
    assert b"rootstate_start\x00\x00" in out  # ... its function is exported instead


def test_leb_encoders() -> None:
    assert uleb(0) == b"\x00" and uleb(624_485) == h("e58e26")
    assert sleb(-1) == b"\x7f" and sleb(63) == b"\x3f" and sleb(64) == h("c000")
    assert sleb(-123_456) == h("c0bb78") and sleb(65_536) == h("808004")
