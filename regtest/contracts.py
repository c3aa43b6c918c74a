"""The client API for contracts: publish one (commit and reveal of a taproot envelope) and call
one (assets sent in, outputs it pays to), as signed transactions a wallet funds.

Builders, not senders: each returns the transactions in the order they must confirm, already
applied to the funding wallet, for the caller to hand to ``Scene.add`` (one block, through
submitblock) or to ``Wallet.broadcast`` one by one (the mempool). Other wallets whose coins
are spent or paid learn of them through the scene, or their own ``accept``.

Output layout of a call, the same for both carriers, so a contract's ``vout`` arguments are
known before the transaction is built: ``outputs[i]`` is output ``i``; then the OP_RETURN
carrier, if any; then the funding wallet's change. Output 0 is therefore the default output
(spec §7.4), where the assets sent in settle if the call fails (§7.6, §19.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from regtest.payloads import AssetRef, ContractRef, Operation, call, message, publish
from regtest.script import rootstate_op_return
from regtest.spend import Coin, Envelope
from regtest.tx import Tx, TxOut
from regtest.wallet import Wallet

#: The largest payload whose OP_RETURN carrier btcd and older bitcoind relay: their limit is
#: an 83-byte script, of which the opcode, the magic push and a one-byte push take 9.
STANDARD_OP_RETURN_PAYLOAD = 74
#: Padding (ignored message bytes) that buys a call its fuel: in an envelope 8,000 bytes are
#: about 2,000 vB, 2,000,000 fuel (an AMM swap uses 330,000 plus its 513,000 start).
CALL_PAD = 8_000
INIT_PAD = 8_000
PUBLISH_PAD_PER_BYTE = 18


class Carrier(StrEnum):
    OP_RETURN = "op_return"
    ENVELOPE = "envelope"
    #: OP_RETURN when the payload is small enough to relay everywhere, else an envelope.
    AUTO = "auto"


@dataclass(frozen=True)
class ContractTxs:
    """The transactions of one publish or call, in confirmation order; the last carries the
    message, and its id (height, index once mined) is a published contract's id."""

    txs: tuple[Tx, ...]

    @property
    def carrier_tx(self) -> Tx:
        return self.txs[-1]


def send_message(
    wallet: Wallet,
    *operations: Operation,
    carrier: Carrier = Carrier.AUTO,
    spend: Sequence[Coin] = (),
    outputs: Sequence[TxOut] = (),
    pointer: int | None = None,
    pad: int = 0,
) -> ContractTxs:
    """A message with any operations, spending ``spend`` first (their assets enter the
    pool), paying ``outputs`` at indices 0.., funded and signed by ``wallet``; ``pad`` bytes
    of ignored padding buy block space, hence fuel (CONTRACTS.md §21.2)."""
    payload = message(*operations, pointer=pointer, pad=pad)
    if carrier is Carrier.AUTO:
        small = len(payload) <= STANDARD_OP_RETURN_PAYLOAD
        carrier = Carrier.OP_RETURN if small else Carrier.ENVELOPE
    if carrier is Carrier.OP_RETURN:
        carrier_out = TxOut(0, rootstate_op_return(payload))
        tx = wallet.build([*outputs, carrier_out], must_spend=spend)
        wallet.accept(tx)
        return ContractTxs((tx,))
    commit, coin = wallet.commit_envelope(Envelope.create(wallet.key, payload))
    wallet.accept(commit)
    # With no outputs asked for, the reveal's only output is the change, which then is the
    # default output; callers that send assets in name the output they want them back on.
    reveal = wallet.build(outputs, must_spend=[coin, *spend])
    wallet.accept(reveal)
    return ContractTxs((commit, reveal))


def publish_contract(
    wallet: Wallet,
    code: bytes,
    *,
    init: bytes | None = None,
    fuel: int | None = None,
    outputs: Sequence[TxOut] = (),
) -> ContractTxs:
    """spec §16.1 by envelope (§3.3): the module is far larger than an OP_RETURN. The new
    contract's id is the reveal's (``carrier_tx``) height and index."""
    # A publish takes 4,500 fuel per module byte (CONTRACTS.md §16.1); an envelope byte buys
    # 250: 18 bytes of padding per module byte, and 8,000 for the init.
    return send_message(
        wallet,
        publish(code, init, fuel),
        carrier=Carrier.ENVELOPE,
        outputs=outputs,
        pad=PUBLISH_PAD_PER_BYTE * len(code) + INIT_PAD,
    )


def call_contract(
    wallet: Wallet,
    contract: ContractRef,
    data: bytes = b"",
    *,
    assets: Sequence[tuple[AssetRef, int]] = (),
    spend: Sequence[Coin] = (),
    outputs: Sequence[TxOut] = (),
    fuel: int | None = None,
    carrier: Carrier = Carrier.AUTO,
    pad: int = CALL_PAD,
) -> ContractTxs:
    """spec §16.3: ``assets`` move from the pool (filled by the coins in ``spend``) into the
    contract's custody before it runs; what it sends goes to ``outputs`` by index, and what
    is left in the pool settles on output 0. ``pad`` bytes of ignored padding buy the call's
    fuel (CONTRACTS.md §21.2); without them a call fits a relayable OP_RETURN but buys
    too little fuel to start."""
    if assets and not outputs:
        raise ValueError("a call sending assets needs an output for what settles back")
    return send_message(
        wallet,
        call(contract, data, assets, fuel),
        carrier=carrier,
        spend=spend,
        outputs=outputs,
        pad=pad,
    )
