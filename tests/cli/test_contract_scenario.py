"""Scenario keys against a committed example (no build needed): the OTC sale keeps each
offer in map 2 under its id as a u32 (contracts/README.md), so ``map:2:u32:1`` names
the first offer's record, and an offer never made is absent. The seller's script is a
P2WPKH one, not the local wallet's OP_TRUE, whose 10,000-sat output would pay the offer."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main

OTC = Path(__file__).resolve().parents[2] / "contracts" / "wasm" / "otc.wasm"
SCENARIO = f"""
module = "{OTC}"
[[tokens]]
name = "GOLD"
supply = 500

[[calls]]
name = "offer 100 GOLD for 5,000 sats until height 1,000"
input = ["u8:1", "u64:5000", "u64:1000", "script:00141111111111111111111111111111111111111111"]
send = [{{ asset = "GOLD", amount = 100 }}]
[calls.expect]
returns = ["u32:1"]
custody = {{ GOLD = 100 }}
wallet = {{ GOLD = 400 }}
[calls.expect.storage]
"slot:1" = ["u64:1"]
"map:2:u32:1" = [
  "asset:GOLD", "u128:100", "u64:5000", "u64:1000",
  "script:00141111111111111111111111111111111111111111",
]
"map:2:u32:2" = false

[[calls]]
name = "taking it unpaid is refused (the wallet's output pays OP_TRUE, not the seller)"
input = ["u8:2", "u32:1", "u32:0"]
[calls.expect]
abort = 102
custody = {{ GOLD = 100 }}
"""


def test_map_keys_and_absent_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "otc.toml"
    path.write_text(SCENARIO)
    assert main(["contract", "test", str(path)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert out.count("  ok   ") == 3


def test_a_wrong_map_value_is_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "otc.toml"
    path.write_text(SCENARIO.replace('"u128:100", "u64:5000"', '"u128:100", "u64:4999"'))
    assert main(["contract", "test", str(path)]) == 1
    assert "storage map:2:u32:1 is " in capsys.readouterr().out


def test_a_bad_storage_key_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "otc.toml"
    path.write_text(SCENARIO.replace('"map:2:u32:2"', '"map:300:u32:2"'))
    assert main(["contract", "test", str(path)]) == 2
    assert "is not slot:N, map:N:VALUES" in capsys.readouterr().err
