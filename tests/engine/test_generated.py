"""Differential test: randomly generated valid modules (integer MVP, every instruction
class) are accepted by the validator, compile in wasmtime, and give the same outcome and
fuel on every back end (spec §15.3, §15.7)."""

from __future__ import annotations

import hashlib
import random

import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import BACKENDS
from protocol.wasm.instrument import instrument, sleb, uleb
from protocol.wasm.validate import validate
from tests.engine.conftest import engine_for

I32, I64 = 0x7F, 0x7E
UNARY = {I32: [0x45, 0x67, 0x68, 0x69, 0xC0, 0xC1], I64: [0x79, 0x7A, 0x7B, 0xC2, 0xC4]}
BINARY = {I32: list(range(0x6A, 0x79)), I64: list(range(0x7C, 0x8B))}
COMPARE = {I32: list(range(0x46, 0x50)), I64: list(range(0x51, 0x5B))}
LOADS = {I32: [(0x28, 2), (0x2C, 0), (0x2F, 1)], I64: [(0x29, 3), (0x31, 0), (0x34, 2)]}
STORES = {I32: [(0x36, 2), (0x3A, 0)], I64: [(0x37, 3), (0x3E, 2)]}


def vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def section(sid: int, content: bytes) -> bytes:
    return bytes([sid]) + uleb(len(content)) + content


class Gen:
    def __init__(self, rng: random.Random, sigs: list[tuple[list[int], list[int]]]) -> None:
        self.rng = rng
        self.sigs = sigs

    def const(self, t: int) -> bytes:
        value = self.rng.choice([0, 1, -1, 7, 2**31 - 1, -(2**31), self.rng.randint(-999, 999)])
        return (b"\x41" if t == I32 else b"\x42") + sleb(value)

    def body(self, locals_: list[int], result: int | None, func: int) -> bytes:
        self.locals = locals_
        self.func = func
        self.budget = 60
        return self.block([], result, 0)

    def block(self, labels: list[int | None], result: int | None, depth: int) -> bytes:
        rng, out = self.rng, bytearray()
        stack: list[int] = []
        while self.budget > 0 and rng.random() < 0.9:
            self.budget -= 1
            choice = rng.randrange(14)
            top = stack[-1] if stack else None
            if choice == 0 or not stack:
                t = rng.choice([I32, I64])
                out += self.const(t)
                stack.append(t)
            elif choice == 1 and self.locals:
                index = rng.randrange(len(self.locals))
                out += b"\x20" + uleb(index)
                stack.append(self.locals[index])
            elif choice == 2 and top is not None:
                out.append(rng.choice(UNARY[top]))
                if out[-1] == 0x45:
                    stack[-1] = I32
            elif choice == 3 and len(stack) >= 2 and stack[-1] == stack[-2]:
                op = rng.choice(BINARY[top] + COMPARE[top])  # type: ignore[index]
                out.append(op)
                stack.pop()
                if op in COMPARE[top]:  # type: ignore[index]
                    stack[-1] = I32
            elif choice == 4 and top == I32:
                t = rng.choice([I32, I64])
                op, align = rng.choice(LOADS[t])
                out += bytes([op]) + uleb(rng.randint(0, align)) + uleb(rng.choice([0, 8, 65530]))
                stack[-1] = t
            elif choice == 5 and len(stack) >= 2 and stack[-2] == I32:
                op, align = rng.choice(STORES[stack[-1]])
                out += bytes([op]) + uleb(align) + uleb(rng.choice([0, 4, 65532]))
                del stack[-2:]
            elif choice == 6 and self.locals and top is not None:
                matching = [i for i, t in enumerate(self.locals) if t == top]
                if matching:
                    op = rng.choice([0x21, 0x22])  # local.set pops, local.tee keeps
                    out += bytes([op]) + uleb(rng.choice(matching))
                    if op == 0x21:
                        stack.pop()
            elif choice == 7 and top is not None:
                out.append(0x1A)
                stack.pop()
            elif choice == 8 and depth < 4:
                kind = rng.choice([0x02, 0x03, 0x04])
                inner = rng.choice([None, I32])
                if kind == 0x04:
                    if top != I32:
                        continue
                    stack.pop()
                label = None if kind == 0x03 else inner
                head = bytes([kind, 0x40 if inner is None else inner])
                body = self.block([*labels, label], inner, depth + 1)
                out += head + body
                if kind == 0x04:
                    out[-1:] = b""  # reopen to add the else arm
                    out += b"\x05" + self.block([*labels, label], inner, depth + 1)
                if inner is not None:
                    stack.append(inner)
            elif choice == 9 and top == I32 and labels:
                targets = [d for d, label in enumerate(reversed(labels)) if label is None]
                if targets:
                    out += b"\x0d" + uleb(rng.choice(targets))
                    stack.pop()
            elif choice == 10:
                callee = rng.randrange(len(self.sigs))
                params, results = self.sigs[callee]
                if stack[len(stack) - len(params) :] == params and len(stack) >= len(params):
                    out += b"\x10" + uleb(callee)
                    del stack[len(stack) - len(params) :]
                    stack += results
            elif choice == 11 and top == I32:
                # memory.grow (i32 -> i32) or memory.size then drop: the stack is unchanged.
                out += b"\x40\x00" if rng.random() < 0.5 else b"\x3f\x00\x1a"
            elif choice == 12 and len(stack) >= 3 and top == I32 and stack[-2] == stack[-3]:
                out.append(0x1B)
                del stack[-2:]
            elif choice == 13 and rng.random() < 0.3:
                if rng.random() < 0.5:
                    out.append(0x01)  # nop
                else:
                    return bytes(out + b"\x00\x0b")  # unreachable, then end the block
        out += b"\x1a" * len(stack)
        if result is not None:
            out += self.const(result)
        return bytes(out + b"\x0b")


