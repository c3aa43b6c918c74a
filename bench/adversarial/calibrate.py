"""Host-function cost per fuel, measured against an instruction loop in the same process:
``python -m bench.adversarial.calibrate`` (CONTRACTS.md §22 records the figures).

Each probe is a contract looping over one host call with its worst arguments, run through
the real machine and LMDB store (:class:`~bench.adversarial.world.World`) with two loop
counts; the difference of the two blocks' CPU time over the difference of their calls'
fuel (from the ``call`` events) is the function's nanoseconds per fuel, loop overhead
included (a few instructions against thousands of fuel). The reference is the same loop
over ``i64.mul``: its ns per fuel is the machine's speed, so the ratio of the two is what a
slower or faster machine leaves unchanged. The median of several rounds damps a loaded
machine's noise.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import cbor2

from bench.adversarial import modules as m
from bench.adversarial.world import World, envelope_tx, message, op_return_tx
from regtest.tx import Tx

S = m.SCRATCH
#: Fuel of the long probe call: the most one call may use (CONTRACTS.md §21.1).
MAX_FUEL = 10_000_000
CALL_EVENT, FUEL_KEY = 10, 14


@dataclass(frozen=True)
class Probe:
    name: str
    body: str
    imports: tuple[str, ...] = ()
    rest: bytes = b""  # input after the count (input_read copies it every call)
    #: A probe whose contract id (8 bytes) goes before ``rest``: the callee of a nested call.
    callee: str | None = None


#: BIP340 vector 1 (bitcoin/bips bip-0340/test-vectors.csv): key, signature, 32-byte message;
#: a valid signature is the worst case (every check passes, the full verification runs).
_KEY = bytes.fromhex("DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659")
_SIG = bytes.fromhex(
    "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE3341"
    "8906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A"
)
_MSG = bytes.fromhex("243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89")
#: Input offsets of the probes' arguments: the count (4), then ``rest``.
_AT = 4


REFERENCE = "i64.mul (reference)"
PROBES: tuple[Probe, ...] = (
    Probe("i64.mul (reference)", "local.get $x i64.const 3 i64.mul local.set $x"),
    Probe("block_height", "call $block_height drop", ("block_height",)),
    Probe("self_id", f"i32.const {S} call $self_id", ("self_id",)),
    Probe("tx_id", f"i32.const {S} call $tx_id", ("tx_id",)),
    Probe("tx_input", f"i32.const 0 i32.const {S} call $tx_input", ("tx_input",)),
    Probe(
        "tx_output_script",
        f"i32.const 0 i32.const {S} i32.const 65536 call $tx_output_script drop",
        ("tx_output_script",),
    ),
    Probe("received", f"i32.const {S} i32.const 0 call $received drop", ("received",)),
    Probe("balance", f"i32.const {S} i32.const {S + 64} call $balance", ("balance",)),
    Probe(
        "storage_get miss",
        f"i32.const {S} i32.const {S + 64} i32.const 1024 call $storage_get drop",
        ("storage_get",),
    ),
    Probe(
        "storage_set 1024 overwrite",
        f"i32.const {S} i32.const {S + 64} i32.const 1024 call $storage_set",
        ("storage_set",),
    ),
    Probe("storage_delete", f"i32.const {S} call $storage_delete", ("storage_delete",)),
    Probe("emit 0", f"i32.const {S} i32.const 0 call $emit", ("emit",)),
    Probe("emit 1024", f"i32.const {S} i32.const 1024 call $emit", ("emit",)),
    Probe("sha256 0", f"i32.const {S} i32.const 0 i32.const {S} call $sha256", ("sha256",)),
    Probe("sha256 32K", f"i32.const 0 i32.const 32768 i32.const {S} call $sha256", ("sha256",)),
    Probe("set_return 4096", f"i32.const {S} i32.const 4096 call $set_return", ("set_return",)),
    Probe("input_read 32K", "i32.const 0 call $input_read", (), bytes(32_000)),
    # CONTRACTS.md §17.5-§17.7 (issue 19).
    Probe("block_time", "call $block_time drop", ("block_time",)),
    Probe("block_median_time", "call $block_median_time drop", ("block_median_time",)),
    Probe(
        "schnorr_verify 32",
        f"i32.const {_AT} i32.const {_AT + 96} i32.const 32 i32.const {_AT + 32} "
        "call $schnorr_verify drop",
        ("schnorr_verify",),
        _KEY + _SIG + _MSG,
    ),
    Probe(
        "schnorr_verify 32K",
        f"i32.const {_AT} i32.const {_AT + 96} i32.const 32768 i32.const {_AT + 32} "
        "call $schnorr_verify drop",
        ("schnorr_verify",),
        _KEY + _SIG + bytes(32_768),
    ),
    Probe(
        "call_contract empty",
        f"i32.const {_AT} i32.const 0 i32.const 0 i32.const 0 i32.const 0 i64.const 0 "
        "call $call_contract drop",
        ("call_contract",),
        callee="i64.mul (reference)",
    ),
    Probe(
        "call_view empty",
        f"i32.const {_AT} i32.const 0 i32.const 0 i64.const 0 call $call_view drop",
        ("call_view",),
        callee="i64.mul (reference)",
    ),
)


def _fuel(effects_events: tuple[bytes, ...]) -> int:
    calls = [cbor2.loads(e) for e in effects_events if cbor2.loads(e)[0] == CALL_EVENT]
    if not calls:
        raise AssertionError("the probe call was rejected")
    return int(calls[-1][FUEL_KEY])


class Calibration:
    """One world with every probe published; :meth:`ns_per_fuel` measures one."""

    def __init__(self, world: World, probes: tuple[Probe, ...] = PROBES) -> None:
        self.world = world
        self.contracts: dict[str, tuple[int, int]] = {}
        for probe in probes:
            code = m.wat_module(probe.body, imports=probe.imports)
            world.apply([_publish(code)])
            self.contracts[probe.name] = (world.height - 1, 1)
        self.probes = {p.name: p for p in probes}
        self.rests = {p.name: self._rest(p) for p in probes}

    def _rest(self, probe: Probe) -> bytes:
        if probe.callee is None:
            return probe.rest
        height, index = self.contracts[probe.callee]
        return height.to_bytes(4, "big") + index.to_bytes(4, "big") + probe.rest

    def _block(self, name: str, count: int, fuel: int = MAX_FUEL) -> tuple[float, int]:
        op = {
            0: 7,
            1: list(self.contracts[name]),
            2: m.count_input(count, self.rests[name]),
            4: fuel,
        }
        # Witness padding buys the fuel where fuel costs block space (CONTRACTS.md §21.2).
        tx = op_return_tx(message(op), pad=4 * fuel // 1_000 + 400_000 // 1_000)
        cpu = time.process_time()
        effects = self.world.apply([tx])
        return time.process_time() - cpu, _fuel(effects.events)

    def ns_per_fuel(self, name: str, fuel: int = MAX_FUEL, repeats: int = 1) -> float:
        """CPU ns per fuel of the probe's loop, from blocks of two loop counts (the long one
        ``repeats`` times: a short measurement is at the mercy of the machine's load)."""
        # A first write of a new key is dearer than the rest: warm up, then two and three.
        self._block(name, 1)
        _, two = self._block(name, 2)
        _, three = self._block(name, 3)
        per = max(three - two, 1)
        count = max(2, (fuel - 2 * two) * 9 // 10 // per)
        small_cpu, small_fuel = self._block(name, 1, fuel)
        cpu = used = 0.0
        for _ in range(repeats):
            big_cpu, big_fuel = self._block(name, count, fuel)
            cpu, used = cpu + big_cpu - small_cpu, used + big_fuel - small_fuel
        return cpu * 1e9 / max(used, 1)

    def per_call(self, name: str) -> tuple[float, int]:
        """(ns per loop iteration, fuel per iteration)."""
        self._block(name, 1)
        _, two = self._block(name, 2)
        _, three = self._block(name, 3)
        per = three - two
        return self.ns_per_fuel(name) * per, per


def _publish(code: bytes) -> Tx:
    return envelope_tx(message({0: 5, 1: code}))


#: The reference loop runs this many long blocks per measurement: its ns per fuel is a
#: fifth of a host function's, so one block of it is over in about a millisecond.
REFERENCE_REPEATS = 4


def ratios(calibration: Calibration, rounds: int, fuel: int) -> dict[str, float]:
    """Median over ``rounds`` of each probe's ns per fuel over the reference's, each taken
    right beside its own measurement of the reference (the load of the moment cancels)."""
    found: dict[str, list[float]] = {name: [] for name in calibration.probes}
    for _ in range(rounds):
        for name in calibration.probes:
            reference = calibration.ns_per_fuel(REFERENCE, fuel, REFERENCE_REPEATS)
            found[name].append(calibration.ns_per_fuel(name, fuel) / reference)
    return {name: statistics.median(values) for name, values in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fuel", type=int, default=MAX_FUEL)
    args = parser.parse_args()
    with World() as world:
        calibration = Calibration(world)
        reference = calibration.ns_per_fuel(REFERENCE, args.fuel, REFERENCE_REPEATS)
        print(f"reference loop: {reference:.3f} ns per fuel")
        for name, ratio in ratios(calibration, args.rounds, args.fuel).items():
            ns, per = calibration.per_call(name)
            print(
                f"{name:<28} {ratio * reference:8.3f} ns/fuel  ({ratio:6.2f}x reference) "
                f"{ns:10,.0f} ns per call of {per:,} fuel"
            )


if __name__ == "__main__":
    main()
