"""Hostile modules and inputs never raise out of the machine (issue 8, "Bad input"): random
module bytes, mutated valid modules, and random call inputs and fuel, on a real engine."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from tests.protocol.builders import events_of
from tests.protocol.contracts.harness import ContractChain, call, publish
from tests.vectorgen import wat

FUZZ_SETTINGS = settings(settings.get_profile("ci"), max_examples=40)
MODULES = [wat.LOG, wat.STORE, wat.BANK, wat.ISSUER, wat.FORWARD, wat.RELAY, wat.INTRO, wat.GROW]


@FUZZ_SETTINGS
@given(
    base=st.sampled_from(MODULES),
    flips=st.lists(st.tuples(st.integers(8, 400), st.integers(0, 255)), max_size=4),
    data=st.binary(max_size=96),
    fuel=st.integers(0, 20_000),
)
def test_mutated_modules_and_inputs_never_raise(
    cranelift: WasmtimeEngine,
    base: bytes,
    flips: list[tuple[int, int]],
    data: bytes,
    fuel: int,
) -> None:
    code = bytearray(base)
    for position, value in flips:
        code[position % len(code)] = value
    chain = ContractChain(cranelift)
    height = chain.next_height
    tx, effects = chain.send(publish(bytes(code), data, fuel))
    assert events_of(effects, tx)  # published, or rejected with a reason
    tx, effects = chain.send(call((height, 1), data, fuel=fuel), call((height, 1), data))
    assert events_of(effects, tx)


@FUZZ_SETTINGS
@given(code=st.binary(max_size=300))
def test_random_module_bytes_are_rejected_or_published(
    cranelift: WasmtimeEngine, code: bytes
) -> None:
    chain = ContractChain(cranelift)
    tx, effects = chain.send(publish(b"\x00asm\x01\x00\x00\x00" + code))
    assert len(events_of(effects, tx)) >= 1
