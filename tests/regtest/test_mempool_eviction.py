"""Bitcoin Core evicting a pending protocol transaction when its mempool is full.

The node runs with ``-maxmempool=5`` (the smallest Core accepts). A token transfer at
2 sat/vB enters the view; then large transactions (a ~90 KB OP_RETURN each) at 20 sat/vB
fill the mempool until Core evicts its lowest fee-rate package, the transfer. Core
announces the removal with ``R`` (it says no reason), so the view reports ``evicted`` with
reason ``removed``. btcd has no size limit that evicts, so this runs on Core alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from regtest.launch import NodeKind
from regtest.rpc import RpcError
from regtest.tx import TxOut
from regtest.wallet import Wallet, WalletConfig
from tests.regtest.e2e import wait_until
from tests.regtest.mempool_scene import Scene, mempool_scene

# btcd's mempool has no size limit that evicts transactions.
pytestmark = [pytest.mark.regtest, pytest.mark.core_only]

FILLERS = 90
FILLER_BYTES = 90_000


@pytest.fixture(scope="module")
def scene(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    with mempool_scene(
        node_kind,
        tmp_path_factory,
        "mempool-evict",
        core_args=("-maxmempool=5",),
        fee_coins=FILLERS + 5,
    ) as built:
        yield built


def test_core_evicts_the_cheapest_and_the_view_follows(scene: Scene) -> None:
    cheap = scene.transfer(scene.token_coins()[0], 5, fee_rate=2)
    scene.broadcast(cheap)
    scene.wait_entry(cheap)
    since = scene.service.layer.notice_seq
    payer = Wallet(scene.node, scene.alice.key, WalletConfig(fee_rate=20))
    coins = [c for c in scene.usable(scene.alice) if c.output.value == 10**7]
    filler_script = b"\x6a\x4e" + FILLER_BYTES.to_bytes(4, "little") + bytes(FILLER_BYTES)
    for coin in coins[:FILLERS]:
        payer.coins = {coin.outpoint: coin}
        try:
            scene.node.send_raw_transaction(payer.build([TxOut(0, filler_script)]))
        except RpcError as exc:
            # Full of fillers at one fee rate: the newest may be the one trimmed, or the
            # minimum fee rose past it. Either way the transfer went before.
            assert "mempool" in exc.message, exc
            break
        if cheap.txid_hex not in scene.node.mempool_txids():
            break
    wait_until(lambda: scene.entry(cheap) is None, 30.0, "the transfer evicted from the view")
    assert cheap.txid_hex not in scene.node.mempool_txids()
    assert ("evicted", cheap.txid, None, "removed") in scene.notices(since)
