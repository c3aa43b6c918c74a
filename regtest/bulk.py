"""Large, mainnet-like blocks for indexer benchmarks, built fast and accepted by a real node.

Each block is filled to a target size with taproot key-path spends fanned out from
coinbases (1-in-2-out while the coin pool is small, 2-in-1-out once it is large), with
every Nth slot a look-alike inscription (an `ord` envelope, not ours) whose reveal makes
the witness heavy, plus any protocol payloads the caller asks for (OP_RETURN or envelope).
All coins belong to one key; spends sign with libsecp256k1 through `sign_inputs`.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

from protocol.script import push_data
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.mining import COINBASE_MATURITY, MAX_BLOCK_WEIGHT, Block, ChainTip, Miner
from regtest.script import rootstate_op_return
from regtest.spend import Coin, Envelope, KeyPathSpend, sign_inputs
from regtest.tx import OutPoint, Tx, TxIn, TxOut

#: Look-alike envelopes use another protocol's tag, so a scanner must read and reject them.
FILLER_MAGIC_PUSH = push_data(b"ord")
#: Headroom under the consensus weight limit for the coinbase and the last transaction.
_WEIGHT_HEADROOM = 40_000
#: Below this (plus fees) a coin is merged rather than split, so values never reach dust.
_MIN_SPLIT_VALUE = 2_000


class Carrier(StrEnum):
    OP_RETURN = "op_return"
    ENVELOPE = "envelope"


@dataclass(frozen=True)
class Payload:
    carrier: Carrier
    data: bytes


@dataclass(frozen=True)
class BulkConfig:
    #: Serialized bytes per block (mainnet blocks today: ~1.5-2 MB with witnesses).
    target_size: int = 1_000_000
    #: Fee paid by every generated transaction, in satoshis.
    fee: int = 200
    #: Above this many coins in the pool, spends consolidate (2-in-1-out).
    pool_cap: int = 20_000
    #: Every this many transactions, a look-alike inscription commit/reveal pair; 0: none.
    filler_every: int = 25
    #: Bytes carried by each look-alike inscription.
    filler_size: int = 1_200
    #: Value given to each envelope output (payload or filler).
    envelope_value: int = 10_000

    def __post_init__(self) -> None:
        if not 1_000 <= self.target_size <= 3_800_000:
            raise ValueError("target_size must be within 1,000..3,800,000 bytes")
        if self.fee < 0 or self.pool_cap < 2 or self.filler_every < 0:
            raise ValueError("fee must be >= 0, pool_cap >= 2, filler_every >= 0")


@dataclass(frozen=True)
class BulkBlock:
    block: Block
    #: Display txids of the transactions that carry the requested payloads, in order
    #: (for an envelope, the reveal).
    payload_txids: tuple[str, ...]


class BulkBlockFactory:
    """Builds and submits big blocks on `miner`'s node, keeping its own coin pool.

    While one block is validated by the node, the next is built: submissions run on a
    worker thread with its own RPC connection, in order. The factory must be the only
    miner while in use (it tracks the tip itself); call `flush()` before reading the
    chain, and `close()` (or use it as a context manager) when done.
    """

    def __init__(self, miner: Miner, key: Key, config: BulkConfig | None = None) -> None:
        self.miner = miner
        self.key = key
        self.config = config or BulkConfig()
        self._spend = KeyPathSpend.for_key(key)
        self.script_pubkey = self._spend.output.script_pubkey
        self._pool: deque[tuple[OutPoint, int]] = deque()
        self._immature: deque[tuple[int, OutPoint, int]] = deque()
        #: The richest matured coinbase: envelope commits draw on it, so their value never
        #: depends on how finely the pool has been split.
        self._reserve: tuple[OutPoint, int] | None = None
        self._filler_counter = 0
        self._tip: ChainTip | None = None
        self._submitter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="submitblock")
        self._submit_node = NodeRpc(miner.node.rpc.clone())
        self._pending: Future[None] | None = None

    def __enter__(self) -> BulkBlockFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def flush(self) -> None:
        """Wait for the last submitted block; raise if the node rejected it."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._submitter.shutdown(wait=True)
            self._submit_node.close()

    @property
    def pool_size(self) -> int:
        return len(self._pool)

    def bootstrap(self) -> None:
        """Mine COINBASE_MATURITY + 1 small blocks to our key so the first coinbase matures."""
        self.flush()
        for block in self.miner.mine(COINBASE_MATURITY + 1, script=self.script_pubkey):
            self._note_coinbase(block)
            self._tip = ChainTip.of(block)

    def _note_coinbase(self, block: Block) -> None:
        coinbase = block.coinbase
        self._immature.append((block.height, coinbase.outpoint(0), coinbase.outputs[0].value))

    def _mature(self, coin: tuple[OutPoint, int]) -> None:
        reserve = self._reserve
        if reserve is None or coin[1] > reserve[1]:
            self._reserve = coin
            if reserve is not None:
                self._pool.append(reserve)
        else:
            self._pool.append(coin)

    def _coin(self, outpoint: OutPoint, value: int) -> Coin:
        return Coin(outpoint, TxOut(value, self.script_pubkey), self._spend)

    def _take(self) -> tuple[OutPoint, int]:
        if not self._pool:
            raise RuntimeError("coin pool is empty; call bootstrap() first")
        return self._pool.popleft()

    def _sign(
        self,
        spent: Sequence[tuple[OutPoint, int]],
        outputs: Sequence[TxOut],
        *,
        keep_change: bool = True,
    ) -> Tx:
        """Sign a key-path spend of pool coins; with `keep_change`, our outputs join the pool."""
        coins = [self._coin(outpoint, value) for outpoint, value in spent]
        unsigned = Tx(tuple(TxIn(c.outpoint) for c in coins), tuple(outputs))
        tx = sign_inputs(unsigned, coins)
        if keep_change:
            for vout, output in enumerate(tx.outputs):
                if output.script_pubkey == self.script_pubkey:
                    self._pool.append((OutPoint(tx.txid, vout), output.value))
        return tx

    def _plain_spend(self) -> Tx:
        coin = self._take()
        fee = self.config.fee
        small = coin[1] < 8 * fee + _MIN_SPLIT_VALUE
        if self._pool and (small or len(self._pool) > self.config.pool_cap):
            other = self._take()
            return self._sign([coin, other], [self._change(coin[1] + other[1])])
        if small:
            return self._sign([coin], [self._change(coin[1])])
        half = (coin[1] - fee) // 2
        return self._sign([coin], [self._out(half), self._out(coin[1] - fee - half)])

    def _out(self, value: int) -> TxOut:
        return TxOut(value, self.script_pubkey)

    def _change(self, value: int) -> TxOut:
        return self._out(value - self.config.fee)

    def _envelope_pair(self, envelope: Envelope) -> tuple[Tx, Tx]:
        envelope_value = self.config.envelope_value
        reserve = self._reserve
        if reserve is None or reserve[1] < envelope_value + 2 * self.config.fee:
            raise RuntimeError("no coin left to fund envelopes; mine more blocks to this key")
        commit = self._sign(
            [reserve],
            [
                TxOut(envelope_value, envelope.script_pubkey),
                self._change(reserve[1] - envelope_value),
            ],
            keep_change=False,
        )
        self._reserve = (commit.outpoint(1), commit.outputs[1].value)
        coin = envelope.coin(commit.outpoint(0), envelope_value)
        unsigned = Tx((TxIn(coin.outpoint),), (self._change(envelope_value),))
        reveal = sign_inputs(unsigned, [coin])
        self._pool.append((reveal.outpoint(0), reveal.outputs[0].value))
        return commit, reveal

    def _filler_envelope(self) -> tuple[Tx, Tx]:
        self._filler_counter += 1
        seed = self._filler_counter.to_bytes(8, "big")
        data = b"".join(
            hashlib.sha256(seed + i.to_bytes(4, "big")).digest()
            for i in range(-(-self.config.filler_size // 32))
        )[: self.config.filler_size]
        return self._envelope_pair(Envelope.create(self.key, data, magic_push=FILLER_MAGIC_PUSH))

    def _payload_txs(self, payload: Payload) -> tuple[list[Tx], str]:
        if payload.carrier is Carrier.ENVELOPE:
            commit, reveal = self._envelope_pair(Envelope.create(self.key, payload.data))
            return [commit, reveal], reveal.txid_hex
        outpoint, value = self._take()
        tx = self._sign(
            [(outpoint, value)], [TxOut(0, rootstate_op_return(payload.data)), self._change(value)]
        )
        return [tx], tx.txid_hex

    def next_block(self, payloads: Sequence[Payload] = ()) -> BulkBlock:
        """Build, submit and return one big block on the current tip."""
        tip = self._tip or self.miner.tip()
        height = tip.height + 1
        while self._immature and self._immature[0][0] + COINBASE_MATURITY <= height:
            _, outpoint, value = self._immature.popleft()
            self._mature((outpoint, value))
        txs: list[Tx] = []
        payload_txids = []
        for payload in payloads:
            made, txid = self._payload_txs(payload)
            txs += made
            payload_txids.append(txid)
        size = sum(len(tx.serialize()) for tx in txs)
        weight = sum(tx.weight for tx in txs)
        weight_limit = MAX_BLOCK_WEIGHT - _WEIGHT_HEADROOM
        every = self.config.filler_every
        while size < self.config.target_size and weight < weight_limit:
            use_filler = every and len(txs) % every == every - 1
            made = list(self._filler_envelope()) if use_filler else [self._plain_spend()]
            txs += made
            size += sum(len(tx.serialize()) for tx in made)
            weight += sum(tx.weight for tx in made)
        block = self.miner.build_on(tip, txs, script=self.script_pubkey)
        self.flush()
        self._pending = self._submitter.submit(
            self._submit_node.submit_block, block.hash_hex, block.serialize()
        )
        self._note_coinbase(block)
        self._tip = ChainTip.of(block)
        return BulkBlock(block, tuple(payload_txids))
