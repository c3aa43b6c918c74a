"""End to end: reorgs of depth 1, 6, 30 and 150 under a following indexer.

Each round puts protocol activity (a transfer, a mint, a deploy) in the first block of a
branch of ``depth`` blocks, lets the indexer follow it, then makes the node switch to a
branch of ``depth + 1`` blocks that spends the same token UTXO elsewhere and deploys the same
ticker in another transaction. While the indexer switches, two pollers look at the index
over and over: one through store read transactions, one through the HTTP API served beside
the follower (as ``rootstate run`` does). Once a look shows a tip off the abandoned branch, no
later look may serve anything of it. Every round ends with the store equal to a fresh index
of the final chain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.context import ApiContext, ApiSettings
from api.server import ServerThread
from indexer.store import Store
from protocol.params import Network
from regtest.address import script_to_address
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.launch import NodeKind
from regtest.mining import Block
from regtest.node import NodeInfo
from regtest.payloads import TokenRef, deploy_open, message, mint, token_of, transfer
from regtest.scene import Scene
from regtest.script import rootstate_op_return
from regtest.tx import Tx, TxOut
from regtest.wallet import Wallet
from tests.regtest.e2e import (
    LocalIndexer,
    balances_at,
    fresh_index,
    module_node,
    outpoint_bytes,
    snapshot,
    ticker_owner,
    token_bytes,
    wait_until,
)

pytestmark = pytest.mark.regtest

DUST = 1_000
PER_MINT = 1_000


@dataclass
class Chain:
    """The module's node, wallets and the indexer that follows it for every round."""

    info: NodeInfo
    node: NodeRpc
    scene: Scene
    alice: Wallet
    bob: Wallet
    token: TokenRef
    indexer: LocalIndexer
    http: httpx.Client


