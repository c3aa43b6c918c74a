"""Machine.apply_transaction, the per-transaction step (spec §7.2), against the vectors.

Every vector block that holds one transaction besides the coinbase is replayed twice from the
state the vector's previous block expects (read from the file, never derived here): once
through ``apply_transaction`` on its own, its keywords left at the defaults a simulation
uses, and once through ``apply_block``. Both must produce the vector's hand-written events
and state map, so the seam the API simulates with is the step the indexer commits.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.clock import BLOCK_MEDIAN_TIME, BLOCK_TIME, advance, header_time
from protocol.contracts import v2_machine
from protocol.events import encode_event
from protocol.machine import Machine
from protocol.overlay import Overlay
from protocol.state import CLOCK_KEY, MemoryState
from protocol.tx import parse_transaction
from tests.protocol.test_vectors import VECTOR_FILES

Case = tuple[str, int, dict[str, str], dict[str, Any]]


def one_tx_blocks() -> list[Case]:
    """(vector, height, the state before the block, the block) of every one-tx block."""
    cases: list[Case] = []
    for path in VECTOR_FILES:
        vector = json.loads(path.read_text(encoding="utf-8"))
        before: dict[str, str] = {}
        for block in vector["blocks"]:
            if len(block["transactions"]) == 2:
                cases.append((path.stem, block["height"], before, block))
            before = block["expected"]["state"]
    return cases


CASES = one_tx_blocks()
PARAMS = [pytest.param(*case, id=f"{case[0]}-h{case[1]}") for case in CASES]


@pytest.fixture(scope="module")
def machine() -> Machine:
    return v2_machine(WasmtimeEngine(WasmtimeConfig(backend="cranelift")))


def seeded(state: dict[str, str]) -> MemoryState:
    return MemoryState({bytes.fromhex(k): bytes.fromhex(v) for k, v in state.items()})


def test_the_vectors_have_one_tx_blocks_of_every_kind() -> None:
    names = {name for name, *_ in CASES}
    assert len(CASES) >= 100
    # token operations, a contract publish and call, a trap, and a rejected message
    assert {"070-transfer-split", "113-contract-two-calls", "120-trap-unreachable"} <= names
    assert any("rejected" in json.dumps(block["expected"]["events"]) for *_, block in CASES)


@pytest.mark.parametrize(("name", "height", "before", "block"), PARAMS)
def test_one_transaction_equals_its_one_tx_block(
    machine: Machine, name: str, height: int, before: dict[str, str], block: dict[str, Any]
) -> None:
    expected = block["expected"]
    coinbase, tx = (parse_transaction(bytes.fromhex(raw)) for raw in block["transactions"])
    base = seeded(before)

    state = Overlay(base)
    assert machine.apply_transaction(state, height, 0, coinbase) == []  # spec §3.5
    # The block's clock as its application hands it to each transaction (CONTRACTS.md §17.5).
    header = bytes.fromhex(block["header"])
    stored = bytes.fromhex(before[CLOCK_KEY.hex()]) if CLOCK_KEY.hex() in before else None
    time = header_time(header)
    clock = {BLOCK_TIME: time, BLOCK_MEDIAN_TIME: advance(stored, time)[0]}
    events = machine.apply_transaction(state, height, 1, tx, block=clock)
    assert [encode_event(e).hex() for e in events] == expected["events_cbor"], name
    writes, _ = state.diff()
    after = base.snapshot()
    for write in writes:
        if write.value is None:
            del after[write.key]
        else:
            after[write.key] = write.value
    # The block clock (CONTRACTS.md §17.5, key 09) is the block's, not the transaction's.
    key = CLOCK_KEY.hex()
    without_clock = {k: v for k, v in expected["state"].items() if k != key}
    if key in before:
        without_clock[key] = before[key]
    assert {k.hex(): v.hex() for k, v in sorted(after.items())} == dict(
        sorted(without_clock.items())
    ), name

    block_hash = hashlib.sha256(hashlib.sha256(header).digest()).digest()
    effects = machine.apply_block(
        seeded(before), bytes(32), height, block_hash, [(1, tx)], header=header
    )
    assert [e.hex() for e in effects.events] == expected["events_cbor"], name
    assert [w for w in effects.writes if w.key != CLOCK_KEY] == list(writes), name
    (tick,) = [w for w in effects.writes if w.key == CLOCK_KEY]
    assert tick.value is not None and tick.value.hex() == expected["state"][key], name
