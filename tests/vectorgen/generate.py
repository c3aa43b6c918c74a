"""Writing the vectors: one JSON file per scenario, numbered in scenario order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.vectorgen.proofs import build_proof_vectors
from tests.vectorgen.scenarios import ALL
from tests.vectorgen.snapshot_vector import SOURCE, build_snapshot
from tests.vectorgen.wat_files import write_wat

REPO = Path(__file__).resolve().parents[2]
VECTOR_DIR = REPO / "spec" / "vectors"
PROOF_VECTORS = "proofs.json"
WAT_DIR = "wat"
SNAPSHOT_VECTOR = "snapshot.bin"


def build_all() -> list[dict[str, Any]]:
    return [scenario() for scenario in ALL]


def file_name(number: int, vector: dict[str, Any]) -> str:
    return f"{number:03d}-{vector['name']}.json"


def render(vector: dict[str, Any]) -> str:
    return json.dumps(vector, indent=1, ensure_ascii=False) + "\n"


def write_all(out_dir: Path) -> list[Path]:
    """(Re)write every vector into ``out_dir``, removing stale numbered vector files, and the
    sources of the modules they publish into ``out_dir/wat``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vectors = build_all()
    names = [vector["name"] for vector in vectors]
    if len(set(names)) != len(names):
        raise ValueError("two scenarios share a vector name")
    written = []
    rendered: dict[str, str] = {}
    for number, vector in enumerate(vectors, start=1):
        path = out_dir / file_name(number, vector)
        rendered[path.stem] = render(vector)
        path.write_text(rendered[path.stem], encoding="utf-8")
        written.append(path)
    for stale in set(out_dir.glob("[0-9][0-9][0-9]-*.json")) - set(written):
        stale.unlink()
    proofs = out_dir / PROOF_VECTORS
    proofs.write_text(render(build_proof_vectors()), encoding="utf-8")
    snapshot = out_dir / SNAPSHOT_VECTOR
    (source,) = [vector for vector in vectors if vector["name"] == SOURCE]
    snapshot.write_bytes(build_snapshot(source))
    return [*written, proofs, snapshot, *write_wat(out_dir / WAT_DIR, rendered)]
