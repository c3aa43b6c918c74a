"""Script building, read back with python-bitcoinlib's script parser."""

from __future__ import annotations

import pytest
from bitcoin.core.script import OP_0, OP_CHECKSIG, OP_ENDIF, OP_IF, OP_RETURN, CScript

from protocol.params import ENVELOPE_HEAD, MAGIC
from regtest.script import (
    envelope_script,
    push_data,
    push_int,
    rootstate_op_return,
    script_num,
)


def _elements(script: bytes) -> list[object]:
    return list(CScript(script))


def test_empty_push_is_op_0() -> None:
    assert push_data(b"") == b"\x00"


@pytest.mark.parametrize("size", [1, 75, 76, 255, 256, 520, 65_535, 65_536])
def test_push_data_is_read_back_whole(size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    script = push_data(data)
    assert _elements(script) == [data]


def test_push_data_prefixes_are_the_shortest() -> None:
    assert push_data(b"\x05")[:1] == b"\x01"
    assert push_data(bytes(76))[:2] == b"\x4c\x4c"
    assert push_data(bytes(256))[:3] == b"\x4d\x00\x01"


@pytest.mark.parametrize("n", [-1, 0, 1, 16, 17, 127, 128, -128, 255, 32_767, 2**31])
def test_push_int_matches_python_bitcoinlib(n: int) -> None:
    assert push_int(n) == bytes(CScript([n]))


def test_script_num_sign_bit() -> None:
    assert script_num(128) == b"\x80\x00"
    assert script_num(-128) == b"\x80\x80"
    assert script_num(-1) == b"\x81"


def test_envelope_layout() -> None:
    key = bytes(range(32))
    payload = bytes(1_300)
    script = envelope_script(key, payload)
    assert script[33:34] == b"\xac"
    assert script[34:].startswith(ENVELOPE_HEAD)
    assert _elements(script) == [
        key,
        OP_CHECKSIG,
        OP_0,
        OP_IF,
        MAGIC,
        payload[:520],
        payload[520:1040],
        payload[1040:],
        OP_ENDIF,
    ]


def test_envelope_chunk_size_is_configurable() -> None:
    script = envelope_script(bytes(32), b"abcdefg", chunk_size=3)
    assert _elements(script)[5:8] == [b"abc", b"def", b"g"]


def test_rootstate_op_return_layout() -> None:
    payload = bytes(600)
    script = rootstate_op_return(payload)
    assert script.startswith(b"\x6a\x06" + MAGIC)
    assert _elements(script) == [OP_RETURN, MAGIC, payload[:520], payload[520:]]


def test_envelope_refuses_a_full_public_key() -> None:
    with pytest.raises(ValueError, match="x-only"):
        envelope_script(bytes(33), b"x")
