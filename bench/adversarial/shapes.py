"""The attack shapes, grouped by the resource class they spend (issue 17 item 1).

A :class:`Shape` knows how to set itself up in a :class:`~bench.adversarial.world.World`
(publish its contract, load the UTXOs it needs) and how to build one attack transaction; the
search (:mod:`bench.adversarial.search`) fills blocks with it. Every class lists several
shapes (opcode mixes, argument sizes, value lengths, module shapes) so the search can keep
the worst one rather than trusting a hand-picked example.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.adversarial import modules as m
from bench.adversarial.world import World, envelope_tx, fresh_outpoint, message, op_return_tx
from protocol import params
from protocol.params import MAX_OPERATIONS
from regtest.tx import OutPoint, Tx, TxIn, TxOut

#: ``build(world, contract, pad)``: one attack transaction calling ``contract`` (or None),
#: with ``pad`` extra witness bytes to buy fuel where the rules sell fuel for block space.
Build = Callable[[World, tuple[int, int], int, int], Tx]


@dataclass
class Shape:
    """One attack: a class, a name, its contract and how its transactions look."""

    group: str
    name: str
    code: bytes | None = None  # the attack contract, published once in setup
    count: int = m.FOREVER  # loop count in each call's input (FOREVER: until out of fuel)
    fuel: int | None = None  # each call's fuel limit (None: as much as the rules allow)
    rest: bytes = b""  # input bytes after the count
    sent: list[tuple[tuple[int, int], int]] = field(default_factory=list)
    setup: Callable[[World, Shape], None] | None = None
    inputs: list[OutPoint] = field(default_factory=list)  # spent by every attack tx (reused)
    build: Build | None = None  # a custom transaction (publishes, many modules)
    contract: tuple[int, int] = (0, 0)
    seeded: bool = False  # each transaction's input gets a fresh 8-byte seed (new keys)
    bounded: bool = False  # a loop count fitted to the fuel (search.fit_count), kept state
    calls: bool = True  # its transactions call a contract (and buy fuel and a start)
    pay_start: bool = True  # False: too small to pay the call's start (refused before it)

    def prepare(self, world: World) -> None:
        if self.code is not None:
            tx = envelope_tx(message({0: 5, 1: self.code}))
            world.apply([tx])
            self.contract = (world.height - 1, 1)
        if self.setup is not None:
            self.setup(world, self)

    def tx(self, world: World, pad: int, fuel: int) -> Tx:
        _current[:] = [self]
        if self.build is not None:
            return self.build(world, self.contract, pad, fuel)
        op: dict[int, object] = {0: 7, 1: list(self.contract), 4: fuel}
        rest = next(_salt).to_bytes(8, "little") if self.seeded else self.rest
        op[2] = m.count_input(self.count, rest)
        if self.sent:
            op[3] = [[list(ref), n] for ref, n in self.sent]
        return op_return_tx(message(op), self.inputs, pad=pad)


def _loop(
    group: str,
    name: str,
    body: str,
    *,
    imports: tuple[str, ...] = (),
    extra: str = "",
    setup_code: str = "",
    fuel: int | None = None,
    count: int = m.FOREVER,
    rest: bytes = b"",
) -> Shape:
    code = m.wat_module(body, imports=imports, extra=extra, setup=setup_code)
    return Shape(group, name, code, count=count, fuel=fuel, rest=rest)


S = m.SCRATCH


def instruction_shapes() -> list[Shape]:
    """Opcode classes in an endless loop (each call runs until out of fuel)."""
    g = "instructions"
    table = "(type $v (func)) (table 4 funcref) (elem (i32.const 0) $nop) (func $nop)"
    rec = "(func $r call $r)"
    return [
        _loop(g, "i64.mul", "local.get $x i64.const 3 i64.mul local.set $x"),
        _loop(g, "i32.div_u", "local.get $i i32.const 7 i32.div_u drop"),
        _loop(g, "i64.rem_s", "local.get $x i64.const 7 i64.rem_s local.set $x"),
        _loop(g, "load/store", f"i32.const {S} i32.const {S} i64.load i64.store"),
        _loop(
            g, "br_table", "(block (block (block local.get $i i32.const 3 i32.and br_table 0 1 2)))"
        ),
        _loop(g, "memory.grow 0", "i32.const 0 memory.grow drop"),
        _loop(g, "memory.grow 1", "i32.const 1 memory.grow drop"),
        _loop(g, "memory.size", "memory.size drop"),
        _loop(g, "call_indirect", "i32.const 0 call_indirect (type $v)", extra=table),
        _loop(g, "call", "call $nop", extra="(func $nop)"),
        _loop(g, "deep recursion", "call $r", extra=rec, fuel=200_000),
    ]


def host_shapes() -> list[Shape]:
    """Every host function with its worst arguments, in an endless loop."""
    g = "host"
    shapes = [
        _loop(g, "block_height", "call $block_height drop", imports=("block_height",)),
        _loop(g, "input_len", "call $input_len drop"),
        _loop(g, "self_id", f"i32.const {S} call $self_id", imports=("self_id",)),
        _loop(g, "caller_id", f"i32.const {S} call $caller_id drop", imports=("caller_id",)),
        _loop(g, "tx_id", f"i32.const {S} call $tx_id", imports=("tx_id",)),
        _loop(g, "tx_input_count", "call $tx_input_count drop", imports=("tx_input_count",)),
        _loop(g, "tx_input", f"i32.const 0 i32.const {S} call $tx_input", imports=("tx_input",)),
        _loop(g, "tx_output_count", "call $tx_output_count drop", imports=("tx_output_count",)),
        _loop(
            g,
            "tx_output_value",
            "i32.const 0 call $tx_output_value drop",
            imports=("tx_output_value",),
        ),
        _loop(
            g,
            "tx_output_script",
            f"i32.const 0 i32.const {S} i32.const 65536 call $tx_output_script drop",
            imports=("tx_output_script",),
        ),
        _loop(
            g,
            "received cap 0",
            f"i32.const {S} i32.const 0 call $received drop",
            imports=("received",),
        ),
        _loop(
            g,
            "balance miss",
            f"i32.const {S} i32.const {S + 64} call $balance",
            imports=("balance",),
        ),
        _loop(
            g,
            "storage_get miss",
            f"i32.const {S} i32.const {S + 64} i32.const 1024 call $storage_get drop",
            imports=("storage_get",),
        ),
        _loop(
            g,
            "storage_set overwrite 0",
            f"i32.const {S} i32.const {S + 64} i32.const 0 call $storage_set",
            imports=("storage_set",),
        ),
        _loop(
            g,
            "storage_set overwrite 1024",
            f"i32.const {S} i32.const {S + 64} i32.const 1024 call $storage_set",
            imports=("storage_set",),
        ),
        _loop(
            g,
            "storage_delete absent",
            f"i32.const {S} call $storage_delete",
            imports=("storage_delete",),
        ),
        _loop(g, "emit 0", f"i32.const {S} i32.const 0 call $emit", imports=("emit",)),
        _loop(g, "emit 1024", f"i32.const {S} i32.const 1024 call $emit", imports=("emit",)),
        _loop(
            g,
            "sha256 0",
            f"i32.const {S} i32.const 0 i32.const {S} call $sha256",
            imports=("sha256",),
        ),
        _loop(
            g,
            "sha256 64K",
            f"i32.const 0 i32.const 65536 i32.const {S} call $sha256",
            imports=("sha256",),
        ),
        _loop(
            g,
            "set_return 4096",
            f"i32.const {S} i32.const 4096 call $set_return",
            imports=("set_return",),
        ),
        _loop(
            g,
            "return_data_read 0",
            f"i32.const {S} call $return_data_read",
            imports=("return_data_read",),
        ),
        _loop(g, "input_read 64K", "i32.const 0 call $input_read", rest=bytes(60_000)),
    ]
    return shapes


def storage_shapes() -> list[Shape]:
    """New state: bounded loops writing fresh storage keys (the call must succeed to keep
    them). The key is the loop counter written over a per-transaction seed."""
    g = "new state"
    shapes = []
    for length in (0, 32, 256, 1024):
        body = (
            f"i32.const {S} local.get $i i32.store "
            f"i32.const {S} i32.const {S + 64} i32.const {length} call $storage_set"
        )
        seed = f"i32.const {S + 4} i32.const 4 i64.load i64.store"  # the seed: input[4:12]
        shape = _loop(
            g,
            f"storage new keys, {length}-byte values",
            body,
            imports=("storage_set",),
            setup_code=seed,
            count=0,
        )
        shape.seeded = shape.bounded = True
        shapes.append(shape)
    return shapes


def publish_shapes() -> list[Shape]:
    """Publishes of the largest modules of several shapes the validator accepts."""
    g = "publish"
    return [
        Shape(g, f"publish {name}", build=_publisher(make), calls=False)
        for name, make in PUBLISHED.items()
    ]


def _publisher(make: Callable[[int], bytes]) -> Build:
    def build(world: World, contract: tuple[int, int], pad: int, fuel: int) -> Tx:
        return envelope_tx(
            message({0: 5, 1: make(next(_salt)), 4: 0})
        )  # init traps: still compiled

    return build


def _nested_blocks(salt: int) -> bytes:
    """256 nested blocks around a br_table to all of them, 400 live i64 locals."""
    depth = 250
    targets = " ".join(str(i) for i in range(depth))
    body = "(block " * depth + f"local.get 0 br_table {targets} 0" + ")" * depth
    sets = " ".join(f"i64.const {salt + i} local.set {i + 1}" for i in range(400))
    funcs = "\n".join(
        f"(func $f{k} (param i32) (local {'i64 ' * 400}) {sets} {body})" for k in range(2)
    )
    return bytes(
        wasmtime_wat(f'(module (memory (export "memory") 1) {funcs} (func (export "call")))')
    )


def _many_functions(salt: int) -> bytes:
    funcs = "\n".join(
        f"(func (param i64) (result i64) local.get 0 i64.const {salt + i} i64.add "
        "local.get 0 i64.mul)"
        for i in range(2000)
    )
    return bytes(
        wasmtime_wat(f'(module (memory (export "memory") 1) {funcs} (func (export "call")))')
    )


def _big_bodies(salt: int) -> bytes:
    from bench.wasm import big_module  # noqa: PLC0415

    raw = big_module(1_150)
    return raw[:-1] + raw[-1:] if salt < 0 else _with_custom_salt(raw, salt)


def _with_custom_salt(raw: bytes, salt: int) -> bytes:
    """A distinct module (another code hash) with the same code: a custom section."""
    name = b"s"
    payload = bytes([len(name)]) + name + salt.to_bytes(8, "big")
    return raw + b"\x00" + bytes([len(payload)]) + payload


def wasmtime_wat(text: str) -> bytes:
    import wasmtime  # noqa: PLC0415

    return bytes(wasmtime.wat2wasm(text))


PUBLISHED: dict[str, Callable[[int], bytes]] = {
    "nested br_table + 400 locals": _nested_blocks,
    "2,000 functions": _many_functions,
    "compiled-code shape ~128 KB": _big_bodies,
}

_salt = iter(range(1, 1 << 62))


def module_shapes() -> list[Shape]:
    """Many distinct modules per block, each called once with no fuel: cache thrash."""
    g = "modules"

    def setup(world: World, shape: Shape) -> None:
        codes = [_with_custom_salt(SMALL, n) for n in range(shape.count)]
        shape.rest = b""
        ids = []
        for start in range(0, len(codes), 200):
            batch = [envelope_tx(message({0: 5, 1: c})) for c in codes[start : start + 200]]
            world.apply(batch)
            ids += [(world.height - 1, i + 1) for i in range(len(batch))]
        world.engine.engine.clear_cache() if hasattr(world.engine.engine, "clear_cache") else None
        shape_ids[shape.name] = ids

    def build(world: World, contract: tuple[int, int], pad: int, fuel: int) -> Tx:
        ids = shape_ids["distinct modules, called once"]
        target = ids[next(_cursor) % len(ids)]
        return op_return_tx(message({0: 7, 1: list(target), 4: 0}), pad=pad)

    return [
        Shape(g, "distinct modules, called once", count=2_000, setup=setup, build=build, fuel=0)
    ]


shape_ids: dict[str, list[tuple[int, int]]] = {}
_cursor = iter(range(1 << 62))


def _small(salt: int) -> bytes:
    from bench.wasm import big_module  # noqa: PLC0415

    return big_module(90)


SMALL = _small(0)


def trap_shapes() -> list[Shape]:
    """Calls that do nothing: zero fuel, an immediate trap."""
    g = "zero-fuel/trap"
    unreachable = m.wat_module("unreachable")
    return [
        Shape(g, "zero-fuel call", m.wat_module("nop"), fuel=0),
        Shape(g, "immediate trap", unreachable, count=1, fuel=50),
        Shape(g, "call refused before its start", m.wat_module("nop"), fuel=0, pay_start=False),
    ]


def fund() -> OutPoint:
    return fresh_outpoint()


def utxo_shapes() -> list[Shape]:
    """v1: spends of a UTXO carrying many assets (each spend drains, debits, credits and
    re-encodes all of them), and transfers fanning one token out to many new UTXOs."""
    g = "utxo records"
    shapes = [
        Shape(
            g,
            f"re-spend a UTXO merged from {k} tokens",
            count=k,
            setup=_many_assets,
            build=_respend,
            calls=False,
        )
        for k in (getattr(params, "MAX_UTXO_ASSETS", 4), 16, 256, 2_000)  # (older rules: none)
    ]
    shapes.append(
        Shape(
            g,
            f"transfer to {MAX_OPERATIONS} new outputs",
            count=MAX_OPERATIONS,
            setup=_tokens_to_split,
            build=_fan_out,
            calls=False,
        )
    )
    return shapes


def _deploys(world: World, count: int) -> list[OutPoint]:
    """``count`` tokens, each premined onto output 0 of its deploy; their outpoints."""
    points = []
    first = next(_tickers)
    for _ in range(count - 1):  # one ticker per token, unique across the shapes of a world
        next(_tickers)
    for start in range(first, first + count, 500):
        batch = [
            op_return_tx(message({0: 1, 1: _ticker(n), 3: 10**18, 5: 1, 6: 10**18}), outputs=2)
            for n in range(start, min(first + count, start + 500))
        ]
        world.apply(batch)
        points += [OutPoint(tx.txid, 0) for tx in batch]
    return points


_tickers = itertools.count()


def _ticker(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return ("QQ" + letters)[:12]  # spec §6.2: 3 to 12 characters


def _many_assets(world: World, shape: Shape) -> None:
    points = _deploys(world, shape.count)
    merged: list[OutPoint] = []
    for start in range(0, len(points), 500):  # merge in steps: no message, default output 0
        tx = op_return_tx(message(), points[start : start + 500] + merged[-1:])
        world.apply([tx])
        merged.append(OutPoint(tx.txid, 0))
    shape.inputs = [merged[-1]]


def _respend(world: World, contract: tuple[int, int], pad: int, fuel: int) -> Tx:
    shape = _current[0]
    tx = Tx((TxIn(shape.inputs[0]),), (TxOut(546, b"\x51\x20" + bytes(32)),))
    shape.inputs = [OutPoint(tx.txid, 0)]
    return tx


def _tokens_to_split(world: World, shape: Shape) -> None:
    shape.inputs = _deploys(world, 1)
    shape.sent = [((world.height - 1, 1), 0)]


def _fan_out(world: World, contract: tuple[int, int], pad: int, fuel: int) -> Tx:
    shape = _current[0]
    token = shape.sent[0][0]
    ops = [{0: 3, 1: list(token), 2: 1, 3: n} for n in range(shape.count)]
    tx = op_return_tx(message(*ops), shape.inputs, outputs=shape.count)
    shape.inputs = [OutPoint(tx.txid, 0)]  # the rest settles on the first output
    return tx


#: The shape whose transactions are being built (the builders chain on its inputs).
_current: list[Shape] = []


ALL_GROUPS: dict[str, Callable[[], list[Shape]]] = {
    "instructions": instruction_shapes,
    "host": host_shapes,
    "new state": storage_shapes,
    "publish": publish_shapes,
    "modules": module_shapes,
    "zero-fuel/trap": trap_shapes,
    "utxo records": utxo_shapes,
}
