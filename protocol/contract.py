"""What a contract kind provides to the core loop (spec §6.0).

A contract kind owns a set of operation codes and the assets it creates. The core loop
(protocol.machine) knows nothing of any kind: it dispatches operations by code and reports
burns and authority moves of an asset to the kind that owns it. A new kind is a new module
that implements this interface and one entry in protocol.contracts.REGISTRY.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from protocol.message import Operation
from protocol.overlay import Overlay

if TYPE_CHECKING:
    from protocol.machine import TxContext


class ContractKind(Protocol):
    @property
    def opcodes(self) -> Mapping[int, str]:
        """Operation code -> operation name, for the codes this kind owns."""
        ...

    def apply(self, operation: Operation, ctx: TxContext) -> None:
        """Apply one operation, or raise Rejection; all changes go through ``ctx``."""
        ...

    def owns(self, state: Overlay, asset: bytes) -> bool:
        """Whether ``asset`` was created by this kind."""
        ...

    def record_burn(self, state: Overlay, asset: bytes, amount: int) -> None:
        """Account for ``amount`` of ``asset`` leaving supply (spec §7.5)."""
        ...

    def record_authority(self, state: Overlay, asset: bytes, outpoint: bytes | None) -> None:
        """Note where ``asset``'s authority now lives, or that it was destroyed (spec §7.7)."""
        ...
