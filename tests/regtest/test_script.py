"""Script building, read back with python-bitcoinlib's script parser."""

from __future__ import annotations

import pytest
from bitcoin.core.script import OP_RETURN, CScript

from protocol.params import MAGIC
from regtest.script import push_int, rootstate_op_return, script_num


def _elements(script: bytes) -> list[object]:
    return list(CScript(script))


@pytest.mark.parametrize("n", [-1, 0, 1, 16, 17, 127, 128, -128, 255, 32_767, 2**31])
def test_push_int_matches_python_bitcoinlib(n: int) -> None:
    assert push_int(n) == bytes(CScript([n]))


def test_script_num_sign_bit() -> None:
    assert script_num(128) == b"\x80\x00"
    assert script_num(-128) == b"\x80\x80"
    assert script_num(-1) == b"\x81"


def test_rootstate_op_return_layout() -> None:
    payload = bytes(600)
    script = rootstate_op_return(payload)
    assert script.startswith(b"\x6a\x06" + MAGIC)
    assert _elements(script) == [OP_RETURN, MAGIC, payload[:520], payload[520:]]
