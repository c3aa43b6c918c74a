"""The contract kinds (spec §6.0): v1 tokens, v2 adds WebAssembly contracts; a new kind is
one more entry here."""

from __future__ import annotations

from protocol.contract import ContractKind
from protocol.contracts.token import TokenContract
from protocol.contracts.wasm import WasmContracts
from protocol.machine import Machine
from protocol.wasm.engine import ContractEngine


def v1_kinds() -> tuple[ContractKind, ...]:
    return (TokenContract(),)


def v1_machine() -> Machine:
    return Machine(v1_kinds())


def v2_kinds(engine: ContractEngine) -> tuple[ContractKind, ...]:
    """Tokens and WebAssembly contracts (spec/CONTRACTS.md), running on ``engine``."""
    return (TokenContract(), WasmContracts(engine))


def v2_machine(engine: ContractEngine) -> Machine:
    return Machine(v2_kinds(engine))
