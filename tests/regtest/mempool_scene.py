"""A node with a token, an indexer following it and the pending view over its store.

Shared by the pending-view tests (tests/regtest/test_mempool*.py). Bitcoin Core runs with
``-zmqpubsequence`` so its view is fed by notifications; btcd's view polls. Bob holds
minted tokens on a few UTXOs that the tests spend through the node's mempool; alice pays
the fees.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer.mempool_service import MempoolService
from indexer.mempool_state import Entry
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.node import NodeConfig, RegtestNode, free_loopback_ports
from regtest.payloads import TokenRef, deploy_open, message, mint, token_of, transfer
from regtest.script import rootstate_op_return
from regtest.spend import Coin
from regtest.tx import Tx, TxOut
from regtest.wallet import Wallet, WalletConfig
from tests.regtest.e2e import LocalIndexer, wait_until

#: (kind, txid, replacing txid, eviction reason) of one notice of the view.
Notice = tuple[str, bytes, bytes | None, str | None]
DUST = 1_000
PER_MINT = 1_000
MINTS = 6
FEE_COINS = 20


@dataclass
class Scene:
    kind: NodeKind
    regtest: RegtestNode
    node: NodeRpc
    alice: Wallet
    bob: Wallet
    carol: Wallet
    token: TokenRef
    indexer: LocalIndexer
    service: MempoolService
    zmq_url: str | None

    @property
    def wallets(self) -> tuple[Wallet, ...]:
        return self.alice, self.bob, self.carol

    def usable(self, wallet: Wallet) -> list[Coin]:
        """``wallet``'s coins that are confirmed and spent neither on chain nor in the
        mempool (a replaced or evicted transaction leaves stale coins in the wallet)."""
        pool = set(self.node.mempool_txids())
        return [
            coin
            for coin in wallet.coins.values()
            if coin.outpoint.txid_hex not in pool
            and self.node.call("gettxout", coin.outpoint.txid_hex, coin.outpoint.vout, True)
            is not None
        ]

    def token_coins(self) -> list[Coin]:
        """Bob's confirmed token UTXOs not spent anywhere yet."""
        return [coin for coin in self.usable(self.bob) if coin.output.value == DUST]

    def node_mempool(self) -> list[Tx]:
        return [self.node.get_raw_transaction(t) for t in self.node.mempool_txids()]

    def transfer(
        self, coin: Coin, amount: int, *, fee_rate: int = 2, to: Wallet | None = None
    ) -> Tx:
        """Move ``amount`` of the token from ``coin`` to output 2 (carol's, unless ``to``);
        the rest settles on output 1 (bob's). Alice pays the fee from confirmed coins."""
        payer = Wallet(self.node, self.alice.key, WalletConfig(fee_rate=fee_rate))
        usable = {c.outpoint for c in self.usable(self.alice)}
        payer.coins = dict(self.alice.coins)
        outputs = [
            TxOut(0, rootstate_op_return(message(transfer(self.token, amount, 2)))),
            TxOut(DUST, self.bob.p2tr_script),
            TxOut(DUST, (to or self.carol).p2tr_script),
        ]
        stale = [op for op in payer.coins if op not in usable]
        return payer.build(outputs, must_spend=[coin], exclude=stale)

    def broadcast(self, tx: Tx) -> str:
        txid = self.node.send_raw_transaction(tx)
        for wallet in self.wallets:
            wallet.accept(tx)
        return txid

    def entry(self, tx: Tx) -> Entry | None:
        with self.service.layer.reading() as state:
            return state.entries.get(tx.txid)

    def wait_entry(self, tx: Tx, timeout: float = 30.0) -> Entry:
        wait_until(lambda: self.entry(tx) is not None, timeout, f"{tx.txid_hex} pending")
        entry = self.entry(tx)
        assert entry is not None
        return entry

    def wait_gone(self, tx: Tx, timeout: float = 30.0) -> None:
        wait_until(lambda: self.entry(tx) is None, timeout, f"{tx.txid_hex} out of the view")

    def notices(self, since: int) -> list[Notice]:
        found, _ = self.service.layer.notices_after(since)
        return [(n.kind, n.txid, n.by, n.reason) for n in found]

    def wait_notice(self, since: int, want: Notice, what: str) -> None:
        wait_until(lambda: want in self.notices(since), 30.0, what)

    def mine(self, txs: list[Tx] | None = None, *, mempool: bool = True) -> str:
        """A block with the mempool (and ``txs``); waits until indexed and the view moved."""
        before = self.service.layer.rebuilds
        if mempool:
            block = self.alice.mine(txs or [])[0]
        else:
            for tx in txs or []:
                for wallet in self.wallets:
                    wallet.accept(tx)
            block = self.alice.miner.mine(txs=txs or [])[0]
        self.indexer.wait_for(block.hash_hex)
        wait_until(lambda: self.service.layer.rebuilds > before, 30.0, "the view rebuilt")
        return block.hash_hex


def _node_config(
    kind: NodeKind, workdir: Path, core_args: tuple[str, ...]
) -> tuple[NodeConfig, str | None]:
    if kind is NodeKind.BTCD:
        return NodeConfig(kind, workdir=workdir), None
    (port,) = free_loopback_ports(1)
    url = f"tcp://127.0.0.1:{port}"
    args = (f"-zmqpubsequence={url}", *core_args)
    return NodeConfig(kind, workdir=workdir, extra_args=args), url


@contextmanager
def mempool_scene(
    kind: NodeKind,
    tmp: pytest.TempPathFactory,
    name: str,
    *,
    core_args: tuple[str, ...] = (),
    fee_coins: int = FEE_COINS,
) -> Iterator[Scene]:
    """``core_args``: more bitcoind options; ``fee_coins``: confirmed coins alice pays from."""
    config, zmq_url = _node_config(kind, tmp.mktemp(f"{name}-node"), core_args)
    regtest = RegtestNode(config)
    regtest.start()
    try:
        node = NodeRpc.connect(regtest.info)
        alice, bob, carol = (Wallet(node, Key.derive(f"{name}-{who}")) for who in "abc")
        alice.fund(2)
        deploy = alice.op_return(message(deploy_open("PEND", 10**9, PER_MINT, 10**6)))
        alice.mine([deploy])
        token = token_of(node, deploy)
        for _ in range(MINTS):
            minted = alice.op_return(
                message(mint(token)), extra_outputs=[TxOut(DUST, bob.p2tr_script)]
            )
            bob.accept(minted)
            alice.broadcast(minted)
        # Many confirmed fee coins: a test's fee never depends on a pending change output.
        alice.broadcast(alice.build([TxOut(10**7, alice.p2tr_script)] * fee_coins))
        alice.mine()
        with LocalIndexer(
            regtest.info, tmp.mktemp(f"{name}-store"), zmq_sequence_url=zmq_url
        ) as indexer:
            indexer.catch_up()
            indexer.start_following()
            service = MempoolService(indexer.config, indexer.store)
            service.start()
            try:
                yield Scene(
                    kind, regtest, node, alice, bob, carol, token, indexer, service, zmq_url
                )
            finally:
                service.close()
        node.close()
    finally:
        regtest.stop()
