"""Apply one rule reversal to the reference machine and run vectors until one fails.

A reversal is a small source edit of one module of ``protocol/`` (an ``old`` snippet that
occurs exactly once, replaced by ``new``). Applying it compiles the edited module text and
swaps the new code objects into the *existing* functions and methods, so every reference
to them (``from x import f`` included) runs the reversed rule; undoing puts the old code
objects back. Module-level constants are patched through :attr:`Reversal.constants`
instead, because other modules copy constants when they import them.

The vectors run in-process on the default back end: the mutant question is whether the
*rules* are pinned, which one back end answers (tests/protocol/test_vectors.py runs every
back end on the unmutated machine). Reversals may edit ``engine/`` too where a rule lives
there (the host caller's fuel check).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.contracts import v2_machine
from protocol.state import MemoryState
from protocol.tree import prove
from protocol.tree_proof import ProofError, verify
from protocol.tx import parse_transaction

VECTOR_DIR = Path(__file__).resolve().parents[2] / "spec" / "vectors"


class StaleReversalError(LookupError):
    """A reversal whose edit no longer matches the code: it must be rewritten."""


@dataclass(frozen=True)
class Reversal:
    """One reading the spec's text must exclude, as a change of the reference machine.

    ``section`` is the spec section whose rule it reverses; ``caught_by`` the vector (its
    name, without the number) expected to fail under it, tried first. ``fresh_engine`` asks
    for an engine without compiled-module cache (reversals of validation or
    instrumentation: the cache is keyed by the published module's hash).
    """

    name: str
    section: str
    reading: str
    caught_by: str
    module: str = ""
    old: str = ""
    new: str = ""
    constants: tuple[tuple[str, str, object], ...] = ()
    fresh_engine: bool = False
    extra: tuple[tuple[str, str, str], ...] = field(default=())  # more (module, old, new)
    #: The same reversal written against another version of the code (a branch being
    #: merged), tried when this one's edits do not apply.
    fallback: Reversal | None = None
    #: Under this reversal some vector never ends (a loop that no longer pays): only the
    #: listed vector runs, never the rest of the suite.
    listed_only: bool = False


def _edits(reversal: Reversal) -> list[tuple[str, str, str]]:
    edits = [(reversal.module, reversal.old, reversal.new)] if reversal.old else []
    return [*edits, *reversal.extra]


def _swap_code(original: object, edited: object, saved: list[tuple[Any, types.CodeType]]) -> None:
    """Give ``original`` (a function, or a class's functions) the code of ``edited``."""
    if isinstance(original, types.FunctionType) and isinstance(edited, types.FunctionType):
        if original.__code__ != edited.__code__:
            saved.append((original, original.__code__))
            original.__code__ = edited.__code__
        return
    if isinstance(original, type) and isinstance(edited, type):
        for name, value in vars(edited).items():
            before = vars(original).get(name)
            if isinstance(value, property) and isinstance(before, property):
                _swap_code(before.fget, value.fget, saved)
            elif isinstance(value, staticmethod | classmethod) and isinstance(
                before, staticmethod | classmethod
            ):
                _swap_code(before.__func__, value.__func__, saved)
            elif before is not None:
                _swap_code(before, value, saved)


@contextmanager
def applied(reversal: Reversal) -> Iterator[None]:
    """The reference machine with ``reversal`` in effect, restored on exit."""
    saved: list[tuple[Any, types.CodeType]] = []
    constants: list[tuple[object, str, object]] = []
    try:
        edited: dict[str, str] = {}
        for module_name, old, new in _edits(reversal):
            source = edited.get(module_name)
            if source is None:
                source = inspect.getsource(importlib.import_module(module_name))
            if source.count(old) != 1:
                raise StaleReversalError(f"{reversal.name}: {old!r} is not once in {module_name}")
            edited[module_name] = source.replace(old, new)
        for module_name, source in edited.items():
            module = importlib.import_module(module_name)
            namespace: dict[str, Any] = {"__name__": module_name, "__file__": module.__file__}
            code = compile(source, str(module.__file__), "exec")
            exec(code, namespace)  # our own module's text with the reversal's edits
            for name, value in namespace.items():
                original = getattr(module, name, None)
                if getattr(original, "__module__", None) == module_name:
                    _swap_code(original, value, saved)
        for module_name, attribute, value in reversal.constants:
            holder = importlib.import_module(module_name)
            constants.append((holder, attribute, getattr(holder, attribute)))
            setattr(holder, attribute, value)
        yield
    finally:
        for function, code_object in reversed(saved):
            function.__code__ = code_object
        for owner, attribute, previous in reversed(constants):
            setattr(owner, attribute, previous)


#: The proof vectors (§25), run as one more vector named "proofs".
PROOFS = VECTOR_DIR / "proofs.json"


def vector_paths() -> list[Path]:
    return [*sorted(VECTOR_DIR.glob("[0-9][0-9][0-9]-*.json")), PROOFS]


def vector_name(path: Path) -> str:
    return "proofs" if path == PROOFS else path.stem.split("-", 1)[1]


_VECTORS: dict[Path, dict[str, Any]] = {}


def _load(path: Path) -> dict[str, Any]:
    if path not in _VECTORS:
        _VECTORS[path] = json.loads(path.read_text(encoding="utf-8"))
    return _VECTORS[path]


def first_difference(path: Path, engine: WasmtimeEngine) -> str | None:
    """Where the machine first departs from the vector (None: it passes).

    The state hash of every block commits to its events hash and state root, which commit
    to every event and every state entry; the events are compared first only to say which
    part differs. A machine that raises is a difference too."""
    vector = _load(path)
    if path == PROOFS:
        return _proof_difference(vector)
    machine = v2_machine(engine)
    state = MemoryState()
    previous = bytes(32)
    for block in vector["blocks"]:
        where = f"block {block['height']}"
        header = bytes.fromhex(block["header"])
        block_hash = hashlib.sha256(hashlib.sha256(header).digest()).digest()
        txs = [parse_transaction(bytes.fromhex(raw)) for raw in block["transactions"]]
        try:
            effects = machine.apply_block(
                state, previous, block["height"], block_hash, list(enumerate(txs)), header=header
            )
        except Exception as error:  # a crash under a reversal is a difference too
            return f"{where}: raised {type(error).__name__}: {error}"
        state.apply(effects.writes)
        expected = block["expected"]
        if [e.hex() for e in effects.events] != expected["events_cbor"]:
            return f"{where}: events differ"
        if effects.state_hash.hex() != expected["state_hash"]:
            return f"{where}: state differs"
        previous = effects.state_hash
    return None


def _proof_difference(vector: dict[str, Any]) -> str | None:
    """The first proof case the machine gets wrong: a valid case must verify and be exactly
    the proof the state gives; a tampered one must be refused at its step of §25.2."""
    try:
        state = {bytes.fromhex(k): bytes.fromhex(v) for k, v in vector["state"].items()}
        tree = MemoryState(state)
        root = bytes.fromhex(vector["root"])
        if tree.root != root:
            return "proofs: the state's root differs"
        for case in vector["cases"]:
            key, proof = bytes.fromhex(case["key"]), bytes.fromhex(case["proof"])
            value = None if case["value"] is None else bytes.fromhex(case["value"])
            try:
                verify(root, key, value, proof)
            except ProofError as refused:
                if case["valid"] or refused.step != case["refused_at"]:
                    return f"proofs: {case['name']}: refused at step {refused.step}"
                continue
            if not case["valid"]:
                return f"proofs: {case['name']}: accepted"
            if prove(tree, key) != proof:
                return f"proofs: {case['name']}: another proof"
    except Exception as error:  # a crash under a reversal is a difference too
        return f"proofs: raised {type(error).__name__}: {error}"
    return None


_ENGINE: list[WasmtimeEngine] = []


def engine(fresh: bool = False) -> WasmtimeEngine:
    """The shared cranelift engine, or a new one without cached compiled modules."""
    if fresh:
        return WasmtimeEngine(WasmtimeConfig())
    if not _ENGINE:
        _ENGINE.append(WasmtimeEngine(WasmtimeConfig()))
    return _ENGINE[0]


@dataclass(frozen=True)
class Outcome:
    reversal: Reversal
    killed_by: str | None  # the first vector that failed, None when the reversal survived
    difference: str


def run(reversal: Reversal, *, whole_suite: bool = True) -> Outcome:
    """Vectors under ``reversal``: its ``caught_by`` first, then (``whole_suite``) the rest
    in order, stopping at the first that fails."""
    paths = vector_paths()
    first = [p for p in paths if vector_name(p) == reversal.caught_by]
    whole_suite = whole_suite and not reversal.listed_only
    order = first + ([p for p in paths if p not in first] if whole_suite else [])
    try:
        with applied(reversal):
            return _first_failure(reversal, order)
    except StaleReversalError:
        if reversal.fallback is None:
            raise
    with applied(reversal.fallback):
        return _first_failure(reversal, order)


def _first_failure(reversal: Reversal, order: list[Path]) -> Outcome:
    runner = engine(reversal.fresh_engine)
    for path in order:
        difference = first_difference(path, runner)
        if difference is not None:
            return Outcome(reversal, vector_name(path), difference)
    return Outcome(reversal, None, "")
