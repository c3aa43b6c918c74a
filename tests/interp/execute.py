"""One instance of a compiled module and the dispatch loop that runs it (Wasm §4.4).

An Instance is one execution's store: memory, globals and table. It is also the HostCaller
its host functions receive. It keeps no fuel of its own: fuel is the instrumented module's
counter global (spec §15.6-§15.7), which host charges decrement too. Wasm calls do not
recurse in Python: the loop keeps its own frame list, so call depth is bounded by the
instrumented stack budget (§15.6) alone, never by Python's recursion limit.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from protocol.wasm.engine import EngineTrap, HostFunction, TrapKind
from protocol.wasm.limits import MAX_MEMORY_PAGES
from tests.interp.compile import (
    BINOP,
    I32_ADD,
    I32_EQZ,
    I32_GT_U,
    I32_SUB,
    I64_LT_S,
    I64_SUB,
    IF_NOT,
    JUMP,
    LOAD,
    LOAD32,
    LOAD64,
    RET,
    STORE,
    STORE8,
    STORE16,
    STORE32,
    UNOP,
    Function,
)
from tests.interp.decode import Module
from tests.interp.numeric import B64, M32, M64, Trap, signed

PAGE = 65_536


class HostError(Exception):
    """Carries an exception a host function raised past the loop's own handlers (a host
    bug, which must surface as itself rather than be read as a trap)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(repr(error))
        self.error = error


def _cut(stack: list[int], height: int, arity: int) -> None:
    """A branch leaves its label's height plus the ``arity`` values on top (Wasm §4.4.8)."""
    if arity:
        stack[height] = stack[-1]
        del stack[height + 1 :]
    else:
        del stack[height:]


