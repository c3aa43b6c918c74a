"""Function bodies to flat instruction lists with resolved branches (done once per module).

Every instruction becomes a tuple ``(op, a, b)``. Structured control flow disappears:
`block`, `loop`, `end` and `nop` emit nothing (a branch to a loop goes to its first
instruction); a branch carries its target index and the operand
height to cut back to, known statically because the body is valid (Wasm §3.3's operand
stack has a fixed height at every reachable instruction); `if` jumps to its else-part or
end when its condition is zero; `else` is a jump to the end. Each function ends in RET,
which is also the target of a branch to the function's own label and of `return`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from tests.interp.decode import Body, Cursor, FuncType, Module
from tests.interp.numeric import B32, B64, BINARY, M32, M64, UNARY

Instr = tuple[int, Any, Any]

# Internal opcodes beside the wasm ones kept as themselves (locals, globals, consts, call,
# call_indirect, drop, select, memory.size/grow, unreachable, br, br_if, br_table).
IF_NOT = 0x04  # (a: index to continue at when the condition is zero)
JUMP = 0x05  # `else` reached from the then-part: (a: index after the `end`)
RET = 0x0F  # leave the function with its results on top of the stack
UNOP = 0x100  # (a: Unary)
BINOP = 0x101  # (a: Binary)
LOAD = 0x102  # (a: offset, b: struct unpack_from, value already unsigned)
LOAD32 = 0x103  # signed narrow load into an i32: mask the negative result
LOAD64 = 0x104  # signed narrow load into an i64
STORE = 0x105  # (a: offset, b: struct pack_into, value stored at full width)
STORE8 = 0x106
STORE16 = 0x107
STORE32 = 0x108
# Opcodes the executor runs inline rather than through UNOP/BINOP: the frame code and the
# fuel charges that the instrumentation adds (spec §15.6) use them.
I32_ADD, I32_SUB, I32_GT_U, I32_EQZ, I64_SUB, I64_LT_S = 0x6A, 0x6B, 0x4B, 0x45, 0x7D, 0x53
INLINE = frozenset({I32_ADD, I32_SUB, I32_GT_U, I32_EQZ, I64_SUB, I64_LT_S})

_LOADS: dict[int, tuple[int, str]] = {
    0x28: (LOAD, "<I"),
    0x29: (LOAD, "<Q"),
    0x2C: (LOAD32, "<b"),
    0x2D: (LOAD, "<B"),
    0x2E: (LOAD32, "<h"),
    0x2F: (LOAD, "<H"),
    0x30: (LOAD64, "<b"),
    0x31: (LOAD, "<B"),
    0x32: (LOAD64, "<h"),
    0x33: (LOAD, "<H"),
    0x34: (LOAD64, "<i"),
    0x35: (LOAD, "<I"),
}
_STORES: dict[int, tuple[int, str]] = {
    0x36: (STORE, "<I"),
    0x37: (STORE, "<Q"),
    0x3A: (STORE8, "<B"),
    0x3B: (STORE16, "<H"),
    0x3C: (STORE8, "<B"),
    0x3D: (STORE16, "<H"),
    0x3E: (STORE32, "<I"),
}
# (pops, pushes) of the instructions whose effect does not depend on an immediate.
_EFFECT: dict[int, tuple[int, int]] = {
    0x1A: (1, 0),
    0x1B: (3, 1),
    0x20: (0, 1),
    0x21: (1, 0),
    0x22: (1, 1),
    0x23: (0, 1),
    0x24: (1, 0),
    0x3F: (0, 1),
    0x40: (1, 1),
    0x41: (0, 1),
    0x42: (0, 1),
}


@dataclass(slots=True)
class Function:
    """A function ready to run: ``host`` is the import name for an imported one."""

    type: FuncType
    arity: int  # 0 or 1 results
    params: int
    signs: tuple[int, ...]  # the sign bit of each parameter, to hand a host signed values
    mask: int  # of the result: a host's result is taken modulo 2^32 or 2^64
    zeros: list[int] = field(default_factory=list)  # initial values of the declared locals
    code: tuple[Instr, ...] = ()
    host: str | None = None


@dataclass(slots=True)
class _Label:
    height: int  # operand height at the label's entry
    results: int  # values its `end` leaves (0 or 1: its block type)
    loop_at: int | None = None  # the index of the loop's first instruction, for a loop
    # (container, slot) pairs to set to the index after the label's `end`
    patches: list[tuple[list[Any], int]] = field(default_factory=list)
    if_at: int | None = None  # the IF_NOT instruction still to point at its else/end

    @property
    def arity(self) -> int:
        """Values a branch to the label carries: a loop's none (no block parameters in 1.0)."""
        return 0 if self.loop_at is not None else self.results


