"""Filling blocks with an attack shape within the protocol's rules, and the worst-case search.

The rules read from :mod:`protocol.contracts.wasm.limits`: where fuel is bought with block
space (``FUEL_PER_VBYTE``, CONTRACTS.md §21.2) each attack transaction is padded with witness
bytes until its virtual size buys its fuel limit; under the older rule (a block budget and a
per-call cap, no price) transactions stay minimal and the block budget caps their number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cbor2

from bench.adversarial.shapes import SMALL, Shape
from bench.adversarial.world import BLOCK_VBYTES, Cost, World
from protocol.contracts.wasm import limits as lim
from regtest.tx import Tx

FUEL_PER_VBYTE: int | None = getattr(lim, "FUEL_PER_VBYTE", None)
CALL_EVENT = 10  # CONTRACTS.md §20.2
FUEL_KEY = 14


@dataclass(frozen=True)
class Result:
    group: str
    shape: str
    cost: Cost
    fraction: float  # of a full block actually applied (1 / scale)
    fuel: int  # fuel the block's calls could use

    @property
    def scale(self) -> float:
        """How many blocks' worth of this part make one full block: by block space, and
        under the old rule by the block budget too, whichever runs out first."""
        k = BLOCK_VBYTES / max(self.cost.vbytes, 1)
        if FUEL_PER_VBYTE is None and self.fuel > 0:
            k = min(k, lim.MAX_BLOCK_FUEL / self.fuel)
        return k

    def scaled(self) -> Cost:
        """The figures of a full block: what grows with the transactions times the scale,
        the empty block's CPU once."""
        k = self.scale
        c = self.cost
        return Cost(
            c.cpu_s * k + c.base_cpu_s,
            c.wall_s * k,
            c.rss_mb,
            int(c.state_bytes * k),
            int(c.lmdb_bytes * k),
            int(c.vbytes * k),
            int(c.txs * k),
            int(c.rejected * k),
            c.base_cpu_s,
        )


#: Set per run: the part of a block being filled (the old rule's block budget scales).
_fraction = [1.0]


def call_fuel(shape: Shape) -> int:
    """Each call's fuel limit: the shape's, else the most one call may use; under the old
    rule never more than the filled part of the block budget."""
    fuel = lim.MAX_CALL_FUEL if shape.fuel is None else shape.fuel
    if FUEL_PER_VBYTE is None:
        fuel = min(fuel, max(1, int(lim.MAX_BLOCK_FUEL * _fraction[0])))
    return fuel


def padded(world: World, shape: Shape) -> Tx:
    """One attack transaction, padded until its block space buys its fuel and its call's
    start (new rules; a shape with ``pay_start`` false is refused before it starts)."""
    fuel = call_fuel(shape)
    tx = shape.tx(world, 0, fuel)
    if FUEL_PER_VBYTE is None or not shape.calls:
        return tx
    code = len(shape.code) if shape.code is not None else len(SMALL)
    start = lim.CALL_START_FUEL + lim.CALL_FUEL_PER_CODE_BYTE * code if shape.pay_start else 0
    need = -(-(fuel + start + 1) // FUEL_PER_VBYTE)
    if tx.vsize >= need:
        return tx
    return shape.tx(world, 4 * (need - tx.vsize) + 8, fuel)


def block_of(world: World, shape: Shape, fraction: float) -> list[Tx]:
    """As many attack transactions as ``fraction`` of a block's space (and, under the old
    rule, of its fuel budget) allows."""
    _fraction[0] = fraction
    sample = padded(world, shape)
    space = int(BLOCK_VBYTES * fraction) - 1_000  # the coinbase and header
    count = max(1, space // sample.vsize)
    if FUEL_PER_VBYTE is None and shape.build is None and call_fuel(shape) > 0:
        count = min(count, max(1, round(lim.MAX_BLOCK_FUEL * fraction / call_fuel(shape))))
    return [sample if n == 0 else padded(world, shape) for n in range(count)]


def fit_count(world: World, shape: Shape) -> None:
    """For a bounded loop (count 0 in the shape): the count whose call uses about its fuel
    limit, from the fuel two short calls report (their difference is one iteration)."""
    if not shape.bounded:
        return
    used = []
    for n in (1, 3):
        shape.count = n
        effects = world.apply([padded(world, shape)])
        calls = [cbor2.loads(e) for e in effects.events if cbor2.loads(e)[0] == CALL_EVENT]
        used.append(calls[-1][FUEL_KEY])
    per, base = (used[1] - used[0]) // 2, used[0]
    shape.count = max(1, (call_fuel(shape) - base) * 95 // 100 // per)


def run_shape(world: World, shape: Shape, fraction: float) -> Result:
    _fraction[0] = fraction
    fit_count(world, shape)  # the fuel per call may depend on the part of the block
    txs = block_of(world, shape, fraction)
    cost, _ = world.measure(txs)
    # Transactions a shape builds itself (v1 spends, publishes) draw no call fuel.
    fuel = 0 if shape.build is not None else call_fuel(shape) * len(txs)
    result = Result(shape.group, shape.name, cost, 0.0, fuel)
    return replace(result, fraction=1 / result.scale)


def search(
    world: World, shapes: list[Shape], probe: float, fraction: float
) -> tuple[Result, list[Result]]:
    """Probe every shape on ``probe`` of a block, then apply the worst (CPU per vB, or new
    state per vB for a shape that keeps state) on ``fraction`` of a block."""
    probes = []
    for shape in shapes:
        shape.prepare(world)
        probes.append((run_shape(world, shape, probe), shape))

    def badness(item: tuple[Result, Shape]) -> float:
        c = item[0].cost
        per_vb = max(c.vbytes, 1)
        return max(c.cpu_s / per_vb / 1e-6, c.state_bytes / per_vb, c.rss_mb / 256 * 1e6)

    _, worst = max(probes, key=badness)
    return run_shape(world, worst, fraction), [r for r, _ in probes]
