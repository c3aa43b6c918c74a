"""A minimal deterministic wallet over a regtest node: the client API tests and demos use.

It holds one key, receives to that key's P2TR (key path) and P2WPKH outputs, funds itself
from coinbases it mines, builds and signs transactions (payments, OP_RETURN carriers,
envelope commit/reveal pairs), and broadcasts them. Building never changes the wallet;
`accept` (called by `broadcast`) applies a transaction to the coin set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from protocol.taproot import TaprootOutput
from regtest.address import REGTEST_HRP, script_to_address
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.mining import COINBASE_MATURITY, Block, Miner
from regtest.script import p2wpkh_script, rootstate_op_return
from regtest.spend import Coin, Envelope, KeyPathSpend, P2wpkhSpend, Spend, sign_inputs
from regtest.tx import OutPoint, Tx, TxIn, TxOut

#: Smallest change output worth creating (P2TR dust threshold at the default relay fee).
DUST_LIMIT = 330
#: Burn script for maturity blocks, so they never look like wallet funds.
MATURITY_BURN_SCRIPT = b"\x6a\x08maturity"


class InsufficientFundsError(Exception):
    pass


@dataclass(frozen=True)
class WalletConfig:
    hrp: str = REGTEST_HRP
    #: sat/vB; bitcoind and btcd relay at >= 1 sat/vB.
    fee_rate: int = 2
    #: Value sent to an envelope's commit output; the reveal pays it on minus its fee.
    envelope_value: int = 20_000

    def __post_init__(self) -> None:
        if self.fee_rate < 1:
            raise ValueError("fee_rate must be at least 1 sat/vB to relay")
        if self.envelope_value <= DUST_LIMIT:
            raise ValueError(f"envelope_value must exceed the dust limit ({DUST_LIMIT})")


class Wallet:
    def __init__(self, node: NodeRpc, key: Key, config: WalletConfig | None = None) -> None:
        self.node = node
        self.key = key
        self.config = config or WalletConfig()
        self.taproot = TaprootOutput.create(key.xonly)
        self._spends: dict[bytes, Spend] = {
            self.taproot.script_pubkey: KeyPathSpend.for_key(key, self.taproot),
            p2wpkh_script(key.pubkey): P2wpkhSpend(key),
        }
        self.coins: dict[OutPoint, Coin] = {}
        self.miner = Miner(node, self.p2tr_script)

    @property
    def p2tr_script(self) -> bytes:
        return self.taproot.script_pubkey

    @property
    def p2wpkh_script(self) -> bytes:
        return p2wpkh_script(self.key.pubkey)

    @property
    def p2tr_address(self) -> str:
        return script_to_address(self.p2tr_script, self.config.hrp)

    @property
    def p2wpkh_address(self) -> str:
        return script_to_address(self.p2wpkh_script, self.config.hrp)

    @property
    def balance(self) -> int:
        return sum(coin.value for coin in self.coins.values())

    def fund(self, blocks: int = 1, *, script: bytes | None = None) -> list[Block]:
        """Mine `blocks` coinbases to this wallet, then enough blocks to make them spendable."""
        mined = self.miner.mine(blocks, script=script or self.p2tr_script)
        self.miner.mine(COINBASE_MATURITY, script=MATURITY_BURN_SCRIPT)
        for block in mined:
            self.accept(block.coinbase)
        return mined

    def accept(self, tx: Tx) -> None:
        """Apply `tx`: forget the coins it spends, remember the outputs that pay us."""
        for txin in tx.inputs:
            self.coins.pop(txin.prevout, None)
        for vout, output in enumerate(tx.outputs):
            spend = self._spends.get(output.script_pubkey)
            if spend is not None:
                outpoint = OutPoint(tx.txid, vout)
                self.coins[outpoint] = Coin(outpoint, output, spend)

    def broadcast(self, tx: Tx) -> str:
        txid = self.node.send_raw_transaction(tx)
        self.accept(tx)
        return txid

    def mine(self, txs: Sequence[Tx] = (), blocks: int = 1) -> list[Block]:
        """Mine the mempool plus `txs` (accepted here if not yet) via submitblock."""
        for tx in txs:
            self.accept(tx)
        return self.miner.mine(blocks, txs=txs, include_mempool=True)

    def build(
        self,
        outputs: Sequence[TxOut],
        *,
        must_spend: Sequence[Coin] = (),
        annexes: Mapping[int, bytes] | None = None,
        exclude: Sequence[OutPoint] = (),
    ) -> Tx:
        """A signed transaction paying `outputs`, change back to our P2TR output.

        `must_spend` coins come first (e.g. an envelope to reveal); wallet coins are added,
        largest first, until the outputs and the fee at `fee_rate` are covered.
        """
        chosen = list(must_spend)
        skip = set(exclude) | {coin.outpoint for coin in chosen}
        pool = sorted(
            (c for c in self.coins.values() if c.outpoint not in skip),
            key=lambda c: (-c.value, c.outpoint.txid, c.outpoint.vout),
        )
        target = sum(o.value for o in outputs)
        while True:
            tx = self._sign_with_change(chosen, outputs, annexes)
            if tx is not None:
                return tx
            if not pool:
                have = sum(c.value for c in chosen)
                raise InsufficientFundsError(
                    f"need {target:,} sat plus fee, wallet can add only {have:,} sat"
                )
            chosen.append(pool.pop(0))

    def _sign_with_change(
        self,
        coins: Sequence[Coin],
        outputs: Sequence[TxOut],
        annexes: Mapping[int, bytes] | None,
    ) -> Tx | None:
        if not coins:
            return None
        inputs = tuple(TxIn(coin.outpoint) for coin in coins)
        available = sum(c.value for c in coins) - sum(o.value for o in outputs)
        with_change = (*outputs, TxOut(available, self.p2tr_script))
        # Sign once to learn the size, then again with the fee that size implies.
        draft = sign_inputs(Tx(inputs, with_change), coins, annexes=annexes)
        change = available - draft.vsize * self.config.fee_rate
        if change >= DUST_LIMIT:
            final_outputs = (*outputs, TxOut(change, self.p2tr_script))
        else:
            final_outputs = tuple(outputs)
            no_change = sign_inputs(Tx(inputs, final_outputs), coins, annexes=annexes)
            if available < no_change.vsize * self.config.fee_rate:
                return None
        return sign_inputs(Tx(inputs, final_outputs), coins, annexes=annexes)

    def pay(self, script_pubkey: bytes, value: int) -> Tx:
        return self.build([TxOut(value, script_pubkey)])

    def op_return(self, payload: bytes, *, extra_outputs: Sequence[TxOut] = ()) -> Tx:
        """A transaction carrying `payload` in a rootstate OP_RETURN (carriage (a)) at vout 0."""
        return self.build([TxOut(0, rootstate_op_return(payload)), *extra_outputs])

    def commit_envelope(self, envelope: Envelope) -> tuple[Tx, Coin]:
        """The commit transaction and the envelope coin it creates (vout 0)."""
        commit = self.build([TxOut(self.config.envelope_value, envelope.script_pubkey)])
        return commit, envelope.coin(commit.outpoint(0), self.config.envelope_value)

    def reveal_envelope(
        self,
        envelope_coin: Coin,
        *,
        outputs: Sequence[TxOut] = (),
        annex: bytes | None = None,
    ) -> Tx:
        """Spend the envelope coin through its leaf (input 0), revealing the payload.

        With no `outputs`, the value returns to our P2TR output as change.
        """
        annexes = None if annex is None else {0: annex}
        return self.build(outputs, must_spend=[envelope_coin], annexes=annexes)
