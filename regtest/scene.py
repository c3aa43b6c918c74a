"""Transactions of several wallets gathered for the next block, mined without the mempool."""

from __future__ import annotations

from collections.abc import Sequence

from regtest.client import NodeRpc
from regtest.mining import Block
from regtest.tx import Tx
from regtest.wallet import Wallet


class Scene:
    """``funder`` pays every fee; the other wallets only hold keys and track the coins paid
    to them (token UTXOs), so a token-carrying coin is never spent as fee money by accident.

    Each transaction is applied to every wallet as it is added, so the next one built
    spends its change; :meth:`mine` puts them in one block via submitblock, which also
    takes what the mempool would refuse (hostile or non-standard transactions).
    """

    def __init__(self, node: NodeRpc, funder: Wallet, holders: Sequence[Wallet]) -> None:
        self.node = node
        self.funder = funder
        self.wallets = (funder, *holders)
        self.pending: list[Tx] = []

    def add(self, *txs: Tx) -> Tx:
        for tx in txs:
            for wallet in self.wallets:
                wallet.accept(tx)
            self.pending.append(tx)
        return txs[-1]

    def mine(self, *, script: bytes | None = None) -> Block:
        txs, self.pending = self.pending, []
        return self.funder.miner.mine(txs=txs, script=script)[0]
