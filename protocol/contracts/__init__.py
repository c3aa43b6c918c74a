"""The contract kinds of protocol v1 (spec §6.0); a new kind is one more entry here."""

from __future__ import annotations

from protocol.contract import ContractKind
from protocol.contracts.token import TokenContract
from protocol.machine import Machine


def v1_kinds() -> tuple[ContractKind, ...]:
    return (TokenContract(),)


def v1_machine() -> Machine:
    return Machine(v1_kinds())
