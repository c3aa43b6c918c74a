"""WebAssembly engines behind protocol.wasm.engine.ContractEngine (spec §15.8).

The only package that imports wasmtime; the indexer injects an engine into the machine.
"""

from __future__ import annotations
