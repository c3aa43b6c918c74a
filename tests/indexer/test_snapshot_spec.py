"""STATE_ROOT.md §26.1 and indexer/snapshot_format.py describe the same bytes: the table's
field widths are the header struct's, its magic is the file's, and spec/vectors/snapshot.bin
(written by the vector generator's own encoder) reads, verifies and writes back unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path

from indexer.snapshot import check_header
from indexer.snapshot_format import (
    HEADER,
    MAGIC,
    OUTPUT_HEAD,
    STATE_HEAD,
    read_snapshot,
    write_snapshot,
)
from protocol.state import MemoryState

SPEC = Path(__file__).resolve().parents[2] / "spec" / "STATE_ROOT.md"
VECTOR = SPEC.parent / "vectors" / "snapshot.bin"
(SOURCE,) = (SPEC.parent / "vectors").glob("[0-9][0-9][0-9]-transfer-split.json")


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


def test_the_snapshot_vector_reads_verifies_and_writes_back(tmp_path: Path) -> None:
    snapshot = read_snapshot(VECTOR)
    header = snapshot.header
    check_header(header)  # §26.2 step 3
    assert MemoryState(dict(snapshot.state)).root == header.state_root  # step 4
    last = json.loads(SOURCE.read_text(encoding="utf-8"))["blocks"][-1]
    assert (header.network, header.height) == ("regtest", last["height"])
    assert header.state_hash.hex() == last["expected"]["state_hash"]
    assert {k.hex(): v.hex() for k, v in snapshot.state} == last["expected"]["state"]
    assert len(snapshot.outputs) == sum(k.startswith("01") for k in last["expected"]["state"])
    copy = tmp_path / "copy.bin"
    write_snapshot(copy, header, snapshot.state, snapshot.outputs)
    assert copy.read_bytes() == VECTOR.read_bytes()
