"""The chain test_e2e_tokens.py indexes: every token operation through both carriers,
token UTXOs and an authority spent without a message, and a block of hostile payloads.

Each transaction is named; expected outcomes live in the tests, worked out by hand from
spec §6-§8.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.store_reader import StoreReader
from protocol.envelope import OP_CHECKSIG
from protocol.script import OP_ENDIF, OP_IF, push_data
from protocol.taproot import TapLeaf, TaprootOutput
from regtest.client import NodeRpc
from regtest.keys import Key
from regtest.node import NodeInfo
from regtest.payloads import (
    TokenRef,
    burn,
    deploy_issuer,
    deploy_open,
    message,
    mint,
    token_of,
    transfer,
)
from regtest.scene import Scene
from regtest.script import rootstate_op_return
from regtest.spend import Coin, Envelope
from regtest.tx import Tx, TxOut
from regtest.wallet import Wallet

DUST = 1_000
ISSUE_MAX = 10**30  # above u64: a CBOR bignum in the deploy and the token record
ISSUE_MINT = 2**70


def _op_return(payload: bytes) -> TxOut:
    return TxOut(0, rootstate_op_return(payload))


def _pay(wallet: Wallet) -> TxOut:
    return TxOut(DUST, wallet.p2tr_script)


def _pay_wpkh(wallet: Wallet) -> TxOut:
    return TxOut(DUST, wallet.p2wpkh_script)


#: OP_FALSE OP_IF <magic>: what opens an envelope (spec §3.3.2), spelled out by hand.
ENVELOPE_OPEN = b"\x00\x63\x06rstate"


@dataclass
class Story:
    """The chain the module built, and a reader over the store it was indexed into."""

    node: NodeRpc
    info: NodeInfo
    reader: StoreReader
    store_dir: Path
    bob: Wallet
    carol: Wallet
    open_token: TokenRef
    issue_token: TokenRef
    big_token: TokenRef
    txs: dict[str, Tx]
    hostile_reasons: dict[str, int]


def _malformed_envelope(key: Key, payload: bytes) -> Envelope:
    """An envelope whose body holds OP_1, a non-push: spec §3.3.2 malformed_envelope."""
    script = (
        push_data(key.xonly)
        + bytes((OP_CHECKSIG, 0x00, OP_IF))
        + b"\x06rstate"
        + push_data(payload)
        + b"\x51"
        + bytes((OP_ENDIF,))
    )
    leaf = TapLeaf(script)
    return Envelope(payload, key, leaf, TaprootOutput.create(key.xonly, leaf))


class StoryBuilder:
    """Builds the module's chain block by block; names every transaction it makes."""

    def __init__(self, node: NodeRpc) -> None:
        self.node = node
        self.alice = Wallet(node, Key.derive("e2e-alice"))
        self.bob, self.carol, self.issuer = (
            Wallet(node, Key.derive(f"e2e-{name}")) for name in ("bob", "carol", "issuer")
        )
        self.alice.fund(1)
        self.scene = Scene(node, self.alice, [self.bob, self.carol, self.issuer])
        self.txs: dict[str, Tx] = {}
        self.hostile: dict[str, int] = {}

    def add(self, name: str, tx: Tx) -> Tx:
        self.txs[name] = self.scene.add(tx)
        return tx

    def reveal(self, name: str, payload: bytes, outputs: list[TxOut], *spend: Coin) -> Tx:
        """Carriage (b): commit to an envelope, then reveal it spending ``spend`` too."""
        alice = self.alice
        commit, coin = alice.commit_envelope(Envelope.create(alice.key, payload))
        self.scene.add(commit)
        return self.add(name, alice.build(outputs, must_spend=[coin, *spend]))

    def deploys(self) -> tuple[TokenRef, TokenRef]:
        alice = self.alice
        self.add("deploy_open", alice.op_return(message(deploy_open("OPEN", 10**6, 1_000, 100))))
        issuer_deploy = deploy_issuer("ISSUE", ISSUE_MAX, 0, 500, 1)
        issuer_deploy[9] = bytes(1_500)  # an ignored odd key: the envelope needs 4 chunks
        self.reveal("deploy_issuer", message(issuer_deploy), [_pay(self.issuer), _pay(self.bob)])
        self.scene.mine()
        return token_of(self.node, self.txs["deploy_open"]), token_of(
            self.node, self.txs["deploy_issuer"]
        )

    def mints(self, open_token: TokenRef, issue_token: TokenRef) -> None:
        alice, txs = self.alice, self.txs
        self.add(
            "mint_or", alice.op_return(message(mint(open_token)), extra_outputs=[_pay(self.bob)])
        )
        self.reveal("mint_env", message(mint(open_token, 1_000, 0)), [_pay_wpkh(self.carol)])
        authority = self.issuer.coins[txs["deploy_issuer"].outpoint(0)]
        outputs = [
            _op_return(message(mint(issue_token, ISSUE_MINT, 2))),
            _pay(self.issuer),
            _pay_wpkh(self.carol),
        ]
        self.add("mint_issuer", alice.build(outputs, must_spend=[authority]))
        self.scene.mine()

    def moves(self, open_token: TokenRef, issue_token: TokenRef) -> None:
        alice, bob, carol, txs = self.alice, self.bob, self.carol, self.txs
        outputs = [_op_return(message(transfer(open_token, 400, 2))), _pay(bob), _pay_wpkh(carol)]
        self.add(
            "transfer_or", alice.build(outputs, must_spend=[bob.coins[txs["mint_or"].outpoint(1)]])
        )
        self.reveal(
            "burn_env",
            message(burn(open_token, 300)),
            [_pay_wpkh(carol)],
            carol.coins[txs["mint_env"].outpoint(0)],
        )
        premine = bob.coins[txs["deploy_issuer"].outpoint(1)]
        self.add("plain_spend", alice.build([_pay_wpkh(carol)], must_spend=[premine]))
        authority = self.issuer.coins[txs["mint_issuer"].outpoint(1)]
        self.add("authority_plain", alice.build([_pay(bob)], must_spend=[authority]))
        self.scene.mine()
        self.reveal(
            "transfer_env",
            message(transfer(open_token, 150, 1)),
            [_pay_wpkh(carol), _pay(bob)],
            carol.coins[txs["transfer_or"].outpoint(2)],
        )
        outputs = [_op_return(message(burn(issue_token, 2**69))), _pay_wpkh(carol)]
        issued = carol.coins[txs["mint_issuer"].outpoint(2)]
        self.add("burn_or", alice.build(outputs, must_spend=[issued]))
        self.scene.mine()

    def reject(self, name: str, tx: Tx, reason: int) -> None:
        self.add(name, tx)
        self.hostile[name] = reason

    def hostile_block(self, open_token: TokenRef, issue_token: TokenRef) -> None:
        """Mined directly: most of these are non-standard and would not be relayed."""
        alice, bob, carol, txs = self.alice, self.bob, self.carol, self.txs
        valid_mint = message(mint(open_token))
        # Reasons from spec §8, by hand.
        self.reject("non_canonical", alice.op_return(bytes.fromhex("a201800001")), 5)
        self.reject("float", alice.op_return(bytes.fromhex("a200f93c000180")), 6)
        self.reject("truncated_cbor", alice.op_return(bytes.fromhex("a2000101")), 4)
        two = alice.build([_op_return(valid_mint), _op_return(valid_mint), _pay(bob)])
        self.reject("two_op_returns", two, 3)
        commit, coin = alice.commit_envelope(Envelope.create(alice.key, valid_mint))
        self.scene.add(commit)
        both = alice.build([_op_return(valid_mint), _pay(bob)], must_spend=[coin])
        self.reject("op_return_and_envelope", both, 3)
        trailing_op = TxOut(0, rootstate_op_return(valid_mint) + b"\x51")
        self.reject("malformed_carrier", alice.build([trailing_op, _pay(bob)]), 1)
        commit, coin = alice.commit_envelope(_malformed_envelope(alice.key, valid_mint))
        self.scene.add(commit)
        self.reject("malformed_envelope", alice.build([_pay(bob)], must_spend=[coin]), 2)
        # A rejected message settles like none: the pointer (output 2) is ignored.
        outputs = [_op_return(message(pointer=2, version=2)), _pay(bob), _pay_wpkh(carol)]
        bob_open = bob.coins[txs["transfer_or"].outpoint(1)]
        self.reject("unsupported_version", alice.build(outputs, must_spend=[bob_open]), 8)
        too_much = message(transfer(open_token, 10**6, 1))
        self.reject(
            "insufficient_balance", alice.op_return(too_much, extra_outputs=[_pay(bob)]), 17
        )
        self.reject("wrong_mint_amount", alice.op_return(message(mint(open_token, 999))), 15)
        self.reject("ticker_taken", alice.op_return(message(deploy_open("OPEN", 10, 1, 1))), 12)
        above_u128 = message(mint(issue_token, 2**128, 1))
        self.reject(
            "amount_above_u128", alice.op_return(above_u128, extra_outputs=[_pay(carol)]), 10
        )
        self.reject("unknown_operation", alice.op_return(message({0: 9})), 9)
        self.reject("invalid_ticker", alice.op_return(message(deploy_open("LOW-1", 9, 1, 1))), 11)
        self.reject(
            "unauthorized",
            alice.op_return(message(mint(issue_token, 5, 1)), extra_outputs=[_pay(carol)]),
            21,
        )
        self.lookalikes()
        big_deploy = deploy_open("BIGOR", 5, 1, 5)
        big_deploy[9] = bytes(5_000)
        self.add("big_op_return", alice.op_return(message(big_deploy)))
        self.scene.mine()
        # A coinbase carrying a deploy is ignored (spec §3.5).
        self.scene.mine(script=rootstate_op_return(message(deploy_open("COINB", 9, 1, 1))))

    def lookalikes(self) -> None:
        """Transactions that only look like carriers: none has a message (spec §3)."""
        alice, bob = self.alice, self.bob
        annexed = ENVELOPE_OPEN + push_data(message(deploy_open("ANNEX", 9, 1, 1))) + b"\x68"
        self.add("annex", alice.build([_pay(bob)], annexes={0: b"\x50" + annexed}))
        for name, ticker, magic in (
            ("ord_envelope", "ORDX", push_data(b"ord")),
            ("pushdata_magic_envelope", "PUSHD", b"\x4c\x06rstate"),
        ):
            envelope = Envelope.create(
                alice.key, message(deploy_open(ticker, 9, 1, 1)), magic_push=magic
            )
            commit, coin = alice.commit_envelope(envelope)
            self.scene.add(commit)
            self.add(name, alice.build([_pay(bob)], must_spend=[coin]))
        pushdata_or = b"\x6a\x4c\x06rstate" + push_data(message(deploy_open("PUSHD", 9, 1, 1)))
        self.add("pushdata_magic_op_return", alice.build([TxOut(0, pushdata_or)]))
