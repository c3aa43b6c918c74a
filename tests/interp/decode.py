"""Module decoding (Wasm §5.5) into what instantiation needs; bodies stay raw for compile.

The input has passed the validator (spec §15.3) and the instrumentation (§15.6), so this
decoder trusts the structure and checks nothing beyond what it needs to read: a module it
cannot read is a bug in the caller, raised as ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FuncType = tuple[tuple[int, ...], tuple[int, ...]]  # (params, results) as value-type bytes

MAGIC = b"\x00asm\x01\x00\x00\x00"


class Cursor:
    """A position in the module bytes with the LEB128 readers of Wasm §5.2.2."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def uleb(self) -> int:
        return self._leb(signed=False)

    def sleb(self) -> int:
        return self._leb(signed=True)

    def _leb(self, *, signed: bool) -> int:
        result = shift = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result - (1 << shift) if signed and byte & 0x40 else result

    def take(self, length: int) -> bytes:
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return chunk

    def name(self) -> str:
        return self.take(self.uleb()).decode("utf-8")

    def limits(self) -> tuple[int, int | None]:
        flags = self.byte()
        minimum = self.uleb()
        return minimum, self.uleb() if flags & 1 else None

    def const_expr(self) -> int:
        """An initialiser `41 <i32> 0b` or `42 <i64> 0b`, as its unsigned value."""
        op = self.byte()
        value = self.sleb()
        if self.byte() != 0x0B:
            raise ValueError("constant expression longer than one instruction")
        return value & (0xFFFF_FFFF if op == 0x41 else 0xFFFF_FFFF_FFFF_FFFF)


@dataclass(frozen=True, slots=True)
class Body:
    """One defined function: its type, its locals (after the parameters) and its code."""

    type: FuncType
    locals: tuple[int, ...]
    code: bytes  # the instructions, final `end` included


@dataclass(slots=True)
class Module:
    """The decoded module. Function index space: imports first, then ``bodies``."""

    types: list[FuncType] = field(default_factory=list)
    imports: list[tuple[str, FuncType]] = field(default_factory=list)  # (field name, type)
    func_types: list[FuncType] = field(default_factory=list)  # every function, imports first
    table_size: int = 0
    memory: tuple[int, int | None] = (0, None)  # pages: minimum, declared maximum
    globals: list[int] = field(default_factory=list)  # initial values, unsigned
    exports: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (kind, index)
    start: int | None = None
    elements: list[tuple[int, list[int]]] = field(default_factory=list)  # (offset, functions)
    bodies: list[Body] = field(default_factory=list)
    data: list[tuple[int, bytes]] = field(default_factory=list)  # (offset, bytes)


def _vector(cur: Cursor) -> range:
    return range(cur.uleb())


def _func_type(cur: Cursor) -> FuncType:
    if cur.byte() != 0x60:
        raise ValueError("not a function type")
    params = tuple(cur.byte() for _ in _vector(cur))
    results = tuple(cur.byte() for _ in _vector(cur))
    return params, results


def _section(module: Module, sid: int, cur: Cursor, end: int) -> None:
    if sid == 1:
        module.types = [_func_type(cur) for _ in _vector(cur)]
    elif sid == 2:
        for _ in _vector(cur):
            cur.name()  # the module name: always "rootstate" after validation
            name = cur.name()
            if cur.byte() != 0x00:
                raise ValueError("only function imports are in the subset")
            ftype = module.types[cur.uleb()]
            module.imports.append((name, ftype))
            module.func_types.append(ftype)
    elif sid == 3:
        module.func_types += [module.types[cur.uleb()] for _ in _vector(cur)]
    elif sid == 4:
        for _ in _vector(cur):
            cur.byte()  # funcref
            module.table_size = cur.limits()[0]
    elif sid == 5:
        for _ in _vector(cur):
            module.memory = cur.limits()
    elif sid == 6:
        for _ in _vector(cur):
            cur.byte()  # value type
            cur.byte()  # mutability
            module.globals.append(cur.const_expr())
    elif sid == 7:
        for _ in _vector(cur):
            name = cur.name()
            kind = cur.byte()
            module.exports[name] = (kind, cur.uleb())
    elif sid == 8:
        module.start = cur.uleb()
    elif sid == 9:
        for _ in _vector(cur):
            cur.uleb()  # flags: 0 (active, table 0)
            offset = cur.const_expr()
            module.elements.append((offset, [cur.uleb() for _ in _vector(cur)]))
    elif sid == 10:
        defined = module.func_types[len(module.imports) :]
        for index in _vector(cur):
            size = cur.uleb()
            stop = cur.pos + size
            local_types: list[int] = []
            for _ in _vector(cur):
                count = cur.uleb()
                local_types += [cur.byte()] * count
            module.bodies.append(Body(defined[index], tuple(local_types), cur.take(stop - cur.pos)))
    elif sid == 11:
        for _ in _vector(cur):
            cur.uleb()  # flags: 0 (active, memory 0)
            offset = cur.const_expr()
            module.data.append((offset, cur.take(cur.uleb())))
    else:
        cur.pos = end  # custom sections carry nothing an execution needs
    if cur.pos != end:
        raise ValueError(f"section {sid} not consumed exactly")


def decode(data: bytes) -> Module:
    """The module encoded by ``data`` (a validated, instrumented module)."""
    if data[:8] != MAGIC:
        raise ValueError("not a WebAssembly 1.0 module")
    module = Module()
    cur = Cursor(data, 8)
    while cur.pos < len(data):
        sid = cur.byte()
        size = cur.uleb()
        _section(module, sid, cur, cur.pos + size)
    return module
