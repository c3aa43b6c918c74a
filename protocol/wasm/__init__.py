"""Deterministic WebAssembly for contracts (spec §15): parser, subset validator,
instrumentation and the injected engine interface. Pure: never imports an engine."""

from __future__ import annotations