class Instance:
    """A fresh instance (spec §15.8); the HostCaller of its host calls. ``fuel`` is the index
    of the fuel counter global, which the engine sets to the limit before anything runs."""

    __slots__ = ("fuel", "functions", "globals", "hosts", "max_pages", "mem", "table")

    def __init__(
        self,
        module: Module,
        functions: list[Function],
        hosts: Mapping[str, HostFunction],
        fuel: int,
    ) -> None:
        self.functions = functions
        self.hosts = hosts
        minimum, maximum = module.memory
        self.mem = bytearray(minimum * PAGE)
        for offset, data in module.data:
            self.mem[offset : offset + len(data)] = data
        self.max_pages = min(MAX_MEMORY_PAGES, PAGE if maximum is None else maximum)
        self.globals = list(module.globals)
        self.table: list[int | None] = [None] * module.table_size
        for offset, indices in module.elements:
            self.table[offset : offset + len(indices)] = indices
        self.fuel = fuel

    # -- HostCaller ---------------------------------------------------------------------

    def _bounds(self, ptr: int, length: int) -> int:
        start = ptr & M32
        if start + length > len(self.mem):
            raise EngineTrap(TrapKind.MEMORY_OUT_OF_BOUNDS, f"{length} bytes at {start:#x}")
        return start

    def read(self, ptr: int, length: int) -> bytes:
        length &= M32
        start = self._bounds(ptr, length)
        return bytes(self.mem[start : start + length])

    def write(self, ptr: int, data: bytes) -> None:
        start = self._bounds(ptr, len(data))
        self.mem[start : start + len(data)] = data

    def charge(self, fuel: int) -> None:
        if fuel < 0:
            raise ValueError("a charge cannot be negative")
        left = self.fuel_left()
        if fuel > left:  # consumes nothing: the execution traps with its whole limit
            raise EngineTrap(TrapKind.OUT_OF_FUEL, f"host charge of {fuel:,}")
        self.globals[self.fuel] = (left - fuel) & M64

    def fuel_left(self) -> int:
        """The counter, signed; never negative in a host call (a failed charge traps)."""
        return signed(self.globals[self.fuel], B64)

    # -- execution ----------------------------------------------------------------------

    def _host(self, function: Function, stack: list[int]) -> None:
        n = function.params
        args = [signed(v, s) for v, s in zip(stack[len(stack) - n :], function.signs, strict=True)]
        del stack[len(stack) - n :]
        try:
            result = self.hosts[function.host or ""](self, *args)
        except (Trap, struct.error) as error:  # never ours: a nested execution catches its own
            raise HostError(error) from error
        if function.arity:
            if result is None:
                raise TypeError(f"host function {function.host} must return a value")
            stack.append(result & function.mask)

    def _indirect(self, slot: int, expected: Any) -> int:
        table = self.table
        if slot >= len(table):
            raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
        index = table[slot]
        if index is None:
            raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
        if self.functions[index].type != expected:
            raise Trap(TrapKind.INDIRECT_CALL_TYPE)
        return index

    def call(self, index: int) -> None:
        """Run function ``index`` (type [] -> []) to its end; raises Trap, HostTrap or
        EngineTrap when the execution stops early."""
        try:
            self._run(index)
        except struct.error:
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS) from None

    def _run(self, index: int) -> None:
        funcs = self.functions
        mem = self.mem
        glob = self.globals
        function = funcs[index]
        code = function.code
        locs = list(function.zeros)
        st: list[int] = []
        pc = 0
        frames: list[tuple[Any, int, list[int], list[int]]] = []
        # The branches are ordered by how often instrumented code runs them: every segment
        # starts with a fuel charge (global.get, i64.const, i64.sub, global.set, ...,
        # i64.lt_s, if), so those come first; the rarest ops come last.
        while True:
            op, a, b = code[pc]
            pc += 1
            if op == 0x20:
                st.append(locs[a])
            elif op == 0x23:
                st.append(glob[a])
            elif op == 0x41:
                st.append(a)
            elif op == 0x24:
                glob[a] = st.pop()
            elif op == I64_SUB:
                y = st.pop()
                st[-1] = (st[-1] - y) & M64
            elif op == I64_LT_S:
                y = st.pop()
                st[-1] = 1 if st[-1] ^ B64 < y ^ B64 else 0
            elif op == IF_NOT:
                if not st.pop():
                    pc = a
            elif op == BINOP:
                y = st.pop()
                st[-1] = a(st[-1], y)
            elif op == 0x21:
                locs[a] = st.pop()
            elif op == I32_ADD:
                y = st.pop()
                st[-1] = (st[-1] + y) & M32
            elif op == I32_SUB:
                y = st.pop()
                st[-1] = (st[-1] - y) & M32
            elif op == 0x0D:
                if st.pop():
                    pc, h, arity = a
                    if h >= 0:
                        _cut(st, h, arity)
            elif op == LOAD:
                st[-1] = b(mem, st[-1] + a)[0]
            elif op == STORE:
                y = st.pop()
                b(mem, st.pop() + a, y)
            elif op == 0x0C:
                pc, h, arity = a
                if h >= 0:
                    _cut(st, h, arity)
            elif op == UNOP:
                st[-1] = a(st[-1])
            elif op == 0x22:
                locs[a] = st[-1]
            elif op == 0x10 or op == 0x11:  # noqa: PLR1714 - int compares beat a set here
                if op == 0x11:
                    a = self._indirect(st.pop(), a)
                function = funcs[a]
                if function.host is not None:
                    self._host(function, st)
                    continue
                n = function.params
                if n:
                    args = st[-n:]
                    del st[-n:]
                else:
                    args = []
                frames.append((code, pc, locs, st))
                locs = args + function.zeros
                st = []
                code = function.code
                pc = 0
            elif op == RET:
                if not frames:
                    return
                if a:
                    value = st[-1]
                    code, pc, locs, st = frames.pop()
                    st.append(value)
                else:
                    code, pc, locs, st = frames.pop()
            elif op == I32_GT_U:
                y = st.pop()
                st[-1] = 1 if st[-1] > y else 0
            elif op == I32_EQZ:
                st[-1] = 0 if st[-1] else 1
            elif op == JUMP:
                pc = a
            elif op == 0x1A:
                st.pop()
            elif op == 0x1B:
                cond = st.pop()
                y = st.pop()
                if not cond:
                    st[-1] = y
            elif op == LOAD32:
                st[-1] = b(mem, st[-1] + a)[0] & M32
            elif op == LOAD64:
                st[-1] = b(mem, st[-1] + a)[0] & M64
            elif op == STORE8:
                y = st.pop()
                b(mem, st.pop() + a, y & 0xFF)
            elif op == STORE16:
                y = st.pop()
                b(mem, st.pop() + a, y & 0xFFFF)
            elif op == STORE32:
                y = st.pop()
                b(mem, st.pop() + a, y & M32)
            elif op == 0x0E:
                i = st.pop()
                pc, h, arity = a[i] if i < len(a) else b
                if h >= 0:
                    _cut(st, h, arity)
            elif op == 0x3F:
                st.append(len(mem) // PAGE)
            elif op == 0x40:
                pages = st[-1]
                old = len(mem) // PAGE
                if old + pages > self.max_pages:
                    st[-1] = M32  # -1: refused, nothing changes (§15.8)
                else:
                    mem.extend(bytes(pages * PAGE))
                    st[-1] = old
            elif op == 0x00:
                raise Trap(TrapKind.UNREACHABLE)
            else:  # pragma: no cover - the compiler emits nothing else
                raise AssertionError(f"no handler for op {op:#x}")
