"""Transactions the wallet builds, judged by a real node's consensus and policy checks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from protocol.taproot import NUMS_INTERNAL_KEY
from regtest.client import BlockRejectedError, NodeRpc
from regtest.keys import Key
from regtest.mining import Miner
from regtest.rpc import RpcError
from regtest.spend import Envelope, KeyPathSpend, ScriptPathSpend, sign_inputs
from regtest.tx import Tx, TxIn, TxOut
from regtest.wallet import InsufficientFundsError, Wallet

pytestmark = pytest.mark.regtest


def _flip_signature_bit(tx: Tx, index: int = 0) -> Tx:
    witness = list(tx.inputs[index].witness)
    sig = bytearray(witness[0])
    sig[10] ^= 0x01
    witness[0] = bytes(sig)
    return tx.with_witness(index, tuple(witness))


def _confirmed_in_tip(node: NodeRpc, tx: Tx) -> bool:
    return tx.txid_hex in node.block_tx_ids(node.best_block_hash())


def test_envelope_reveal_is_relayed_and_mined(wallet: Wallet, node_rpc: NodeRpc) -> None:
    payload = bytes(range(256)) * 6
    envelope = Envelope.create(wallet.key, payload)
    commit, coin = wallet.commit_envelope(envelope)
    wallet.broadcast(commit)
    reveal = wallet.reveal_envelope(coin)
    assert node_rpc.send_raw_transaction(reveal) == reveal.txid_hex
    wallet.accept(reveal)
    wallet.mine()
    assert _confirmed_in_tip(node_rpc, commit)
    assert _confirmed_in_tip(node_rpc, reveal)
    stored = node_rpc.get_raw_transaction(reveal.txid_hex)
    signature, tapscript, control = stored.inputs[0].witness
    assert len(signature) == 64
    assert tapscript == envelope.leaf.script
    assert control == envelope.output.control_block(envelope.leaf)


def test_envelope_reveal_is_accepted_in_a_submitted_block(
    wallet: Wallet, node_rpc: NodeRpc
) -> None:
    envelope = Envelope.create(wallet.key, b"mined without the mempool")
    commit, coin = wallet.commit_envelope(envelope)
    reveal = wallet.reveal_envelope(coin)
    block = wallet.miner.mine(txs=[commit, reveal])[0]
    assert node_rpc.best_block_hash() == block.hash_hex
    assert node_rpc.block_tx_ids(block.hash_hex)[1:] == [commit.txid_hex, reveal.txid_hex]


def test_tampered_script_path_signature_is_rejected(wallet: Wallet, node_rpc: NodeRpc) -> None:
    envelope = Envelope.create(wallet.key, b"tampered")
    commit, coin = wallet.commit_envelope(envelope)
    wallet.broadcast(commit)
    wallet.mine()
    bad = _flip_signature_bit(wallet.reveal_envelope(coin))
    with pytest.raises(RpcError):
        node_rpc.send_raw_transaction(bad)
    tip = node_rpc.best_block_hash()
    with pytest.raises(BlockRejectedError):
        wallet.miner.mine(txs=[bad])
    assert node_rpc.best_block_hash() == tip


def test_reveal_signed_by_another_key_is_rejected(wallet: Wallet, node_rpc: NodeRpc) -> None:
    envelope = Envelope.create(wallet.key, b"wrong signer")
    commit, coin = wallet.commit_envelope(envelope)
    assert isinstance(coin.spend, ScriptPathSpend)
    thief = replace(coin, spend=replace(coin.spend, key=Key.derive("thief")))
    reveal = sign_inputs(Tx((TxIn(coin.outpoint),), (TxOut(coin.value - 500, b"\x51"),)), [thief])
    tip = node_rpc.best_block_hash()
    with pytest.raises(BlockRejectedError):
        wallet.miner.mine(txs=[commit, reveal])
    assert node_rpc.best_block_hash() == tip


def test_script_only_envelope_with_nums_internal_key(wallet: Wallet, node_rpc: NodeRpc) -> None:
    envelope = Envelope.create(wallet.key, b"no key path", internal_key=NUMS_INTERNAL_KEY)
    commit, coin = wallet.commit_envelope(envelope)
    reveal = wallet.reveal_envelope(coin)
    block = wallet.miner.mine(txs=[commit, reveal])[0]
    assert reveal.txid_hex in node_rpc.block_tx_ids(block.hash_hex)


def test_annex_on_script_and_key_path_spends_is_valid_consensus(
    wallet: Wallet, node_rpc: NodeRpc
) -> None:
    envelope = Envelope.create(wallet.key, b"with annex")
    commit, coin = wallet.commit_envelope(envelope)
    wallet.accept(commit)
    reveal = wallet.reveal_envelope(coin, annex=b"\x50annex")
    assert reveal.inputs[0].witness[-1] == b"\x50annex"
    assert len(reveal.inputs[0].witness) == 4
    key_path = wallet.build([TxOut(1_000, b"\x51")], annexes={0: b"\x50\x01"})
    assert len(key_path.inputs[0].witness) == 2
    block = wallet.miner.mine(txs=[commit, reveal, key_path])[0]
    assert node_rpc.block_tx_ids(block.hash_hex)[1:] == [
        commit.txid_hex,
        reveal.txid_hex,
        key_path.txid_hex,
    ]


def test_annex_changes_the_signed_message(wallet: Wallet) -> None:
    coin = next(iter(wallet.coins.values()))
    unsigned = Tx((TxIn(coin.outpoint),), (TxOut(1_000, b"\x51"),))
    plain = sign_inputs(unsigned, [coin])
    annexed = sign_inputs(unsigned, [coin], annexes={0: b"\x50"})
    assert plain.inputs[0].witness[0] != annexed.inputs[0].witness[0]


def test_annex_must_start_with_0x50(wallet: Wallet) -> None:
    with pytest.raises(ValueError, match="0x50"):
        wallet.build([TxOut(1_000, b"\x51")], annexes={0: b"\x51"})


def test_key_path_spend_with_tampered_signature_is_rejected(
    wallet: Wallet, node_rpc: NodeRpc
) -> None:
    good = wallet.pay(b"\x51", 10_000)
    assert isinstance(next(iter(wallet.coins.values())).spend, KeyPathSpend)
    with pytest.raises(RpcError):
        node_rpc.send_raw_transaction(_flip_signature_bit(good))
    assert wallet.broadcast(good) == good.txid_hex


def test_op_return_carrier_is_relayed(wallet: Wallet, node_rpc: NodeRpc) -> None:
    tx = wallet.op_return(b"\xa1\x01\x02" * 40)
    wallet.broadcast(tx)
    assert tx.txid_hex in node_rpc.mempool_txids()
    wallet.mine()
    assert (
        node_rpc.get_raw_transaction(tx.txid_hex)
        .outputs[0]
        .script_pubkey.startswith(b"\x6a\x06rstate")
    )


def test_p2wpkh_receive_and_spend(wallet: Wallet, node_rpc: NodeRpc) -> None:
    pay = wallet.pay(wallet.p2wpkh_script, 250_000)
    wallet.broadcast(pay)
    coin = wallet.coins[pay.outpoint(0)]
    spend = wallet.build([TxOut(100_000, wallet.p2tr_script)], must_spend=[coin])
    wallet.broadcast(spend)
    wallet.mine()
    assert _confirmed_in_tip(node_rpc, spend)
    witness = node_rpc.get_raw_transaction(spend.txid_hex).inputs[0].witness
    assert witness[1] == wallet.key.pubkey


def test_node_agrees_with_our_addresses(wallet: Wallet, node_rpc: NodeRpc) -> None:
    for address, script in (
        (wallet.p2tr_address, wallet.p2tr_script),
        (wallet.p2wpkh_address, wallet.p2wpkh_script),
    ):
        result = node_rpc.call("validateaddress", address)
        assert result["isvalid"] is True
        assert result["address"] == address
        if "scriptPubKey" in result:  # bitcoind
            assert bytes.fromhex(result["scriptPubKey"]) == script
        if "witness_program" in result:  # btcd, v0 only
            assert bytes.fromhex(result["witness_program"]) == script[2:]
        corrupted = address[:-1] + ("q" if address[-1] != "q" else "p")
        assert node_rpc.call("validateaddress", corrupted)["isvalid"] is False


def test_spending_more_than_the_wallet_has_fails_clearly(wallet: Wallet) -> None:
    with pytest.raises(InsufficientFundsError, match="need"):
        wallet.pay(b"\x51", wallet.balance + 1)


def test_coinbase_spent_before_maturity_is_rejected(node_rpc: NodeRpc, miner: Miner) -> None:
    key = Key.derive("immature")
    spend = KeyPathSpend.for_key(key)
    block = miner.mine(script=spend.output.script_pubkey)[0]
    coin = Wallet(node_rpc, key)
    coin.accept(block.coinbase)
    early = coin.pay(b"\x51", 1_000)
    with pytest.raises(BlockRejectedError):
        miner.mine(txs=[early])