def generate(seed: int) -> bytes:
    rng = random.Random(seed)
    count = rng.randint(1, 4)
    sigs = [
        ([rng.choice([I32, I64]) for _ in range(rng.randint(0, 3))], rng.choice([[], [I32], [I64]]))
        for _ in range(count)
    ]
    sigs.append(([], []))  # the export
    gen = Gen(rng, sigs)
    types = vec(
        [b"\x60" + vec([bytes([p]) for p in ps]) + vec([bytes([r]) for r in rs]) for ps, rs in sigs]
    )
    funcs = vec([uleb(i) for i in range(len(sigs))])
    memory = vec([b"\x00\x01"])
    exports = vec([b"\x06memory\x02\x00", b"\x04call\x00" + uleb(len(sigs) - 1)])
    bodies = []
    for index, (params, results) in enumerate(sigs):
        extra = [rng.choice([I32, I64]) for _ in range(rng.randint(0, 3))]
        decl = vec([b"\x01" + bytes([t]) for t in extra])
        code = gen.body(params + extra, results[0] if results else None, index)
        if index == len(sigs) - 1:  # the export calls function 0 first
            args = b"".join(gen.const(p) for p in sigs[0][0])
            code = args + b"\x10\x00" + b"\x1a" * len(sigs[0][1]) + code
        bodies.append(uleb(len(decl + code)) + decl + code)
    return (
        b"\x00asm\x01\x00\x00\x00"
        + section(1, types)
        + section(3, funcs)
        + section(5, memory)
        + section(7, exports)
        + section(10, uleb(len(bodies)) + b"".join(bodies))
    )


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32))
def test_generated_modules_agree(seed: int) -> None:
    data = generate(seed)
    module = validate(data)  # every generated module is valid: a rejection is a bug
    wasmtime.Module.validate(engine_for("cranelift").engine, data)
    code = instrument(module)
    key = hashlib.sha256(data).digest()
    results = [engine_for(backend).execute(key, code, "call", {}, 20_000) for backend in BACKENDS]
    assert all(result == results[0] for result in results)
