"""The feed's pure parts and the pending view's settings: dependency order of a batch of
arrivals, fees from both nodes' entry formats, and validation of the mempool settings."""

from __future__ import annotations

import pytest

from indexer.config import ConfigError, load_config
from indexer.mempool_feed import dependency_order, fee_and_vsize
from tests.protocol.builders import In, coin, make_tx, spendable

CREDENTIALS = {"ROOTSTATE_RPC_USER": "u", "ROOTSTATE_RPC_PASSWORD": "p"}


def test_children_come_after_their_parents_whatever_the_listing_order() -> None:
    parent = make_tx([coin(1)], [spendable(1), spendable(2)])
    child = make_tx([In(parent.txid, 0)], [spendable(3)])
    grandchild = make_tx([In(child.txid, 0), In(parent.txid, 1)], [spendable(4)])
    other = make_tx([coin(2)], [spendable(5)])
    ordered = dependency_order([grandchild, other, child, parent])
    ids = [tx.txid for tx in ordered]
    assert ids.index(parent.txid) < ids.index(child.txid) < ids.index(grandchild.txid)
    assert sorted(ids) == sorted(tx.txid for tx in (parent, child, grandchild, other))


def test_fees_from_core_and_btcd_entries() -> None:
    core = {"vsize": 141, "fees": {"base": 0.00000282, "modified": 0.00000282}}
    assert fee_and_vsize(core, b"x" * 200) == (282, 141)
    btcd = {"size": 200, "vsize": 150, "fee": 0.0001}  # getrawmempool true, per txid
    assert fee_and_vsize(btcd, b"x" * 200) == (10_000, 150)
    assert fee_and_vsize(None, b"x" * 200) == (None, 200)  # unknown: the lowest fee rate


def test_mempool_settings_are_validated() -> None:
    config = load_config(environ=CREDENTIALS)
    assert (config.mempool, config.mempool_max_bytes, config.zmq_sequence_url) == (
        True,
        256 << 20,
        None,
    )
    off = load_config(environ={**CREDENTIALS, "ROOTSTATE_MEMPOOL": "false"})
    assert off.mempool is False
    with pytest.raises(ConfigError, match="mempool='sometimes'"):
        load_config(environ={**CREDENTIALS, "ROOTSTATE_MEMPOOL": "sometimes"})
    with pytest.raises(ConfigError, match="mempool_max_bytes"):
        load_config(flags={"mempool_max_bytes": 1000}, environ=CREDENTIALS)
    with pytest.raises(ConfigError, match="zmq_sequence_url"):
        load_config(flags={"zmq_sequence_url": "ipc:///tmp/x"}, environ=CREDENTIALS)
