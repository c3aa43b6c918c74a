"""STATE_ROOT.md §26.1 and indexer/snapshot_format.py describe the same bytes: the table's
field widths are the header struct's, and its magic is the file's."""

from __future__ import annotations

import re
from pathlib import Path

from indexer.snapshot_format import HEADER, MAGIC, OUTPUT_HEAD, STATE_HEAD

SPEC = Path(__file__).resolve().parents[2] / "spec" / "STATE_ROOT.md"


def _rows() -> list[tuple[str, str]]:
    text = SPEC.read_text(encoding="utf-8")
    table = text[text.index("26.1. **Layout.**") : text.index("26.2.")]
    return re.findall(r"^\| ([^|]+?) \| ([^|]*?) \|", table, flags=re.MULTILINE)[1:]


def test_the_spec_table_is_the_file_layout() -> None:
    rows = dict(_rows())
    assert int(rows["magic"]) == len(MAGIC)
    assert " ".join(f"{b:02x}" for b in MAGIC) in SPEC.read_text(encoding="utf-8")
    fields = list(rows)
    header = fields[fields.index("network") : fields.index("output entries") + 1]
    assert sum(int(rows[name]) for name in header) == HEADER.size == 240
    assert len(header) == len(HEADER.format.lstrip(">").replace("32s", "x").replace("16s", "x"))
    assert STATE_HEAD.size == 2 + 4 and OUTPUT_HEAD.size == 36 + 4
