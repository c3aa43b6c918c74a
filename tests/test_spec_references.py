"""The spec stands alone (issue 18): no normative text in spec/ sends the reader into this
repository's code. A mention of one of our files or commands is allowed only in a paragraph,
list item or table that says it is informative, or under a heading that does."""

from __future__ import annotations

import re
from pathlib import Path

SPEC = Path(__file__).resolve().parent.parent / "spec"
OURS = r"(?:protocol|engine|indexer|tests|api|cli|bench|regtest)"
REFERENCE = re.compile(rf"(?<![\w.-]){OURS}/[\w./-]*|\b[\w/]+\.py\b|python -m {OURS}\b")


def uninformative_references(text: str) -> list[str]:
    """Each paragraph that names our code without being marked informative."""
    found = []
    heading = ""
    for block in re.split(r"\n\s*\n", text):
        headings = [line for line in block.splitlines() if line.startswith("#")]
        if headings:
            heading = headings[-1]
        informative = "informative" in heading.lower() or "informative" in block.lower()
        if REFERENCE.search(block) and not informative:
            found.append(block.strip().splitlines()[0][:80])
    return found


def test_no_normative_reference_into_the_code() -> None:
    documents = [*SPEC.glob("*.md"), SPEC / "vectors" / "README.md"]
    assert len(documents) >= 6
    for document in documents:
        text = document.read_text(encoding="utf-8")
        assert uninformative_references(text) == [], document.name


def test_the_check_sees_a_reference() -> None:
    assert uninformative_references("See `protocol/wasm/code.py` for the rule.")
    assert uninformative_references("## 9 Rules\n\nThe rule is in tests/engine/test_fuel.py.")
    assert not uninformative_references("## 9 Notes (informative)\n\nSee engine/host.py.")
    assert not uninformative_references("The rule is §15.7 (no file named).")
