"""The WebAssembly contract kind (spec/CONTRACTS.md): publish, instantiate and call."""

from __future__ import annotations

from protocol.contracts.wasm.kind import OPCODES, WasmContracts
from protocol.contracts.wasm.prepare import Prepared, Preparer, prepare_module

__all__ = ["OPCODES", "Prepared", "Preparer", "WasmContracts", "prepare_module"]
