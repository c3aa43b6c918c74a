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


def charge(cost: str) -> str:
    """CHARGE(cost) of §15.6 step 5 with the fuel counter as global 1."""
    return f"23 01 42 {cost} 7d 24 01  23 01 42 00 53 04 40 00 0b"


def test_return_becomes_branch_and_frame_is_metered() -> None:
    published = h(HEADER + TYPE + FUNC + MEMORY + "07 11 02" + EXPORTS + "0a 05 01 03 00 0f 0b")
    assert published == bytes(
        wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "call") return))')
    )
    body = (
        "00"  # no locals
        + charge("05")  # the entry segment: FUNCTION_ENTRY 4 + return 1
        + "23 00 41 08 6b 24 00"  # counter -= 8 (FRAME_BASE, no params/locals/operands)
        "23 00 41 808004 4b 04 40 00 0b"  # if counter > 65,536: unreachable
        "02 40"  # block (the function's result type: none)
        "0c 00"  # return -> br 0 (the segment after it, the final end, costs 0: no charge)
        "0b"  # end of the block
        "23 00 41 08 6a 24 00"  # counter += 8
        "0b"
    )
    assert len(h(body)) == 0x30
    expected = (
        HEADER
        + TYPE
        + FUNC
        + MEMORY
        # the stack counter (i32 65,536) and the fuel counter (i64 0), before the exports
        + "06 0d 02 7f 01 41 808004 0b 7e 01 42 00 0b"
        + "07 34 04"
        + EXPORTS
        + "0f 726f6f7473746174655f737461636b 03 00"  # "rootstate_stack" global 0
        + "0e 726f6f7473746174655f6675656c 03 01"  # "rootstate_fuel" global 1
        + "0a 32 01 30"
        + body
    )
    assert prepare(published) == h(expected)


def _body(wat_body: str) -> bytes:
    text = f'(module (memory (export "memory") 1) (func (export "call") {wat_body}))'
    return prepare(bytes(wasmtime.wat2wasm(text)))


def test_a_loop_body_is_charged_at_every_entry() -> None:
    body = (
        "00"
        + charge("04")  # entry segment: 4 + loop 0
        + "23 00 41 09 6b 24 00"  # frame cost 8 + max height 1
        "23 00 41 808004 4b 04 40 00 0b"
        "02 40"
        "03 40"  # loop
        + charge("02")  # i32.const 1 + br_if 1; what follows (end, end) costs 0
        + "41 00 0d 00"  # i32.const 0  br_if 0
        "0b 0b"  # end of the loop, end of the block
        "23 00 41 09 6a 24 00"
        "0b"
    )
    assert h(body) in _body("loop i32.const 0 br_if 0 end")


def test_a_charge_goes_before_the_return_that_starts_its_segment() -> None:
    body = (
        "00"
        + charge("06")  # entry segment: 4 + i32.const 1 + if 1
        + "23 00 41 09 6b 24 00"
        "23 00 41 808004 4b 04 40 00 0b"
        "02 40"
        "41 01 04 40"  # i32.const 1  if
        + charge("01")  # the segment after `if`: the return (as br) alone
        + "0c 01"  # return -> br 1 (the if is open)
        "0b 0b"
        "23 00 41 09 6a 24 00"
        "0b"
    )
    assert h(body) in _body("i32.const 1 if return end")


def test_weights_and_costly_segments() -> None:
    # 4 + i32.const 1 + i32.const 1 + i32.div_u 4 + memory.grow 128 = 138 (sleb 8a 01);
    # drop is free and ends no segment.
    out = _body("i32.const 9 i32.const 3 i32.div_u memory.grow drop")
    assert h(charge("8a 01")) in out


def test_existing_globals_and_start_section() -> None:
    published = bytes(
        wasmtime.wat2wasm(
            """(module (memory (export "memory") 1) (global $g (mut i32) (i32.const 7))
            (func $s) (start $s) (func (export "call") (result) nop))"""
        )
    )
    out = prepare(published)
    # The counters are globals 1 and 2, appended after the contract's own global 0:
    # 18 bytes = count (1) + the contract's global (5) + the stack counter (7) + fuel (5).
    assert h("06 12 03 7f 01 41 07 0b 7f 01 41 808004 0b 7e 01 42 00 0b") in out
    assert b"\x08\x01\x00" not in out[-40:]  # the start section is gone ...
    assert b"rootstate_start\x00\x00" in out  # ... its function is exported instead


def test_leb_encoders() -> None:
    assert uleb(0) == b"\x00" and uleb(624_485) == h("e58e26")
    assert sleb(-1) == b"\x7f" and sleb(63) == b"\x3f" and sleb(64) == h("c000")
    assert sleb(-123_456) == h("c0bb78") and sleb(65_536) == h("808004")
