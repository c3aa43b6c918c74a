"""Real wasmtime engines for the example-contract tests (both back ends, one per session)."""

from __future__ import annotations

from tests.protocol.contracts.conftest import cranelift, engine

__all__ = ["cranelift", "engine"]
