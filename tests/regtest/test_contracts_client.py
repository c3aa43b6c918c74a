"""The contract client API: payload and input bytes written out by hand, and the publish and
call transactions it builds judged by a real node's mempool (its relay policy included)."""

from __future__ import annotations

import pytest

from regtest.client import NodeRpc
from regtest.contract_inputs import (
    amm_swap,
    asset12,
    example_module,
    otc_offer,
    vesting_init,
)
from regtest.contracts import (
    STANDARD_OP_RETURN_PAYLOAD,
    Carrier,
    call_contract,
    publish_contract,
)
from regtest.payloads import call, message, publish
from regtest.script import rootstate_op_return
from regtest.tx import TxOut
from regtest.wallet import Wallet


def test_call_and_publish_messages_are_canonical_cbor() -> None:
    # {0: 1, 1: [{0: 7, 1: [5, 1], 2: h'01', 3: [[[3, 2], 7], [[3, 2, 1], 8]], 4: 500}]}
    op = call((5, 1), b"\x01", [((3, 2), 7), ((3, 2, 1), 8)], fuel=500)
    assert message(op).hex() == (
        "a2" "0001" "0181" "a5" "0007" "01820501" "024101"
        "0382" "8282030207" "828303020108" "041901f4"
    )  # fmt: skip
    # {0: 1, 1: [{0: 5, 1: h'0061736d', 2: h''}]}
    assert message(publish(b"\x00asm", b"")).hex() == "a200010181a3000501440061736d0240"


def test_contract_inputs_follow_the_readme_layouts() -> None:
    assert amm_swap(1, 2).hex() == "02" + "01" + "00" * 15 + "02000000"
    assert asset12((3, 2)).hex() == "000000030000000200000000"
    assert asset12((3, 2, 1)).hex() == "000000030000000200000001"
    offer = otc_offer(30_000, 0x0102, b"\x51")
    assert offer.hex() == "01" + "3075000000000000" + "0201000000000000" + "0100" + "51"
    schedule = vesting_init((3, 2), 1, 2, 3, b"\x51\x52")
    assert schedule.hex() == (
        "000000030000000200000000" "0100000000000000" "0200000000000000" "0300000000000000"
        "0200" "5152"
    )  # fmt: skip
    with pytest.raises(ValueError, match="no example contract 'forward'"):
        example_module("forward")


@pytest.mark.regtest
def test_publish_reveal_and_calls_relay_on_the_node(wallet: Wallet, node_rpc: NodeRpc) -> None:
    """The node's mempool takes a publish (commit, then the reveal carrying a 6,654-byte
    module), a small call by OP_RETURN and a large one by envelope; outputs keep the asked
    order with the carrier after them, so the contract's vout arguments hold."""
    module = example_module("amm")
    published = publish_contract(wallet, module, init=b"init")
    commit, reveal = published.txs
    assert reveal.inputs[0].prevout == commit.outpoint(0)
    _signature, tapscript, _control = reveal.inputs[0].witness
    assert module in b"".join(_pushes(tapscript))
    paid = TxOut(1_000, wallet.p2wpkh_script)
    # Unpadded, to fit a relayable OP_RETURN (it buys too little fuel to start, §21.2).
    small = call_contract(wallet, (200, 1), b"\x04", outputs=[paid], pad=0)
    (tx,) = small.txs
    payload = message(call((200, 1), b"\x04"))
    assert len(payload) <= STANDARD_OP_RETURN_PAYLOAD
    assert tx.outputs[:2] == (paid, TxOut(0, rootstate_op_return(payload)))
    large = call_contract(wallet, (200, 1), bytes(100), outputs=[paid])
    assert len(large.txs) == 2 and large.carrier_tx.outputs[0] == paid
    forced = call_contract(wallet, (200, 1), outputs=[paid], carrier=Carrier.ENVELOPE)
    for tx in (*published.txs, *small.txs, *large.txs, *forced.txs):
        assert node_rpc.send_raw_transaction(tx) == tx.txid_hex
    with pytest.raises(ValueError, match="needs an output"):
        call_contract(wallet, (200, 1), assets=[((3, 2), 1)])


def _pushes(script: bytes) -> list[bytes]:
    """The data of a tapscript's pushes (direct, PUSHDATA1, PUSHDATA2)."""
    found, i = [], 0
    while i < len(script):
        op = script[i]
        i += 1
        if 1 <= op <= 75:
            size = op
        elif op in (0x4C, 0x4D):
            width = 1 if op == 0x4C else 2
            size, i = int.from_bytes(script[i : i + width], "little"), i + width
        else:
            continue
        found.append(script[i : i + size])
        i += size
    return found
