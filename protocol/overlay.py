"""Copy-on-write layers over a StateView: one per block, one per transaction's message."""

from __future__ import annotations

from protocol.state import StateView, Write

_ABSENT = object()


class Overlay:
    """Changes over a base view; remembers each touched key's base value for undo."""

    def __init__(self, base: StateView) -> None:
        self._base = base
        self._changes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        if key in self._changes:
            return self._changes[key]
        return self._base.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        self._changes[key] = value

    def merge_into(self, parent: Overlay) -> None:
        """Commit this layer's changes to ``parent`` (a message that was accepted)."""
        for key in sorted(self._changes):
            parent.put(key, self._changes[key])

    def diff(self) -> tuple[tuple[Write, ...], tuple[Write, ...]]:
        """(writes, undo) in ascending key order, leaving out keys that ended unchanged."""
        writes: list[Write] = []
        undo: list[Write] = []
        for key in sorted(self._changes):
            before = self._base.get(key)
            after = self._changes[key]
            if before != after:
                writes.append(Write(key, after))
                undo.append(Write(key, before))
        return tuple(writes), tuple(undo)
