"""Build and submit blocks without the node's wallet or miner, so btcd and bitcoind behave alike.

Blocks get a BIP34 height coinbase, a BIP141 witness commitment when any transaction has a
witness, a merkle root, and a nonce ground against regtest's trivial target.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from indexer.block_check import merkle_root
from protocol.script import push_data
from protocol.tx import compact_size, read_compact_size
from regtest.client import NodeRpc
from regtest.hashing import sha256d
from regtest.rpc import RpcError
from regtest.script import push_int
from regtest.tx import (
    COINBASE_PREVOUT,
    SEQUENCE_FINAL,
    Tx,
    TxIn,
    TxOut,
    parse_tx,
)

REGTEST_BITS = 0x207FFFFF
#: BIP9 top bits, no deployment signalled: nothing on btcd or bitcoind regtest needs signals.
BLOCK_VERSION = 0x20000000
COIN = 100_000_000
REGTEST_HALVING_INTERVAL = 150
WITNESS_RESERVED_VALUE = bytes(32)
WITNESS_COMMITMENT_HEADER = b"\x6a\x24\xaa\x21\xa9\xed"
MAX_BLOCK_WEIGHT = 4_000_000
#: A coinbase output can be spent in a block at least this many blocks above it.
COINBASE_MATURITY = 100

_HEADER = struct.Struct("<i32s32sIII")
_NONCE = struct.Struct("<I")


def block_subsidy(height: int, halving_interval: int = REGTEST_HALVING_INTERVAL) -> int:
    halvings = height // halving_interval
    return 0 if halvings >= 64 else (50 * COIN) >> halvings


def bits_to_target(bits: int) -> int:
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    return mantissa << (8 * (exponent - 3)) if exponent > 3 else mantissa >> (8 * (3 - exponent))


def witness_commitment(txs: Sequence[Tx], reserved: bytes = WITNESS_RESERVED_VALUE) -> bytes:
    """BIP141 commitment over the wtxids of `txs`, which exclude the coinbase (wtxid 0)."""
    root = merkle_root([bytes(32), *(tx.wtxid for tx in txs)])
    return sha256d(root + reserved)


def coinbase_height(script_sig: bytes) -> int:
    """The BIP34 height at the start of a coinbase scriptSig."""
    opcode = script_sig[0]
    if opcode == 0:
        return 0
    if 0x51 <= opcode <= 0x60:
        return opcode - 0x50
    if not 1 <= opcode <= 8 or len(script_sig) < 1 + opcode:
        raise ValueError(f"coinbase scriptSig {script_sig[:10].hex()} does not start with a height")
    value = int.from_bytes(script_sig[1 : 1 + opcode], "little")
    if value >> (8 * opcode - 1):
        raise ValueError("negative coinbase height")
    return value


def build_coinbase(
    height: int,
    script_pubkey: bytes,
    value: int,
    *,
    extra_nonce: bytes = b"",
    commitment: bytes | None = None,
) -> Tx:
    # BIP34 wants the height first; the extra push makes the script >= 2 bytes and keeps
    # coinbases of competing branches at the same height distinct.
    script_sig = push_int(height) + push_data(extra_nonce or b"rootstate")
    if len(script_sig) > 100:
        raise ValueError("coinbase scriptSig is limited to 100 bytes")
    outputs = [TxOut(value, script_pubkey)]
    witness: tuple[bytes, ...] = ()
    if commitment is not None:
        outputs.append(TxOut(0, WITNESS_COMMITMENT_HEADER + commitment))
        witness = (WITNESS_RESERVED_VALUE,)
    coinbase_in = TxIn(COINBASE_PREVOUT, script_sig, SEQUENCE_FINAL, witness)
    return Tx((coinbase_in,), tuple(outputs), version=2, locktime=0)


@dataclass(frozen=True)
class Block:
    header: bytes
    txs: tuple[Tx, ...]
    height: int

    @cached_property
    def hash(self) -> bytes:
        return sha256d(self.header)

    @property
    def hash_hex(self) -> str:
        return self.hash[::-1].hex()

    @property
    def prev_hash_hex(self) -> str:
        return self.header[4:36][::-1].hex()

    @property
    def time(self) -> int:
        return int(_HEADER.unpack(self.header)[3])

    @property
    def coinbase(self) -> Tx:
        return self.txs[0]

    def serialize(self) -> bytes:
        count = compact_size(len(self.txs))
        return b"".join([self.header, count, *(tx.serialize() for tx in self.txs)])

    @property
    def weight(self) -> int:
        return 80 * 4 + len(compact_size(len(self.txs))) * 4 + sum(t.weight for t in self.txs)


def assemble_block(
    prev_hash: bytes,
    height: int,
    block_time: int,
    txs: Sequence[Tx],
    coinbase_script: bytes,
    *,
    fees: int = 0,
    extra_nonce: bytes = b"",
    bits: int = REGTEST_BITS,
    version: int = BLOCK_VERSION,
) -> Block:
    """A solved block on top of `prev_hash` (internal byte order) holding `txs` after a coinbase.

    `fees` is what the coinbase may claim beyond the subsidy; claiming less is always valid.
    """
    commitment = witness_commitment(txs) if any(tx.has_witness for tx in txs) else None
    coinbase = build_coinbase(
        height,
        coinbase_script,
        block_subsidy(height) + fees,
        extra_nonce=extra_nonce,
        commitment=commitment,
    )
    all_txs = (coinbase, *txs)
    root = merkle_root([tx.txid for tx in all_txs])
    target = bits_to_target(bits)
    prefix = _HEADER.pack(version, prev_hash, root, block_time, bits, 0)[:76]
    for nonce in range(1 << 32):
        header = prefix + _NONCE.pack(nonce)
        if int.from_bytes(sha256d(header), "little") <= target:
            return Block(header, all_txs, height)
    raise RuntimeError("no nonce meets the target; change the time or extra nonce")


@dataclass(frozen=True)
class ChainTip:
    """A block to build on: display-order hash, height and header time."""

    hash_hex: str
    height: int
    time: int

    @classmethod
    def of(cls, block: Block) -> ChainTip:
        return cls(block.hash_hex, block.height, block.time)


class Miner:
    """Mines blocks on a node by building them here and calling submitblock."""

    def __init__(self, node: NodeRpc, default_script: bytes) -> None:
        self.node = node
        self.default_script = default_script
        self._extra_nonce = 0

    def _next_extra_nonce(self) -> bytes:
        self._extra_nonce += 1
        return self._extra_nonce.to_bytes(8, "little")

    def block_at(self, block_hash: str) -> ChainTip:
        try:
            header = self.node.header(block_hash)
        except RpcError:
            # btcd answers getblockheader for main-chain blocks only; read side blocks whole.
            raw = bytes.fromhex(self.node.block_hex(block_hash))
            _, tx_start = read_compact_size(raw, 80)
            coinbase, _ = parse_tx(raw, tx_start)
            height = coinbase_height(coinbase.inputs[0].script_sig)
            return ChainTip(block_hash, height, _HEADER.unpack_from(raw)[3])
        return ChainTip(block_hash, int(header["height"]), int(header["time"]))

    def tip(self) -> ChainTip:
        return self.block_at(self.node.best_block_hash())

    def build_on(
        self,
        parent: ChainTip,
        txs: Sequence[Tx] = (),
        *,
        script: bytes | None = None,
        fees: int = 0,
    ) -> Block:
        # Strictly increasing times stay above the median of the last 11 blocks; tying to
        # the wall clock keeps them below bitcoind's two-hour future limit in long runs.
        block_time = max(int(time.time()), parent.time + 1)
        return assemble_block(
            bytes.fromhex(parent.hash_hex)[::-1],
            parent.height + 1,
            block_time,
            txs,
            self.default_script if script is None else script,
            fees=fees,
            extra_nonce=self._next_extra_nonce(),
        )

    def mempool_txs(self) -> list[Tx]:
        """The node's mempool, parents before children, as a block must order them."""
        pending = {txid: self.node.get_raw_transaction(txid) for txid in self.node.mempool_txids()}
        ordered: list[Tx] = []
        placed: set[str] = set()
        for txid in sorted(pending):
            stack = [txid]
            while stack:
                current = stack[-1]
                if current in placed:
                    stack.pop()
                    continue
                parents = [
                    p
                    for p in (txin.prevout.txid_hex for txin in pending[current].inputs)
                    if p in pending and p not in placed
                ]
                if parents:
                    stack.extend(parents)
                    continue
                placed.add(current)
                ordered.append(pending[current])
                stack.pop()
        return ordered

    def submit(self, block: Block) -> None:
        self.node.submit_block(block.hash_hex, block.serialize())

    def mine(
        self,
        count: int = 1,
        *,
        script: bytes | None = None,
        txs: Sequence[Tx] = (),
        fees: int = 0,
        parent: str | None = None,
        include_mempool: bool = False,
    ) -> list[Block]:
        """Mine `count` blocks on the tip (or on `parent`); `txs` go into the first one.

        With `include_mempool`, the node's mempool goes into the first block before `txs`
        (a transaction in both is included once).
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        if include_mempool:
            pool = self.mempool_txs()
            ours = {tx.txid for tx in txs}
            txs = [*(tx for tx in pool if tx.txid not in ours), *txs]
        at = self.tip() if parent is None else self.block_at(parent)
        blocks = []
        for i in range(count):
            first = i == 0
            block = self.build_on(
                at, txs if first else (), script=script, fees=fees if first else 0
            )
            self.submit(block)
            blocks.append(block)
            at = ChainTip.of(block)
        return blocks

    def reorg(
        self, depth: int, *, script: bytes | None = None, txs: Sequence[Tx] = ()
    ) -> list[Block]:
        """Replace the top `depth` blocks with a branch of `depth + 1` blocks.

        The branch forks from the block `depth` below the tip; `txs` go in its first block.
        Returns the new branch; raises if the node did not switch to it.
        """
        if depth < 1:
            raise ValueError("a reorg replaces at least one block")
        tip = self.tip()
        if depth > tip.height:
            raise ValueError(f"cannot reorg {depth} blocks on a chain of height {tip.height}")
        fork = self.node.block_hash(tip.height - depth)
        branch = self.mine(depth + 1, script=script, txs=txs, parent=fork)
        best = self.node.best_block_hash()
        if best != branch[-1].hash_hex:
            raise RuntimeError(
                f"node kept tip {best} instead of switching to {branch[-1].hash_hex}"
            )
        return branch
