"""The committed vectors are exactly what their generator writes (no drift)."""

from __future__ import annotations

from pathlib import Path

from tests.vectorgen.generate import PROOF_VECTORS, VECTOR_DIR, write_all


def test_generator_reproduces_committed_vectors(tmp_path: Path) -> None:
    written = write_all(tmp_path)
    committed = sorted(p.name for p in VECTOR_DIR.glob("[0-9][0-9][0-9]-*.json"))
    committed = sorted([*committed, PROOF_VECTORS])
    assert sorted(p.name for p in written) == committed
    for path in written:
        assert path.read_bytes() == (VECTOR_DIR / path.name).read_bytes(), path.name


def test_readme_indexes_every_vector() -> None:
    readme = (VECTOR_DIR / "README.md").read_text(encoding="utf-8")
    for path in VECTOR_DIR.glob("[0-9][0-9][0-9]-*.json"):
        number, name = path.stem.split("-", 1)
        assert f"| {number} | `{name}` |" in readme, path.name