class _Compiler:
    def __init__(self, module: Module, body: Body) -> None:
        self.module = module
        self.cur = Cursor(body.code)
        self.out: list[list[Any]] = []
        self.labels: list[_Label] = [_Label(0, len(body.type[1]))]
        self.height = 0
        self.unreachable = False

    def emit(self, op: int, a: Any = 0, b: Any = 0) -> list[Any]:
        instr = [op, a, b]
        self.out.append(instr)
        return instr

    def effect(self, pops: int, pushes: int) -> None:
        # In unreachable code the stack is polymorphic: never below the current label's entry.
        self.height = max(self.height - pops, self.labels[-1].height) + pushes

    def stop(self) -> None:
        """After br, br_table, return or unreachable: the rest of the block never runs."""
        self.height = self.labels[-1].height
        self.unreachable = True

    def target(self, depth: int) -> list[Any]:
        """A branch entry ``[index, height, arity]`` for label ``depth`` (patched later when
        the label is a block's end); height -1 means nothing to cut."""
        label = self.labels[-1 - depth]
        keep = label.height + label.arity
        height = -1 if self.height == keep and not self.unreachable else label.height
        entry = [label.loop_at, height, label.arity]
        if label.loop_at is None:
            label.patches.append((entry, 0))
        return entry

    def block_type(self) -> int:
        return 0 if self.cur.byte() == 0x40 else 1

    def run(self) -> tuple[Instr, ...]:
        cur = self.cur
        while cur.pos < len(cur.data):
            self.instruction(cur.byte())
        return tuple((op, _freeze(a), _freeze(b)) for op, a, b in self.out)

    def end(self) -> None:
        label = self.labels.pop()
        here = len(self.out)
        if label.if_at is not None:
            self.out[label.if_at][1] = here
        for container, slot in label.patches:
            container[slot] = here
        if not self.labels:  # the function's own end: branches to its label land on RET
            self.emit(RET, label.arity)
        self.height = label.height + label.results
        self.unreachable = False

    def control(self, op: int) -> None:
        cur = self.cur
        if op == 0x02:
            self.labels.append(_Label(self.height, self.block_type()))
        elif op == 0x03:
            self.labels.append(_Label(self.height, self.block_type(), len(self.out)))
        elif op == 0x04:
            arity = self.block_type()
            self.effect(1, 0)
            label = _Label(self.height, arity, if_at=len(self.out))
            self.emit(IF_NOT)
            self.labels.append(label)
        elif op == 0x05:
            label = self.labels[-1]
            label.patches.append((self.emit(JUMP), 1))
            if label.if_at is not None:
                self.out[label.if_at][1] = len(self.out)
                label.if_at = None
            self.height = label.height
            self.unreachable = False
        elif op == 0x0B:
            self.end()
        elif op in (0x0C, 0x0D):
            depth = cur.uleb()
            if op == 0x0D:
                self.effect(1, 0)
            self.emit(op, self.target(depth))
            if op == 0x0C:
                self.stop()
        elif op == 0x0E:
            self.effect(1, 0)
            depths = [cur.uleb() for _ in range(cur.uleb())]
            default = cur.uleb()
            self.emit(op, [self.target(d) for d in depths], self.target(default))
            self.stop()
        elif op == 0x0F:
            self.emit(RET, self.labels[0].arity)
            self.stop()
        elif op == 0x00:
            self.emit(op)
            self.stop()
        # nop (0x01) emits nothing

    def instruction(self, op: int) -> None:
        cur = self.cur
        if op <= 0x0F:
            self.control(op)
            return
        if op in BINARY:
            self.effect(2, 1)
            self.emit(op if op in INLINE else BINOP, BINARY[op])
        elif op in UNARY:
            self.effect(1, 1)
            self.emit(op if op in INLINE else UNOP, UNARY[op])
        elif op in _EFFECT:
            pops, pushes = _EFFECT[op]
            if op in (0x3F, 0x40):
                cur.byte()  # the reserved memory index 00
                value: int = 0
            elif op == 0x41:
                value = cur.sleb() & M32
            elif op == 0x42:
                value = cur.sleb() & M64
            elif op in (0x1A, 0x1B):
                value = 0
            else:
                value = cur.uleb()
            self.effect(pops, pushes)
            self.emit(0x41 if op == 0x42 else op, value)  # a constant is a constant
        elif op in _LOADS or op in _STORES:
            cur.uleb()  # alignment: a hint only (Wasm §4.4.7)
            offset = cur.uleb()
            kind, fmt = _LOADS[op] if op in _LOADS else _STORES[op]
            codec = struct.Struct(fmt)
            if op in _LOADS:
                self.effect(1, 1)
                self.emit(kind, offset, codec.unpack_from)
            else:
                self.effect(2, 0)
                self.emit(kind, offset, codec.pack_into)
        elif op == 0x10:
            index = cur.uleb()
            params, results = self.module.func_types[index]
            self.effect(len(params), len(results))
            self.emit(op, index)
        elif op == 0x11:
            ftype = self.module.types[cur.uleb()]
            cur.byte()  # the reserved table index 00
            self.effect(len(ftype[0]) + 1, len(ftype[1]))
            self.emit(op, ftype)
        else:
            raise ValueError(f"opcode {op:#04x} outside the subset")


def _freeze(value: Any) -> Any:
    """Branch entries and br_table lists as tuples: the executor only reads them."""
    return tuple(_freeze(x) for x in value) if isinstance(value, list) else value


def _function(ftype: FuncType) -> Function:
    params, results = ftype
    signs = tuple(B32 if t == 0x7F else B64 for t in params)
    mask = M64 if results == (0x7E,) else M32
    return Function(ftype, len(results), len(params), signs, mask)


def compile_module(module: Module) -> list[Function]:
    """Every function of ``module``, imports first, ready to run."""
    functions = []
    for name, ftype in module.imports:
        function = _function(ftype)
        function.host = name
        functions.append(function)
    for body in module.bodies:
        function = _function(body.type)
        function.zeros = [0] * len(body.locals)
        function.code = _Compiler(module, body).run()
        functions.append(function)
    return functions
