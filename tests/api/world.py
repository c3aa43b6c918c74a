"""A small protocol history in a real LMDB store, built from real transactions.

Blocks are applied by the protocol machine to the store (as the follow loop does), so the
API reads exactly what the indexer writes. The expected figures in the tests are worked out
by hand from the history below, never read back from the code under test:

height 1  A deploys ROOT (1:1): open mint, 1,000 per mint, cap 10, max 1,000,000, 2 decimals
height 2  B mints ROOT to ALICE (B:1); C mints ROOT to BOB (C:1)
height 3  D deploys ISSU (3:1): issuer token, max 10,000, premine 500 to ALICE (D:1),
          authority to ALICE (D:2)
          E spends B:1 and transfers 300 ROOT to BOB (E:2); 700 stay with ALICE (E:1)
height 4  F spends C:1 and burns 100 ROOT; 900 go to BOB (F:1)
          G transfers an unknown token: rejected (unknown_token), spends nothing
          H spends E:2 without a message: 300 ROOT move to CAROL (H:0)

After it: ROOT minted 2,000, burned 100, supply 1,900, holders ALICE 700, BOB 900, CAROL 300;
ISSU minted 500, one holder (ALICE), authority D:2.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity, StoreConfig
from protocol.contracts import v1_machine
from protocol.machine import Machine
from protocol.params import PROTOCOL_VERSION, Network
from protocol.tx import Transaction
from regtest.address import script_to_address
from tests.protocol.builders import (
    burn,
    coin,
    coinbase,
    make_tx,
    message_tx,
    mint,
    spend,
    spendable,
    transfer,
)
from tests.vectorgen.payloads import deploy, message, terms

IDENTITY = ChainIdentity(
    Network.REGTEST, 1, PROTOCOL_VERSION, hashlib.sha256(b"api tests genesis").digest()
)
ALICE, BOB, CAROL, DAVE = (spendable(n) for n in (1, 2, 3, 4))
#: A P2WPKH script (witness v0, so its address is bech32 rather than bech32m).
ERIN = b"\x00\x14" + bytes(range(20))
ROOT, ISSU = "1:1", "3:1"


def address(script: bytes) -> str:
    """The regtest address, by the regtest harness's own bech32 code (not the API's)."""
    return script_to_address(script)


def block_hash(height: int) -> bytes:
    return hashlib.sha256(b"api block %d" % height).digest()


def display(txid: bytes) -> str:
    return txid[::-1].hex()


def point(tx: Transaction, vout: int) -> str:
    return f"{display(tx.txid)}:{vout}"


@dataclass
class StoreChain:
    """Applies blocks of real transactions to a real store through the v1 machine."""

    store: Store
    machine: Machine = field(default_factory=v1_machine)
    height: int = 0

    def block(self, *txs: Transaction, block_id: bytes | None = None) -> None:
        self.height += 1
        block = [(0, coinbase(self.height)), *((i + 1, tx) for i, tx in enumerate(txs))]
        tip = self.store.tip()
        previous = bytes(32) if tip is None else tip.state_hash
        with self.store.read() as view:
            effects = self.machine.apply_block(
                view, previous, self.height, block_id or block_hash(self.height), block
            )
        self.store.apply_block(effects, [tx for _, tx in block])


@dataclass
class World:
    path: Path
    store: Store
    chain: StoreChain
    txs: dict[str, Transaction]


def small_store(path: Path) -> Store:
    return open_store(StoreConfig(path, undo_depth=10, initial_map_size=1 << 22), IDENTITY)


def build_world(path: Path) -> World:
    store = small_store(path)
    chain = StoreChain(store)
    txs: dict[str, Transaction] = {}
    op = deploy("ROOT", 1_000_000, decimals=2, mint_terms=terms(1_000, 10))
    txs["A"] = message_tx(message(op), [coin(1)], [DAVE])
    chain.block(txs["A"])
    txs["B"] = message_tx(message(mint((1, 1))), [coin(2)], [ALICE])
    txs["C"] = message_tx(message(mint((1, 1))), [coin(3)], [BOB])
    chain.block(txs["B"], txs["C"])
    issue = deploy("ISSU", 10_000, authority=2, premine=500)
    txs["D"] = message_tx(message(issue), [coin(4)], [ALICE, ALICE])
    txs["E"] = message_tx(message(transfer((1, 1), 300, 2)), [spend(txs["B"], 1)], [ALICE, BOB])
    chain.block(txs["D"], txs["E"])
    txs["F"] = message_tx(message(burn((1, 1), 100)), [spend(txs["C"], 1)], [BOB])
    txs["G"] = message_tx(message(transfer((99, 1), 5, 1)), [coin(5)], [DAVE])
    txs["H"] = make_tx([spend(txs["E"], 2)], [CAROL])
    chain.block(txs["F"], txs["G"], txs["H"])
    return World(path, store, chain, txs)