@pytest.fixture(scope="module")
def chain(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    with module_node(node_kind, tmp_path_factory, "e2e-reorg") as regtest:
        node = NodeRpc.connect(regtest.info)
        alice, bob = Wallet(node, Key.derive("reorg-alice")), Wallet(node, Key.derive("reorg-bob"))
        alice.fund(1)
        scene = Scene(node, alice, [bob])
        deploy = scene.add(alice.op_return(message(deploy_open("ROOT", 10**9, PER_MINT, 10**6))))
        scene.mine()
        token = token_of(node, deploy)
        store_dir = tmp_path_factory.mktemp("e2e-reorg-store")
        with LocalIndexer(regtest.info, store_dir) as indexer:
            # The API over the store the follower writes, as `rootstate run` serves it.
            app = create_app(ApiContext(indexer.store, ApiSettings(network=Network.REGTEST)))
            with ServerThread(app) as server, httpx.Client(base_url=server.url) as http:
                indexer.start_following()
                yield Chain(regtest.info, node, scene, alice, bob, token, indexer, http)
        node.close()


@dataclass(frozen=True)
class Branch:
    """What a branch put on chain: the detectors look for these in everything they read."""

    blocks: tuple[bytes, ...]
    txids: frozenset[bytes]
    outpoints: frozenset[bytes]
    token: TokenRef
    ticker: str
    recipient: bytes

    @property
    def block_hashes(self) -> frozenset[bytes]:
        return frozenset(self.blocks)


def _branch(blocks: list[Block], txs: RoundTxs, ticker: str, recipient: bytes) -> Branch:
    """What ``txs``, mined in the first of ``blocks``, put on chain."""
    return Branch(
        blocks=tuple(block.hash for block in blocks),
        txids=frozenset(tx.txid for tx in txs.all),
        outpoints=frozenset(
            outpoint_bytes(tx, v) for tx in txs.all for v in range(len(tx.outputs))
        ),
        token=(blocks[0].height, blocks[0].txs.index(txs.deploy)),
        ticker=ticker,
        recipient=recipient,
    )


@dataclass(frozen=True)
class Observation:
    """One look at the index: the tip it showed first, then what it served of a branch."""

    tip: bytes | None
    found: tuple[str, ...]


def store_probe(store: Store, branch: Branch) -> Observation:
    """Everything of ``branch`` one read transaction of the store serves."""
    with store.read() as view:
        tip = view.tip()
        found = [f"block {h[::-1].hex()}" for h in branch.blocks if view.block_by_hash(h)]
        found += [f"tx {t[::-1].hex()}" for t in branch.txids if view.transaction(t)]
        found += [f"outpoint {o.hex()}" for o in branch.outpoints if view.get(b"\x01" + o)]
        if view.get(b"\x02" + token_bytes(branch.token)) is not None:
            found.append("token")
        if ticker_owner(view, branch.ticker) == token_bytes(branch.token):
            found.append(f"ticker {branch.ticker}")
        if view.script_balances(branch.recipient):
            found.append("recipient balance")
    return Observation(None if tip is None else tip.block_hash, tuple(found))


def api_probe(http: httpx.Client, branch: Branch) -> Observation:
    """Everything of ``branch`` the API serves, asked after it reported its tip."""
    indexed = http.get("/v1/status").json()["indexed"]
    tip = None if indexed is None else bytes.fromhex(indexed["hash"])[::-1]
    found = []
    for block_hash in {branch.blocks[0], branch.blocks[-1]}:
        if http.get(f"/v1/blocks/{block_hash[::-1].hex()}").status_code == 200:
            found.append(f"block {block_hash[::-1].hex()}")
    for txid in branch.txids:
        if http.get(f"/v1/txs/{txid[::-1].hex()}").status_code == 200:
            found.append(f"tx {txid[::-1].hex()}")
    texts = [f"{o[:32][::-1].hex()}:{int.from_bytes(o[32:], 'big')}" for o in branch.outpoints]
    for entry in http.post("/v1/outpoints", json={"outpoints": texts}).json()["outpoints"]:
        if entry["balances"] or entry["authorities"]:
            found.append(f"outpoint {entry['outpoint']}")
    token_text = f"{branch.token[0]}:{branch.token[1]}"
    if http.get(f"/v1/tokens/{token_text}").status_code == 200:
        found.append("token")
    by_ticker = http.get(f"/v1/tokens/{branch.ticker}")
    if by_ticker.status_code == 200 and by_ticker.json()["id"] == token_text:
        found.append(f"ticker {branch.ticker}")
    address = script_to_address(branch.recipient)
    if http.get(f"/v1/addresses/{address}/balances").json()["balances"]:
        found.append("recipient balance")
    return Observation(tip, tuple(found))


@dataclass
class Poller:
    """Runs ``probe`` over and over on a thread, keeping every observation in order."""

    probe: Callable[[], Observation]
    observations: list[Observation] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    error: BaseException | None = None

    def __enter__(self) -> Poller:
        self._thread = threading.Thread(target=self._run, name="poller", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(30)
        if self.error is not None:
            raise AssertionError(f"the poller failed: {self.error!r}") from self.error

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.observations.append(self.probe())
                # Yield the GIL now and then, so the follower switches at its normal pace.
                time.sleep(0.001)
        except BaseException as exc:  # reported by __exit__
            self.error = exc

    def check_never_served(self, abandoned: Branch) -> None:
        """After the first look whose tip is not abandoned, nothing abandoned is served."""
        looks = self.observations
        assert any(o.tip in abandoned.block_hashes and o.found for o in looks), (
            "the probe never saw the abandoned branch before the switch: it proves nothing"
        )
        switched = False
        for number, look in enumerate(looks):
            on_abandoned = look.tip in abandoned.block_hashes
            assert not (switched and on_abandoned), f"look {number}: back on the abandoned tip"
            switched = switched or not on_abandoned
            assert not switched or look.found == (), f"look {number} after the switch: {look}"
        assert switched, "no look after the switch"


@dataclass(frozen=True)
class RoundTxs:
    move: Tx
    mint: Tx
    deploy: Tx
    deploy_first: bool

    @property
    def all(self) -> tuple[Tx, ...]:
        """In block order."""
        if self.deploy_first:
            return (self.deploy, self.move, self.mint)
        return (self.move, self.mint, self.deploy)


def _round_txs(
    chain: Chain,
    coin_tx: Tx,
    *,
    ticker: str,
    recipient: bytes,
    amount: int,
    deploy_first: bool,
) -> RoundTxs:
    """A transfer of bob's coin, a mint and a deploy of ``ticker``, funded by alice; the
    deploy first or last, so the two branches deploy ``ticker`` under different token ids."""
    alice, scene = chain.alice, chain.scene

    def deploy() -> Tx:
        return scene.add(alice.op_return(message(deploy_open(ticker, 100 + amount, 1, 1))))

    first = deploy() if deploy_first else None
    outputs = [
        TxOut(0, rootstate_op_return(message(transfer(chain.token, amount, 2)))),
        TxOut(DUST, chain.bob.p2tr_script),
        TxOut(DUST, recipient),
    ]
    move = scene.add(alice.build(outputs, must_spend=[chain.bob.coins[coin_tx.outpoint(1)]]))
    to_recipient = [TxOut(DUST, recipient)]
    new_mint = scene.add(alice.op_return(message(mint(chain.token)), extra_outputs=to_recipient))
    last = first or deploy()
    scene.pending.clear()
    return RoundTxs(move, new_mint, last, deploy_first)


@pytest.mark.parametrize("depth", [1, 6, 30, 150])
def test_reorg_ends_at_the_fresh_index_state(chain: Chain, depth: int, tmp_path: Path) -> None:
    scene, alice, indexer = chain.scene, chain.alice, chain.indexer
    # Below the fork: a token UTXO for bob that both branches spend.
    to_bob = [TxOut(DUST, chain.bob.p2tr_script)]
    coin_tx = scene.add(alice.op_return(message(mint(chain.token)), extra_outputs=to_bob))
    scene.mine()
    saved = {wallet: dict(wallet.coins) for wallet in scene.wallets}
    ticker = f"GONE{depth}"

    carol = Wallet(chain.node, Key.derive(f"reorg-carol-{depth}")).p2tr_script
    old = _round_txs(chain, coin_tx, ticker=ticker, recipient=carol, amount=10, deploy_first=False)
    old_blocks = alice.miner.mine(txs=old.all)
    if depth > 1:
        old_blocks += alice.miner.mine(depth - 1)
    abandoned = _branch(old_blocks, old, ticker, carol)
    indexer.wait_for(old_blocks[-1].hash_hex)

    # The new branch spends the same coins (wallets rewound), with the deploy at another index.
    for wallet, coins in saved.items():
        wallet.coins = dict(coins)
    dave = Wallet(chain.node, Key.derive(f"reorg-dave-{depth}")).p2tr_script
    new = _round_txs(chain, coin_tx, ticker=ticker, recipient=dave, amount=20, deploy_first=True)
    store_poller = Poller(lambda: store_probe(indexer.store, abandoned))
    api_poller = Poller(lambda: api_probe(chain.http, abandoned))
    with store_poller, api_poller:
        wait_until(lambda: len(api_poller.observations) > 1, 30, "the API poller's first looks")
        new_blocks = alice.miner.reorg(depth, txs=new.all)
        tip = indexer.wait_for(new_blocks[-1].hash_hex)
        # Looks through the API until one reports a tip off the abandoned branch (/v1/status
        # may be up to 100 ms old, so a count of looks alone may all predate the switch).
        looks = len(api_poller.observations)
        wait_until(
            lambda: any(
                o.tip is not None and o.tip not in abandoned.block_hashes
                for o in api_poller.observations[looks:]
            ),
            30,
            "the API's look at the new tip",
        )
    kept = _branch(new_blocks, new, ticker, dave)
    assert kept.token != abandoned.token
    store_poller.check_never_served(abandoned)
    api_poller.check_never_served(abandoned)

    token = token_bytes(chain.token)
    assert store_probe(indexer.store, abandoned).found == ()
    assert sorted(api_probe(chain.http, kept).found) == sorted(
        [f"block {h[::-1].hex()}" for h in {kept.blocks[0], kept.blocks[-1]}]
        + [f"tx {t[::-1].hex()}" for t in kept.txids]
        + [f"outpoint {new.move.txid_hex}:1", f"outpoint {new.move.txid_hex}:2"]
        + [f"outpoint {new.mint.txid_hex}:1", "token", f"ticker {ticker}", "recipient balance"]
    )
    dave_address = script_to_address(dave)
    balances = chain.http.get(f"/v1/addresses/{dave_address}/balances").json()["balances"]
    token_text = f"{chain.token[0]}:{chain.token[1]}"
    assert [(b["token"], b["ticker"], b["amount"]) for b in balances] == [
        (token_text, "ROOT", str(PER_MINT + 20))
    ]
    with indexer.store.read() as view:
        assert ticker_owner(view, ticker) == token_bytes(kept.token)
        assert balances_at(view, new.move, 1) == {token: PER_MINT - 20}
        assert view.script_balances(dave) == [(token, 20 + PER_MINT)]
        last = view.last_reorg()
        assert last is not None and last.depth == depth
        assert set(last.block_hashes) == abandoned.block_hashes
        final = snapshot(view)
    assert final == fresh_index(chain.info, tmp_path, until=tip.height)
