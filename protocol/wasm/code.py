"""Validation of one function body (spec §15.3.3): the operand-stack type check of the
WebAssembly specification's validation algorithm, restricted to the integer MVP subset.

Besides accepting or rejecting, it measures what the instrumentation needs: the maximum
operand-stack height, the position and depth of every ``return``, and the metering segments
of §15.7.2 with their static fuel cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.wasm import limits, schedule
from protocol.wasm.reader import Reader, malformed
from protocol.wasm.reasons import WasmReason, WasmRejection
from protocol.wasm.types import I32, I64, FuncType, GlobalType, block_type, value_type

UNKNOWN = 0  # the polymorphic operand type of unreachable code

# opcode -> (operand types popped, in push order; result type or None)
_NUMERIC: dict[int, tuple[tuple[int, ...], int | None]] = {
    0x45: ((I32,), I32),  # i32.eqz
    0x50: ((I64,), I32),  # i64.eqz
    0xA7: ((I64,), I32),  # i32.wrap_i64
    0xAC: ((I32,), I64),  # i64.extend_i32_s
    0xAD: ((I32,), I64),  # i64.extend_i32_u
}
_NUMERIC.update({op: ((I32, I32), I32) for op in range(0x46, 0x50)})  # i32 compare
_NUMERIC.update({op: ((I64, I64), I32) for op in range(0x51, 0x5B)})  # i64 compare
_NUMERIC.update({op: ((I32,), I32) for op in range(0x67, 0x6A)})  # i32 clz ctz popcnt
_NUMERIC.update({op: ((I32, I32), I32) for op in range(0x6A, 0x79)})  # i32 binary
_NUMERIC.update({op: ((I64,), I64) for op in range(0x79, 0x7C)})  # i64 clz ctz popcnt
_NUMERIC.update({op: ((I64, I64), I64) for op in range(0x7C, 0x8B)})  # i64 binary
_NUMERIC.update({0xC0: ((I32,), I32), 0xC1: ((I32,), I32)})  # i32.extend8_s/16_s
_NUMERIC.update({op: ((I64,), I64) for op in range(0xC2, 0xC5)})  # i64.extend8/16/32_s

# opcode -> (natural alignment log2, value type, is_store)
_MEMORY: dict[int, tuple[int, int, bool]] = {
    0x28: (2, I32, False),
    0x29: (3, I64, False),
    0x2C: (0, I32, False),
    0x2D: (0, I32, False),
    0x2E: (1, I32, False),
    0x2F: (1, I32, False),
    0x30: (0, I64, False),
    0x31: (0, I64, False),
    0x32: (1, I64, False),
    0x33: (1, I64, False),
    0x34: (2, I64, False),
    0x35: (2, I64, False),
    0x36: (2, I32, True),
    0x37: (3, I64, True),
    0x3A: (0, I32, True),
    0x3B: (1, I32, True),
    0x3C: (0, I64, True),
    0x3D: (1, I64, True),
    0x3E: (2, I64, True),
}

_FLOAT_OPS = frozenset(
    [
        *(0x2A, 0x2B, 0x38, 0x39, 0x43, 0x44),  # float loads, stores, constants
        *range(0x5B, 0x67),  # float comparisons
        *range(0x8B, 0xA7),  # float arithmetic
        *range(0xA8, 0xAC),  # i32.trunc_f*
        *range(0xAE, 0xC0),  # i64.trunc_f*, float conversions, reinterpretations
    ]
)


@dataclass(frozen=True, slots=True)
class Body:
    """A validated body: where its parts lie in the module and what instrumentation needs."""

    start: int  # first byte of the locals declarations
    code_start: int  # first instruction
    end: int  # one past the final `end`
    frame_cost: int  # FRAME_BASE + params + locals + max operand height (spec §15.6)
    result: int | None  # the function's result type
    returns: tuple[tuple[int, int], ...]  # (offset of a `return`, enclosing block count)
    # (offset where a segment starts, its static cost), in order; the first is the entry
    # segment (at code_start, FUNCTION_ENTRY included); segments costing 0 are left out.
    segments: tuple[tuple[int, int], ...]


@dataclass(slots=True)
class _Frame:
    opcode: int  # 0x02 block, 0x03 loop, 0x04 if, 0x05 else, 0x00 the function
    result: int | None
    height: int
    unreachable: bool = False


class _Checker:
    def __init__(self, reader: Reader, ctx: BodyContext, func: FuncType) -> None:
        self.r = reader
        self.ctx = ctx
        self.vals: list[int] = []
        self.frames: list[_Frame] = []
        self.max_height = 0
        self.func = func
        self.segments: list[tuple[int, int]] = []
        self.segment_start = reader.pos
        self.segment_cost = schedule.FUNCTION_ENTRY

    def cut(self) -> None:
        """End the current segment after the instruction just read (spec §15.7.2)."""
        if self.segment_cost:
            self.segments.append((self.segment_start, self.segment_cost))
        self.segment_start = self.r.pos
        self.segment_cost = 0

    def fail(self, detail: str) -> WasmRejection:
        return WasmRejection(WasmReason.INVALID_CODE, f"{detail} at byte {self.r.pos}")

    def push(self, value: int) -> None:
        self.vals.append(value)
        if len(self.vals) > self.max_height:
            self.max_height = len(self.vals)
            if self.max_height > limits.MAX_STACK_HEIGHT:
                raise WasmRejection(WasmReason.STACK_TOO_HIGH, f"at byte {self.r.pos}")

    def pop(self, expected: int = UNKNOWN) -> int:
        frame = self.frames[-1]
        if len(self.vals) == frame.height:
            if frame.unreachable:
                return expected
            raise self.fail("operand stack underflow")
        actual = self.vals.pop()
        if UNKNOWN not in (actual, expected) and actual != expected:
            raise self.fail("operand type mismatch")
        return actual if actual != UNKNOWN else expected

    def push_frame(self, opcode: int, result: int | None) -> None:
        if len(self.frames) > limits.MAX_NESTING:
            raise WasmRejection(WasmReason.NESTING_TOO_DEEP, f"at byte {self.r.pos}")
        self.frames.append(_Frame(opcode, result, len(self.vals)))

    def pop_frame(self) -> _Frame:
        frame = self.frames[-1]
        if frame.result is not None:
            self.pop(frame.result)
        if len(self.vals) != frame.height:
            raise self.fail("values left on the operand stack")
        self.frames.pop()
        return frame

    def label_type(self, depth: int) -> int | None:
        if depth >= len(self.frames):
            raise self.fail("branch depth out of range")
        frame = self.frames[-1 - depth]
        return None if frame.opcode == 0x03 else frame.result

    def set_unreachable(self) -> None:
        frame = self.frames[-1]
        del self.vals[frame.height :]
        frame.unreachable = True

    def index(self, bound: int, what: str) -> int:
        value = self.r.u32()
        if value >= bound:
            raise self.fail(f"{what} index out of range")
        return value

    def call(self, func: FuncType) -> None:
        for param in reversed(func.params):
            self.pop(param)
        for result in func.results:
            self.push(result)


@dataclass(frozen=True, slots=True)
class BodyContext:
    """The module-level facts a body is checked against."""

    types: tuple[FuncType, ...]
    functions: tuple[FuncType, ...]  # imports first, then defined functions
    globals: tuple[GlobalType, ...]
    has_table: bool
    has_memory: bool


def check_body(reader: Reader, ctx: BodyContext, func: FuncType) -> Body:
    """Validate the body occupying ``reader`` exactly (after its size prefix)."""
    start = reader.pos
    local_types = list(func.params)
    for _ in range(reader.u32()):
        count = reader.u32()
        valtype = value_type(reader)
        if len(local_types) + count > limits.MAX_LOCALS:
            raise WasmRejection(WasmReason.TOO_MANY_LOCALS, f"at byte {reader.pos}")
        local_types.extend([valtype] * count)
    code_start = reader.pos
    checker = _Checker(reader, ctx, func)
    result = func.results[0] if func.results else None
    checker.frames.append(_Frame(0x00, result, 0))
    returns = _run(checker, local_types)
    declared = len(local_types) - len(func.params)
    cost = limits.FRAME_BASE + len(func.params) + declared + checker.max_height
    segments = tuple(checker.segments)
    return Body(start, code_start, reader.pos, cost, result, tuple(returns), segments)


def _run(c: _Checker, local_types: list[int]) -> list[tuple[int, int]]:
    r = c.r
    ctx = c.ctx
    returns: list[tuple[int, int]] = []
    while True:
        if r.at_end():
            raise malformed("function body without its final end")
        op_pos = r.pos
        op = r.byte()
        c.segment_cost += schedule.weight(op)
        if op in _NUMERIC:
            ins, out = _NUMERIC[op]
            for valtype in reversed(ins):
                c.pop(valtype)
            if out is not None:
                c.push(out)
        elif op == 0x20:  # local.get
            c.push(local_types[c.index(len(local_types), "local")])
        elif op in (0x21, 0x22):  # local.set, local.tee
            valtype = local_types[c.index(len(local_types), "local")]
            c.pop(valtype)
            if op == 0x22:
                c.push(valtype)
        elif op == 0x23:  # global.get
            c.push(ctx.globals[c.index(len(ctx.globals), "global")].valtype)
        elif op == 0x24:  # global.set
            glob = ctx.globals[c.index(len(ctx.globals), "global")]
            if not glob.mutable:
                raise c.fail("global.set of an immutable global")
            c.pop(glob.valtype)
        elif op in _MEMORY:
            natural, valtype, is_store = _MEMORY[op]
            if r.u32() > natural:
                raise c.fail("alignment larger than natural")
            r.u32()  # offset
            if not ctx.has_memory:
                raise c.fail("memory access without a memory")
            if is_store:
                c.pop(valtype)
                c.pop(I32)
            else:
                c.pop(I32)
                c.push(valtype)
        elif op == 0x41:
            r.signed(32)
            c.push(I32)
        elif op == 0x42:
            r.signed(64)
            c.push(I64)
        elif op in (0x3F, 0x40):  # memory.size, memory.grow
            if r.byte() != 0x00:
                raise malformed("memory index byte must be 0x00")
            if not ctx.has_memory:
                raise c.fail("memory instruction without a memory")
            if op == 0x40:
                c.pop(I32)
            c.push(I32)
        elif op == 0x1A:  # drop
            c.pop()
        elif op == 0x1B:  # select
            c.pop(I32)
            first = c.pop()
            second = c.pop(first)
            c.push(second)
        elif op in (0x02, 0x03, 0x04):  # block, loop, if
            result = block_type(r)
            if op == 0x04:
                c.pop(I32)
            c.push_frame(op, result)
        elif op == 0x05:  # else
            if c.frames[-1].opcode != 0x04:
                raise c.fail("else without if")
            frame = c.pop_frame()
            c.frames.append(_Frame(0x05, frame.result, len(c.vals)))
        elif op == 0x0B:  # end
            frame = c.frames[-1]
            if frame.opcode == 0x04 and frame.result is not None:
                raise c.fail("if with a result needs an else")
            c.pop_frame()
            if not c.frames:
                if not r.at_end():
                    raise malformed("bytes after the function's final end")
                c.cut()
                return returns
            if frame.result is not None:
                c.push(frame.result)
        elif op == 0x0C:  # br
            label = c.label_type(r.u32())
            if label is not None:
                c.pop(label)
            c.set_unreachable()
        elif op == 0x0D:  # br_if
            label = c.label_type(r.u32())
            c.pop(I32)
            if label is not None:
                c.pop(label)
                c.push(label)
        elif op == 0x0E:  # br_table
            depths = [r.u32() for _ in range(r.u32())]
            default = c.label_type(r.u32())
            for depth in depths:
                if c.label_type(depth) != default:
                    raise c.fail("br_table targets of different types")
            c.pop(I32)
            if default is not None:
                c.pop(default)
            c.set_unreachable()
        elif op == 0x0F:  # return
            returns.append((op_pos, len(c.frames) - 1))
            for result in c.func.results:
                c.pop(result)
            c.set_unreachable()
        elif op == 0x10:  # call
            c.call(ctx.functions[c.index(len(ctx.functions), "function")])
        elif op == 0x11:  # call_indirect
            functype = ctx.types[c.index(len(ctx.types), "type")]
            if r.byte() != 0x00:
                raise malformed("table index byte must be 0x00")
            if not ctx.has_table:
                raise c.fail("call_indirect without a table")
            c.pop(I32)
            c.call(functype)
        elif op == 0x00:  # unreachable
            c.set_unreachable()
        elif op == 0x01:  # nop
            pass
        elif op in _FLOAT_OPS:
            raise WasmRejection(WasmReason.FLOAT_INSTRUCTION, f"opcode {op:#04x} at {op_pos}")
        elif op == 0xFC:
            sub = r.u32()
            reason = (
                WasmReason.FLOAT_INSTRUCTION if sub <= 7 else WasmReason.UNSUPPORTED_INSTRUCTION
            )
            raise WasmRejection(reason, f"opcode 0xfc {sub} at {op_pos}")
        else:
            raise WasmRejection(WasmReason.UNSUPPORTED_INSTRUCTION, f"opcode {op:#04x} at {op_pos}")
        if op in schedule.SEGMENT_ENDS:
            c.cut()
