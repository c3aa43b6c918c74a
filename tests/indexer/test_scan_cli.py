"""``python -m indexer.scan``: the JSON report and the errors a user can cause."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.scan_cli import main
from tests.indexer.synthetic_blocks import (
    CONTROL_BLOCK,
    SHARED_BLOCKS,
    SIGNATURE,
    block_bytes,
    committed_coinbase,
    envelope_tapscript,
    op_return_script,
    transaction,
    txid,
)

REPO = Path(__file__).resolve().parents[2]


def test_module_prints_one_json_object_for_a_mainnet_block() -> None:
    block = SHARED_BLOCKS / "mainnet-702861.raw"
    result = subprocess.run(
        [sys.executable, "-m", "indexer.scan", str(block), "--repeat", "3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report.pop("seconds_per_pass") > 0
    assert report == {
        "hash": "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae",
        "tx_count": 2500,
        "merkle_ok": True,
        "witness_commitment_ok": True,
        "payloads": [],
    }


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_payloads_of_both_carriages_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    funding = b"\xaa" * 32
    op_return = transaction([(funding, 0)], [op_return_script(b"rstate", b"a" * 40, b"b" * 30)])
    envelope = transaction(
        [(funding, 1)],
        witnesses=[(SIGNATURE, envelope_tapscript(b"c" * 520, b"d" * 80), CONTROL_BLOCK)],
    )
    annex_only = transaction(
        [(funding, 2)], witnesses=[(SIGNATURE, b"\x50" + envelope_tapscript(b"e"))]
    )
    txs = [op_return, annex_only, envelope]
    path = tmp_path / "block.raw"
    path.write_bytes(block_bytes([committed_coinbase(txs), *txs]))

    status, out, _ = run([str(path)], capsys)
    assert status == 0
    report = json.loads(out)
    assert report["merkle_ok"] is True
    assert report["witness_commitment_ok"] is True
    assert report["tx_count"] == 4
    listed = [(entry["txid"], entry["carriage"], entry["length"]) for entry in report["payloads"]]
    assert listed == [
        (txid(op_return)[::-1].hex(), "op_return", 70),
        (txid(envelope)[::-1].hex(), "envelope", 600),
    ]
    assert all(entry["malformed"] is None for entry in report["payloads"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"", "fewer than an 80-byte header"),
        (b"\x00" * 80, "truncated"),
        (b"\x00" * 81, "no transactions"),
        (b"\x5a" * 4_000, "not a raw block"),
    ],
    ids=["missing", "empty", "header only", "no transactions", "garbage"],
)
def test_bad_files_give_a_message_and_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "block.raw"
    if content is not None:
        path.write_bytes(content)
    status, out, err = run([str(path)], capsys)
    assert status == 1
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_truncated_mainnet_file_gives_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "block.raw"
    path.write_bytes((SHARED_BLOCKS / "mainnet-413567.raw").read_bytes()[:-1])
    status, _, err = run([str(path)], capsys)
    assert status == 1
    assert "truncated" in err
