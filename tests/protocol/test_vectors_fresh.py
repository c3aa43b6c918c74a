"""The committed vectors are exactly what their generator writes (no drift)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.vectorgen.generate import (
    PROOF_VECTORS,
    SNAPSHOT_VECTOR,
    VECTOR_DIR,
    WAT_DIR,
    write_all,
)


def test_generator_reproduces_committed_vectors(tmp_path: Path) -> None:
    written = write_all(tmp_path)
    committed = [p.name for p in VECTOR_DIR.glob("[0-9][0-9][0-9]-*.json")]
    committed += [PROOF_VECTORS, SNAPSHOT_VECTOR]
    committed += [f"{WAT_DIR}/{p.name}" for p in (VECTOR_DIR / WAT_DIR).iterdir()]
    relative = [str(path.relative_to(tmp_path)) for path in written]
    assert sorted(relative) == sorted(committed)
    for name in relative:
        assert (tmp_path / name).read_bytes() == (VECTOR_DIR / name).read_bytes(), name


def test_readme_indexes_every_vector() -> None:
    readme = (VECTOR_DIR / "README.md").read_text(encoding="utf-8")
    for path in VECTOR_DIR.glob("[0-9][0-9][0-9]-*.json"):
        number, name = path.stem.split("-", 1)
        assert f"| {number} | `{name}` |" in readme, path.name


def test_every_published_contract_ships_its_source() -> None:
    """Issue 18 item 2: each code hash a vector publishes has its .wat and .wasm beside it."""
    shipped = {
        hashlib.sha256(path.read_bytes()).hexdigest(): path
        for path in (VECTOR_DIR / WAT_DIR).glob("*.wasm")
    }
    published = {
        event["code_hash"]
        for path in VECTOR_DIR.glob("[0-9][0-9][0-9]-*.json")
        for block in json.loads(path.read_text(encoding="utf-8"))["blocks"]
        for event in block["expected"]["events"]
        if event["type"] == "publish"
    }
    assert len(published) >= 40
    for code_hash in published:
        assert code_hash in shipped, code_hash
        assert shipped[code_hash].with_suffix(".wat").read_text(encoding="utf-8").count(code_hash)
