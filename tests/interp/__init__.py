"""A second contract engine: a small WebAssembly interpreter of the subset of spec §15.

Written from the WebAssembly 1.0 specification and spec §15 alone, sharing nothing with
wasmtime or with protocol/wasm's validator: it decodes the instrumented bytes (normative,
§15.6) with its own decoder. The contract vectors run on it as well as on wasmtime, which is
the evidence that the spec, not one engine, decides every outcome (issue 18 item 4).
"""
