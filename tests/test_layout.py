"""The import arrows between the top-level packages, read from the source with ``ast``.

regtest -> indexer -> protocol and api -> indexer -> protocol; ``engine`` (the only importer
of wasmtime) sits between: indexer -> engine -> protocol and api -> engine; ``cli`` (the
command) and ``bench`` (benchmarks) may import anything and nothing imports them;
``protocol`` imports none of the others (an engine is injected into it); the vector
generator never imports the code whose vectors it writes, and the second engine
(tests/interp) none of the code it is a second implementation of.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("protocol", "engine", "indexer", "api", "regtest", "cli", "bench")
EVERYTHING = frozenset(PACKAGES)
#: Which of our packages each package (or sub-tree of tests) may import.
ALLOWED: dict[str, frozenset[str]] = {
    "protocol": frozenset({"protocol"}),
    "engine": frozenset({"engine", "protocol"}),
    "indexer": frozenset({"indexer", "engine", "protocol"}),
    "api": frozenset({"api", "indexer", "engine", "protocol"}),
    "regtest": frozenset({"regtest", "indexer", "protocol"}),
    "cli": EVERYTHING,
    "bench": EVERYTHING,
    "tests/vectorgen": frozenset({"tests.vectorgen"}),
    # The second engine, written from the spec: the engine interface and the spec's
    # constants, never our validator, instrumentation or wasmtime engine.
    "tests/interp": frozenset(
        {"tests.interp", "protocol.wasm.engine", "protocol.wasm.abi", "protocol.wasm.limits"}
    ),
}


def imported_modules(source: str) -> set[str]:
    """Every module ``source`` imports absolutely, anywhere (function bodies and
    ``TYPE_CHECKING`` blocks included: an arrow is an arrow wherever it is written)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def imported_packages(source: str) -> set[str]:
    return {module.split(".")[0] for module in imported_modules(source)}


def within(module: str, prefixes: frozenset[str]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def violations(tree: str, allowed: frozenset[str]) -> list[str]:
    """``file: module`` for every import of our code that ``tree`` may not make."""
    ours = frozenset({*PACKAGES, "tests"})
    bad = []
    for path in sorted((ROOT / tree).rglob("*.py")):
        for module in sorted(imported_modules(path.read_text())):
            if within(module, ours) and not within(module, allowed):
                bad.append(f"{path.relative_to(ROOT)}: imports {module}")
    return bad


@pytest.mark.parametrize("tree", sorted(ALLOWED))
def test_imports_follow_the_arrows(tree: str) -> None:
    assert (ROOT / tree).is_dir()
    assert violations(tree, ALLOWED[tree]) == []


def test_nothing_imports_cli_or_bench() -> None:
    for tree in ("protocol", "engine", "indexer", "api", "regtest"):
        for path in (ROOT / tree).rglob("*.py"):
            assert not imported_packages(path.read_text()) & {"cli", "bench"}, path


def test_only_engine_imports_wasmtime() -> None:
    for tree in ("protocol", "indexer", "api", "regtest", "cli", "tests/interp"):
        for path in (ROOT / tree).rglob("*.py"):
            assert "wasmtime" not in imported_packages(path.read_text()), path


def test_a_wrong_arrow_is_reported() -> None:
    assert violations("indexer", frozenset({"protocol"}))  # indexer imports itself
    assert not within("apiary", frozenset({"api"}))
    assert within("api.app", frozenset({"api"}))


def test_the_checker_sees_imports_wherever_they_are() -> None:
    source = (
        "from __future__ import annotations\n"
        "import os.path, indexer.store as s\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from api.app import create_app\n"
        "def f() -> None:\n"
        "    import regtest.node\n"
        "from . import sibling\n"
    )
    assert imported_packages(source) == {"__future__", "os", "indexer", "typing", "api", "regtest"}
