"""Writing the vectors: one JSON file per scenario, numbered in scenario order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.vectorgen.proofs import build_proof_vectors
from tests.vectorgen.scenarios import ALL

REPO = Path(__file__).resolve().parents[2]
VECTOR_DIR = REPO / "spec" / "vectors"
PROOF_VECTORS = "proofs.json"


def build_all() -> list[dict[str, Any]]:
    return [scenario() for scenario in ALL]


def file_name(number: int, vector: dict[str, Any]) -> str:
    return f"{number:03d}-{vector['name']}.json"


def render(vector: dict[str, Any]) -> str:
    return json.dumps(vector, indent=1, ensure_ascii=False) + "\n"


def write_all(out_dir: Path) -> list[Path]:
    """(Re)write every vector into ``out_dir``, removing stale numbered vector files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vectors = build_all()
    names = [vector["name"] for vector in vectors]
    if len(set(names)) != len(names):
        raise ValueError("two scenarios share a vector name")
    written = []
    for number, vector in enumerate(vectors, start=1):
        path = out_dir / file_name(number, vector)
        path.write_text(render(vector), encoding="utf-8")
        written.append(path)
    for stale in set(out_dir.glob("[0-9][0-9][0-9]-*.json")) - set(written):
        stale.unlink()
    proofs = out_dir / PROOF_VECTORS
    proofs.write_text(render(build_proof_vectors()), encoding="utf-8")
    return [*written, proofs]
