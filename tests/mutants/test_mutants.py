"""Every listed rule reversal is caught by the vector it names (issue 18 item 3).

A reversal that survives means the spec's text allows a reading the vectors do not pin:
add a vector that fails under it (tests/vectorgen/scenarios/) or change the text so that
the reading is excluded and drop the entry with a note in its place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutants.reversals import ALL
from tests.mutants.runner import Reversal, engine, first_difference, run, vector_name, vector_paths

SPEC = Path(__file__).resolve().parents[2] / "spec"


def test_the_list_is_long_and_its_names_unique() -> None:
    assert len(ALL) >= 60
    assert len({r.name for r in ALL}) == len(ALL)


def test_every_cited_section_exists() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in SPEC.glob("*.md"))
    for reversal in ALL:
        assert f"{reversal.section}." in text or f"{reversal.section} " in text, reversal.name


def _path(name: str) -> Path:
    (path,) = [p for p in vector_paths() if vector_name(p) == name]
    return path


@pytest.mark.parametrize("reversal", ALL, ids=[r.name for r in ALL])
def test_reversal_is_caught(reversal: Reversal) -> None:
    # Unmutated, the listed vector passes: the failure below is the reversal's doing.
    assert first_difference(_path(reversal.caught_by), engine()) is None
    outcome = run(reversal)
    assert outcome.killed_by == reversal.caught_by, outcome


def test_reversals_are_undone() -> None:
    """After a reversal the machine is the reference again: the vector it broke passes."""
    reversal = next(r for r in ALL if r.name == "send-charge-before-vout")
    assert run(reversal, whole_suite=False).killed_by == reversal.caught_by
    assert first_difference(_path(reversal.caught_by), engine()) is None
