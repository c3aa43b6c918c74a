"""``rootstate contract check`` and the typed values every contract command takes: the
protocol's own validator, its refusals in words, and fuel from real runs on the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.contract_explain import EXPLANATIONS
from cli.contract_values import ValueSyntaxError, encode_values
from cli.main import main
from protocol.wasm.reasons import WasmReason

WASM = Path(__file__).resolve().parents[2] / "contracts" / "wasm"
#: The smallest module with a float: a type section holding one () -> f64 function type.
FLOAT_MODULE = b"\x00asm\x01\x00\x00\x00" + b"\x01\x05\x01\x60\x00\x01\x7c"


def test_values_encode_as_the_sdk_codec_reads_them() -> None:
    assert encode_values(["u8:1", "u16:0x0102", "u64:5"]) == b"\x01\x02\x01" + (5).to_bytes(
        8, "little"
    )
    assert encode_values(["u128:1_000"]) == (1000).to_bytes(16, "little")
    assert encode_values(["script:51", "hex:00ff"]) == b"\x01\x00\x51" + b"\x00\xff"
    # An asset is the 8-byte id then the sub id, all big-endian (contracts/README.md).
    assert encode_values(["asset:840000:3:1"]) == bytes.fromhex("000cd14000000003" + "00000001")
    assert encode_values(["asset:TIP"], {"TIP": b"t" * 12}) == b"t" * 12


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("u8:256", "does not fit in a u8"),
        ("u64:-1", "does not fit"),
        ("u32:ten", "is not an integer"),
        ("f64:1.5", "unknown type 'f64'"),
        ("5", "has no type"),
        ("hex:abc", "not hex"),
        ("asset:1", "is not HEIGHT:INDEX"),
    ],
)
def test_a_wrong_value_says_what_is_wrong(value: str, words: str) -> None:
    with pytest.raises(ValueSyntaxError, match=words):
        encode_values([value])


def test_every_rejection_reason_has_an_explanation() -> None:
    assert set(EXPLANATIONS) == set(WasmReason)
    assert all(len(text) > 20 for text in EXPLANATIONS.values())


def test_a_float_module_is_refused_with_the_reason_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "float.wasm"
    module.write_bytes(FLOAT_MODULE)
    assert main(["contract", "check", str(module)]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "float_type" in out
    assert "integer-only" in out and "where: at byte 14" in out


def test_an_accepted_module_gets_a_fuel_estimate_per_entry_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The AMM's init takes two asset ids and a fee; op 4 (reserves) reads the state.
    init = "asset:1:1 asset:1:2 u16:30"
    code = main(
        [
            "contract",
            "check",
            str(WASM / "amm.wasm"),
            "--init",
            init,
            "--input",
            "u8:4",
            "--input",
            "u8:9",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "accepted by the protocol's validator" in out and "init and call" in out
    lines = out.splitlines()
    [init_line] = [line for line in lines if "init(" in line]
    assert "fuel " in init_line
    [reserves] = [line for line in lines if "call(u8:4)" in line]
    assert "fuel " in reserves and "rejected" not in reserves
    [unknown] = [line for line in lines if "call(u8:9)" in line]
    assert "abort code 103" in unknown  # the AMM's "unknown op"


def test_a_missing_file_and_a_bad_value_are_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "check", str(tmp_path / "none.wasm")]) == 1
    assert "cannot read" in capsys.readouterr().out
    assert main(["contract", "check", str(WASM / "amm.wasm"), "--init", "u8:300"]) == 2
    assert "does not fit in a u8" in capsys.readouterr().err
