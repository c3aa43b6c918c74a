"""Module preparation at publish: the subset check and instrumentation of §15, as the kind
needs them (spec/CONTRACTS.md §16.1 step 3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protocol.reasons import Reason, Rejection
from protocol.wasm.instrument import instrument
from protocol.wasm.reasons import WasmRejection
from protocol.wasm.validate import validate


@dataclass(frozen=True)
class Prepared:
    """A module that passed §15's checks: its instrumented bytes and whether it has init."""

    instrumented: bytes
    has_init: bool
    size: int = 0  # the module's length as published (CONTRACTS.md §16.5 prices loading it)


#: Validates and instruments module bytes (§15), or raises Rejection(invalid_module, code=n).
Preparer = Callable[[bytes], Prepared]


def prepare_module(code: bytes) -> Prepared:
    """Validated and instrumented, or Rejection(invalid_module) with the §15 reason as code."""
    try:
        module = validate(code)
    except WasmRejection as rejection:
        raise Rejection(Reason.INVALID_MODULE, str(rejection), int(rejection.reason)) from None
    return Prepared(instrument(module), module.has_init, len(code))
