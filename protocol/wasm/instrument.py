"""The stack-metering transform (spec §15.6), applied to a validated module.

The output is normative, byte for byte: fuel (§15.7) is counted over it, so two engines
count the same only when they run the same instrumented bytes. In short: custom sections
are dropped; one mutable i32 global (the stack counter, initialised to STACK_BUDGET) is
appended to the globals and exported as STACK_EXPORT; every defined function body becomes

    <locals as published>
    global.get S  i32.const C  i32.sub  global.set S          ;; reserve the frame
    global.get S  i32.const STACK_BUDGET  i32.gt_u  if unreachable end
    block <the function's result type>
      <the body's instructions, each `return` replaced by `br <depth of this block>`>
    end
    global.get S  i32.const C  i32.add  global.set S          ;; release it
    end

where C is the function's frame cost. The counter wraps below zero to above the budget, so
one unsigned comparison detects exhaustion; the engine reports the `unreachable` that
follows as STACK_EXHAUSTED because the exported counter is then above the budget. A start
section is removed and its function exported as START_EXPORT instead; an engine calls it
before the entry export, in the same execution, so instantiation itself never runs code.
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


def _body(data: bytes, body: Body, counter: bytes) -> bytes:
    cost = sleb(body.frame_cost)
    get = b"\x23" + counter
    put = b"\x24" + counter
    out = bytearray(data[body.start : body.code_start])
    out += get + b"\x41" + cost + b"\x6b" + put
    out += get + b"\x41" + sleb(STACK_BUDGET) + b"\x4b\x04\x40\x00\x0b"
    out += b"\x02" + (b"\x40" if body.result is None else bytes([body.result]))
    pos = body.code_start
    for offset, depth in body.returns:
        out += data[pos:offset]
        out += b"\x0c" + uleb(depth)
        pos = offset + 1
    out += data[pos : body.end - 1]  # the final `end` is re-emitted below
    out += b"\x0b" + get + b"\x41" + cost + b"\x6a" + put + b"\x0b"
    return bytes(out)


def instrument(module: Module) -> bytes:
    """The instrumented bytes of a validated module (spec §15.6)."""
    data = module.data
    counter_index = module.globals  # no imported globals: defined globals start at 0
    counter = uleb(counter_index)
    new_global = b"\x7f\x01\x41" + sleb(STACK_BUDGET) + b"\x0b"
    out = bytearray(MAGIC)
    have_globals = any(s.id == SECTION_GLOBAL for s in module.sections)
    for section in module.sections:
        if section.id == SECTION_EXPORT and not have_globals:
            out += _section(SECTION_GLOBAL, uleb(1) + new_global)
        if section.id == SECTION_GLOBAL:
            count, entries = _vector_tail(data, section.start, section.end)
            out += _section(section.id, uleb(count + 1) + entries + new_global)
        elif section.id == SECTION_EXPORT:
            count, entries = _vector_tail(data, section.start, section.end)
            name = STACK_EXPORT.encode()
            extra = [uleb(len(name)) + name + b"\x03" + counter]
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
                encoded = _body(data, body, counter)
                content += uleb(len(encoded)) + encoded
            out += _section(section.id, bytes(content))
        else:
            out += _section(section.id, data[section.start : section.end])
    return bytes(out)


def prepare(code: bytes) -> bytes:
    """Validate and instrument published module bytes; raises WasmRejection."""
    return instrument(validate(code))
