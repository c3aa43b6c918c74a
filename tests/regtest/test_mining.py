"""Block assembly pieces checked against real mainnet blocks and python-bitcoinlib."""

from __future__ import annotations

import pytest
from bitcoin.core import CBlock
from bitcoin.core.script import CScript

from regtest.client import BlockRejectedError, NodeRpc
from regtest.hashing import sha256d
from regtest.mining import (
    REGTEST_BITS,
    WITNESS_COMMITMENT_HEADER,
    Miner,
    assemble_block,
    bits_to_target,
    block_subsidy,
    build_coinbase,
    coinbase_height,
    witness_commitment,
)
from regtest.tx import Tx
from regtest.wallet import Wallet
from tests.regtest.vectors import read_block

MAINNET_702861_HASH = "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae"


def test_witness_commitment_matches_mainnet_coinbase() -> None:
    header, raws = read_block("mainnet-702861")
    assert sha256d(header)[::-1].hex() == MAINNET_702861_HASH
    txs = [Tx.parse(raw) for raw in raws]
    coinbase = txs[0]
    committed = [
        o.script_pubkey[6:38]
        for o in coinbase.outputs
        if o.script_pubkey.startswith(WITNESS_COMMITMENT_HEADER)
    ]
    reserved = coinbase.inputs[0].witness[0]
    assert witness_commitment(txs[1:], reserved) == committed[-1]


@pytest.mark.parametrize(
    ("name", "height"), [("mainnet-413567", 413_567), ("mainnet-702861", 702_861)]
)
def test_coinbase_height_reads_mainnet_coinbases(name: str, height: int) -> None:
    coinbase = Tx.parse(read_block(name)[1][0])
    assert coinbase_height(coinbase.inputs[0].script_sig) == height


@pytest.mark.parametrize("height", [1, 16, 17, 127, 128, 255, 256, 500, 65_535, 8_388_608])
def test_coinbase_starts_with_bip34_height_as_core_encodes_it(height: int) -> None:
    coinbase = build_coinbase(height, b"\x51", 50)
    expected = bytes(CScript([height]))
    assert coinbase.inputs[0].script_sig.startswith(expected)
    assert coinbase_height(coinbase.inputs[0].script_sig) == height
    assert 2 <= len(coinbase.inputs[0].script_sig) <= 100


def test_assembled_block_meets_target_and_parses_as_a_block() -> None:
    spend = Tx.parse(read_block("mainnet-702861")[1][1])
    block = assemble_block(bytes(32), 200, 1_700_000_000, [spend], b"\x51", fees=0)
    theirs = CBlock.deserialize(block.serialize())
    assert int.from_bytes(sha256d(block.header), "little") <= bits_to_target(REGTEST_BITS)
    assert theirs.nBits == REGTEST_BITS
    assert theirs.calc_merkle_root() == block.header[36:68]
    assert [tx.GetTxid() for tx in theirs.vtx] == [tx.txid for tx in block.txs]
    # A witness transaction requires the BIP141 commitment and the reserved value.
    coinbase = block.txs[0]
    assert coinbase.outputs[0].value == block_subsidy(200)
    assert coinbase.outputs[1].script_pubkey.startswith(WITNESS_COMMITMENT_HEADER)
    assert coinbase.inputs[0].witness == (bytes(32),)


def test_block_without_witness_transactions_has_no_commitment() -> None:
    block = assemble_block(bytes(32), 5, 1_700_000_000, [], b"\x51")
    assert len(block.txs[0].outputs) == 1
    assert not block.txs[0].has_witness


def test_regtest_subsidy_halves_every_150_blocks() -> None:
    assert block_subsidy(149) == 5_000_000_000
    assert block_subsidy(150) == 2_500_000_000
    assert block_subsidy(150 * 64) == 0


def test_regtest_target_from_bits() -> None:
    assert bits_to_target(REGTEST_BITS) == 0x7FFFFF << (8 * 29)


@pytest.mark.regtest
def test_mined_blocks_become_the_node_tip(miner: Miner, node_rpc: NodeRpc) -> None:
    start = node_rpc.block_count()
    blocks = miner.mine(3)
    assert node_rpc.block_count() == start + 3
    assert [node_rpc.block_hash(start + i + 1) for i in range(3)] == [b.hash_hex for b in blocks]
    assert node_rpc.block_hex(blocks[-1].hash_hex) == blocks[-1].serialize().hex()


@pytest.mark.regtest
def test_depth_3_reorg_switches_the_best_chain(wallet: Wallet, node_rpc: NodeRpc) -> None:
    tx = wallet.pay(b"\x51", 5_000)
    old = [*wallet.miner.mine(2), *wallet.miner.mine(txs=[tx])]
    height = node_rpc.block_count()
    assert node_rpc.best_block_hash() == old[-1].hash_hex

    branch = wallet.miner.reorg(3)

    assert node_rpc.block_count() == height + 1
    assert node_rpc.best_block_hash() == branch[-1].hash_hex
    assert branch[0].prev_hash_hex == node_rpc.block_hash(height - 3)
    for block in old:
        assert node_rpc.block_hash(block.height) != block.hash_hex
    assert all(tx.txid_hex not in node_rpc.block_tx_ids(b.hash_hex) for b in branch)
    # Both nodes return transactions of disconnected blocks to the mempool.
    assert tx.txid_hex in node_rpc.mempool_txids()


@pytest.mark.regtest
def test_shorter_side_branch_is_stored_but_not_adopted(miner: Miner, node_rpc: NodeRpc) -> None:
    miner.mine(2)
    tip = node_rpc.best_block_hash()
    fork = node_rpc.block_hash(node_rpc.block_count() - 2)
    side = miner.mine(1, parent=fork)[0]
    assert node_rpc.best_block_hash() == tip
    assert node_rpc.block_hex(side.hash_hex) == side.serialize().hex()
    # Extending the side branch past the main chain makes it win.
    winner = miner.mine(2, parent=side.hash_hex)
    assert node_rpc.best_block_hash() == winner[-1].hash_hex


@pytest.mark.regtest
def test_reorg_deeper_than_the_chain_is_refused(miner: Miner, node_rpc: NodeRpc) -> None:
    with pytest.raises(ValueError, match="cannot reorg"):
        miner.reorg(node_rpc.block_count() + 1)


@pytest.mark.regtest
def test_block_claiming_too_much_is_rejected(miner: Miner, node_rpc: NodeRpc) -> None:
    tip = node_rpc.best_block_hash()
    with pytest.raises(BlockRejectedError):
        miner.mine(fees=1)
    assert node_rpc.best_block_hash() == tip
