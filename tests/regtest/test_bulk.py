"""Big mainnet-like blocks, accepted by a real node."""

from __future__ import annotations

import pytest

from protocol.params import ENVELOPE_HEAD
from regtest.bulk import BulkBlockFactory, BulkConfig, Carrier, Payload
from regtest.client import BlockRejectedError, NodeRpc
from regtest.keys import Key
from regtest.mining import MAX_BLOCK_WEIGHT, Miner
from regtest.script import rootstate_op_return


@pytest.mark.regtest
def test_big_blocks_with_payloads_are_accepted(miner: Miner, node_rpc: NodeRpc) -> None:
    envelope_payload = bytes(range(256)) * 8
    op_return_payload = b"\xa2\x01\x02\x03\x04"
    with BulkBlockFactory(miner, Key.derive("bulk-test")) as factory:
        factory.bootstrap()
        first = factory.next_block(
            [
                Payload(Carrier.OP_RETURN, op_return_payload),
                Payload(Carrier.ENVELOPE, envelope_payload),
            ]
        )
        second = factory.next_block()

    assert node_rpc.best_block_hash() == second.block.hash_hex
    for built in (first, second):
        info = node_rpc.call("getblock", built.block.hash_hex, 1)
        assert info["size"] >= 1_000_000
        assert info["weight"] <= MAX_BLOCK_WEIGHT
        assert len(info["tx"]) > 2_000
        # Witness-heavy: a large share of the bytes sit in witnesses.
        assert info["size"] - info["strippedsize"] > info["size"] // 4

    op_return_txid, reveal_txid = first.payload_txids
    op_return_tx = node_rpc.get_raw_transaction(op_return_txid)
    assert op_return_tx.outputs[0].script_pubkey == rootstate_op_return(op_return_payload)
    reveal = node_rpc.get_raw_transaction(reveal_txid)
    tapscript = reveal.inputs[0].witness[1]
    assert ENVELOPE_HEAD in tapscript
    assert envelope_payload[:520] in tapscript
    assert second.payload_txids == ()


@pytest.mark.regtest
def test_rejected_block_surfaces_on_flush(miner: Miner, node_rpc: NodeRpc) -> None:
    config = BulkConfig(target_size=5_000)
    with BulkBlockFactory(miner, Key.derive("bulk-reject"), config) as factory:
        factory.bootstrap()
        tip = node_rpc.best_block_hash()
        # An OP_RETURN this large pushes the block past the consensus weight limit.
        factory.next_block([Payload(Carrier.OP_RETURN, bytes(1_100_000))])
        with pytest.raises(BlockRejectedError):
            factory.flush()
    assert node_rpc.best_block_hash() == tip


def test_bulk_config_is_validated() -> None:
    with pytest.raises(ValueError, match="target_size"):
        BulkConfig(target_size=5_000_000)
    with pytest.raises(ValueError, match="pool_cap"):
        BulkConfig(pool_cap=1)
