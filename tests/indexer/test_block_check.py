"""Merkle root and witness commitment checks on real and bitcoinlib-built blocks."""

from __future__ import annotations

import pytest
from bitcoin.core import CBlock, Hash

from indexer.block_check import check_block, merkle_root
from indexer.scan import tx_spans
from tests.indexer.synthetic_blocks import (
    CONTROL_BLOCK,
    SHARED_BLOCKS,
    SIGNATURE,
    block_bytes,
    coinbase,
    committed_coinbase,
    envelope_tapscript,
    transaction,
)

PRE_SEGWIT = (SHARED_BLOCKS / "mainnet-413567.raw").read_bytes()
SEGWIT = (SHARED_BLOCKS / "mainnet-702861.raw").read_bytes()


def test_pre_segwit_block_has_its_merkle_root_and_no_commitment() -> None:
    check = check_block(PRE_SEGWIT)
    assert check.merkle_ok
    assert check.witness_commitment_ok is None


def test_segwit_block_reproduces_both_commitments() -> None:
    check = check_block(SEGWIT)
    assert check.merkle_ok
    assert check.witness_commitment_ok is True


def flip_byte(block: bytes, position: int) -> bytes:
    return block[:position] + bytes([block[position] ^ 0x01]) + block[position + 1 :]


def test_a_changed_witness_breaks_only_the_witness_commitment() -> None:
    last = tx_spans(SEGWIT)[-1]
    assert last.has_witness
    check = check_block(flip_byte(SEGWIT, last.end - 6))  # inside the last witness item
    assert check.merkle_ok
    assert check.witness_commitment_ok is False


def test_a_changed_output_value_breaks_the_merkle_root() -> None:
    last = tx_spans(PRE_SEGWIT)[-1]
    check = check_block(flip_byte(PRE_SEGWIT, last.end - 20))  # inside the last output
    assert not check.merkle_ok


def test_a_changed_header_merkle_root_is_noticed() -> None:
    assert not check_block(flip_byte(SEGWIT, 40)).merkle_ok


def test_synthetic_commitment_built_by_bitcoinlib_verifies() -> None:
    txs = [
        transaction([(b"\x01" * 32, 0)], witnesses=[(SIGNATURE,)]),
        transaction(
            [(b"\x02" * 32, 1)], witnesses=[(SIGNATURE, envelope_tapscript(), CONTROL_BLOCK)]
        ),
        transaction([(b"\x03" * 32, 2)]),
    ]
    assert check_block(block_bytes([committed_coinbase(txs), *txs])).witness_commitment_ok is True
    wrong_reserved = committed_coinbase(txs, reserved=b"\x22" * 32)
    assert check_block(block_bytes([wrong_reserved, *txs])).witness_commitment_ok is False


def test_commitment_without_a_reserved_value_fails() -> None:
    txs = [transaction([(b"\x01" * 32, 0)], witnesses=[(SIGNATURE,)])]
    committed = committed_coinbase(txs, reserved=b"")
    assert check_block(block_bytes([committed, *txs])).witness_commitment_ok is False


@pytest.mark.parametrize("leaves", [1, 2, 3, 7, 8, 33])
def test_merkle_root_matches_bitcoinlib(leaves: int) -> None:
    hashes = [Hash(bytes([n])) for n in range(leaves)]
    assert merkle_root(hashes) == CBlock.build_merkle_tree_from_txids(hashes)[-1]


def test_block_without_a_witness_commitment_output() -> None:
    txs = [transaction([(b"\x01" * 32, 0)], witnesses=[(SIGNATURE,)])]
    check = check_block(block_bytes([coinbase(), *txs]))
    assert check.merkle_ok
    assert check.witness_commitment_ok is None
