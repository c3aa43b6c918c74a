"""The metering transform (spec §15.6), applied to a validated module.

The output is normative, byte for byte. In short: custom sections are dropped; two mutable
globals are appended, the stack counter (i32, initialised to STACK_BUDGET, exported as
STACK_EXPORT) and the fuel counter (i64, initialised to 0, exported as FUEL_EXPORT: the
engine sets it to the execution's limit before running anything); every defined function
body becomes

    <locals as published>
    CHARGE(cost of the entry segment)                         ;; fuel first
    global.get S  i32.const C  i32.sub  global.set S          ;; reserve the frame
    global.get S  i32.const STACK_BUDGET  i32.gt_u  if unreachable end
    block <the function's result type>
      <the body's instructions, each `return` replaced by `br <depth of this block>`,
       and CHARGE(cost) at the start of every other segment of §15.7.2>
    end
    global.get S  i32.const C  i32.add  global.set S          ;; release it
    end

with CHARGE(c) = global.get F  i64.const c  i64.sub  global.set F
                 global.get F  i64.const 0  i64.lt_s  if unreachable end

where C is the function's frame cost. The fuel counter is therefore negative only at the
``unreachable`` right after a charge that did not fit, and the engine reports that trap as
OUT_OF_FUEL; the stack counter wraps below zero to above the budget, so one unsigned
comparison detects exhaustion, and the engine reports that ``unreachable`` as
STACK_EXHAUSTED. A start section is removed and its function exported as START_EXPORT
instead; an engine calls it before the entry export, in the same execution, so
instantiation itself never runs code.
"""

from __future__ import annotations

from protocol.wasm.code import Body
from protocol.wasm.limits import STACK_BUDGET
from protocol.wasm.reader import Reader
from protocol.wasm.validate import (
    MAGIC,
    SECTION_CODE,
    SECTION_EXPORT,
    SECTION_GLOBAL,
    SECTION_START,
    Module,
    validate,
)

STACK_EXPORT = "rootstate_stack"
FUEL_EXPORT = "rootstate_fuel"
START_EXPORT = "rootstate_start"


def uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def _section(section_id: int, content: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(content)) + content


def _vector_tail(data: bytes, start: int, end: int) -> tuple[int, bytes]:
    """The element count of the vector at ``start`` and its raw entries."""
    reader = Reader(data, start, end)
    count = reader.u32()
    return count, data[reader.pos : end]


def _charge(fuel: bytes, cost: int) -> bytes:
    """CHARGE(cost): subtract, then trap if the counter went negative (spec §15.7.3)."""
    get = b"\x23" + fuel
    return get + b"\x42" + sleb(cost) + b"\x7d\x24" + fuel + get + b"\x42\x00\x53\x04\x40\x00\x0b"


def _body(data: bytes, body: Body, counter: bytes, fuel: bytes) -> bytes:
    cost = sleb(body.frame_cost)
    get = b"\x23" + counter
    put = b"\x24" + counter
    out = bytearray(data[body.start : body.code_start])
    entry, *segments = body.segments
    out += _charge(fuel, entry[1])
    out += get + b"\x41" + cost + b"\x6b" + put
    out += get + b"\x41" + sleb(STACK_BUDGET) + b"\x4b\x04\x40\x00\x0b"
    out += b"\x02" + (b"\x40" if body.result is None else bytes([body.result]))
    # At one offset a segment's charge goes before the `return` that starts it.
    edits = sorted(
        [(offset, 0, segment_cost) for offset, segment_cost in segments]
        + [(offset, 1, depth) for offset, depth in body.returns]
    )
    pos = body.code_start
    for offset, is_return, value in edits:
        out += data[pos:offset]
        if is_return:
            out += b"\x0c" + uleb(value)
            pos = offset + 1
        else:
            out += _charge(fuel, value)
            pos = offset
    out += data[pos : body.end - 1]  # the final `end` is re-emitted below
    out += b"\x0b" + get + b"\x41" + cost + b"\x6a" + put + b"\x0b"
    return bytes(out)


def instrument(module: Module) -> bytes:
    """The instrumented bytes of a validated module (spec §15.6)."""
    data = module.data
    counter_index = module.globals  # no imported globals: defined globals start at 0
    counter = uleb(counter_index)
    fuel = uleb(counter_index + 1)
    new_global = b"\x7f\x01\x41" + sleb(STACK_BUDGET) + b"\x0b" + b"\x7e\x01\x42\x00\x0b"
    out = bytearray(MAGIC)
    have_globals = any(s.id == SECTION_GLOBAL for s in module.sections)
    for section in module.sections:
        if section.id == SECTION_EXPORT and not have_globals:
            out += _section(SECTION_GLOBAL, uleb(2) + new_global)
        if section.id == SECTION_GLOBAL:
            count, entries = _vector_tail(data, section.start, section.end)
            out += _section(section.id, uleb(count + 2) + entries + new_global)
        elif section.id == SECTION_EXPORT:
            count, entries = _vector_tail(data, section.start, section.end)
            name = STACK_EXPORT.encode()
            fuel_name = FUEL_EXPORT.encode()
            extra = [
                uleb(len(name)) + name + b"\x03" + counter,
                uleb(len(fuel_name)) + fuel_name + b"\x03" + fuel,
            ]
            if module.start is not None:
                name = START_EXPORT.encode()
                extra.append(uleb(len(name)) + name + b"\x00" + uleb(module.start))
            exports = uleb(count + len(extra)) + entries + b"".join(extra)
            out += _section(section.id, exports)
        elif section.id == SECTION_START:
            continue  # run by the engine before the entry export, as START_EXPORT
        elif section.id == SECTION_CODE:
            content = bytearray(uleb(len(module.bodies)))
            for body in module.bodies:
                encoded = _body(data, body, counter, fuel)
                content += uleb(len(encoded)) + encoded
            out += _section(section.id, bytes(content))
        else:
            out += _section(section.id, data[section.start : section.end])
    return bytes(out)


def prepare(code: bytes) -> bytes:
    """Validate and instrument published module bytes; raises WasmRejection."""
    return instrument(validate(code))
