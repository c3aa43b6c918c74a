"""A real LMDB store fed by the protocol test chain, with a mempool layer over it.

Blocks are built by tests.protocol.builders' Chain (the machine over a MemoryState) and
applied to a store in a temporary directory, so the layer reads a real store snapshot as
it does beside a node. Pending transactions are real serialized transactions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from indexer.mempool_layer import MempoolLayer
from indexer.mempool_state import MempoolTx
from indexer.store import Store, open_store
from indexer.store_config import ChainIdentity
from protocol.contracts import v1_machine
from protocol.params import PROTOCOL_VERSION, Network
from protocol.tx import Transaction, parse_transaction
from tests.indexer.store_chain import small_config
from tests.protocol.builders import Chain, In, op_return_script, serialize_tx, spendable

FIRST = 100
IDENTITY = ChainIdentity(
    network=Network.REGTEST,
    activation_height=FIRST,
    protocol_version=PROTOCOL_VERSION,
    genesis_hash=hashlib.sha256(b"mempool test genesis").digest(),
)


def pending(
    inputs: Sequence[In],
    outputs: Sequence[bytes] = (),
    payload: bytes | None = None,
    *,
    fee: int = 1_000,
    lock_time: int = 0,
) -> MempoolTx:
    """A mempool transaction: ``payload`` (if any) in an OP_RETURN at output 0."""
    scripts = list(outputs) or [spendable()]
    if payload is not None:
        scripts.insert(0, op_return_script(payload))
    raw = serialize_tx(inputs, scripts, lock_time)
    return MempoolTx(raw, parse_transaction(raw), fee, len(raw))


class World:
    """Chain + store + layer; :meth:`block` confirms transactions in both."""

    def __init__(self, path: Path, max_bytes: int = 256 << 20) -> None:
        self.chain = Chain(first_height=FIRST)
        self.store: Store = open_store(small_config(path, undo_depth=20), IDENTITY)
        self.layer = MempoolLayer(v1_machine(), max_bytes)

    def block(self, *txs: Transaction) -> None:
        effects = self.chain.block(*txs)
        self.store.apply_block(effects, txs)

    def undo_block(self) -> None:
        self.chain.undo_last()
        tip = self.store.tip()
        assert tip is not None
        self.store.rollback_to(tip.height - 1)

    def update(self, added: Sequence[MempoolTx] = (), removed: Sequence[bytes] = ()) -> None:
        with self.store.read() as view:
            tip = view.tip()
            self.layer.update(
                view, None if tip is None else (tip.height, tip.block_hash), added, removed
            )

    def close(self) -> None:
        self.store.close()
