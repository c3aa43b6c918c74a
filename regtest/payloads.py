"""rootstate messages for tests and demos, written from the tables of spec §5, §6 and §16.

Encoded with cbor2's canonical (RFC 8949 deterministic) encoder, never with the protocol
package, so a test that builds a payload here does not share a constant with the code it
checks. Operations are plain ``{key: value}`` maps; callers may add keys (an ignored odd
key, say) before encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cbor2

from regtest.client import NodeRpc
from regtest.tx import Tx

# spec §6 and §16: operation codes.
OP_DEPLOY, OP_MINT, OP_TRANSFER, OP_BURN = 1, 2, 3, 4
OP_PUBLISH, OP_INSTANTIATE, OP_CALL = 5, 6, 7

Operation = dict[int, Any]
#: A token as (deploy height, deploy transaction index): spec §2.4.
TokenRef = tuple[int, int]
#: A contract as (creating height, creating transaction index): spec §14.1.
ContractRef = tuple[int, int]
#: spec §14.2: a token ``(height, index)`` or a contract asset ``(height, index, sub)``.
AssetRef = tuple[int, int] | tuple[int, int, int]


#: spec §5.3: an odd message key no version defines is ignored: padding that buys fuel.
PAD_KEY = 99


def message(
    *operations: Operation, pointer: int | None = None, version: int = 1, pad: int = 0
) -> bytes:
    """spec §5.1: ``{0: version, 1: [operations], 2: pointer}``, and ``pad`` zero bytes under
    PAD_KEY (CONTRACTS.md §21.2: a transaction's calls use the fuel its vsize buys)."""
    body: dict[int, Any] = {0: version, 1: list(operations)}
    if pointer is not None:
        body[2] = pointer
    if pad:
        body[PAD_KEY] = bytes(pad)
    return cbor2.dumps(body, canonical=True)


def deploy_open(
    ticker: str, max_supply: int, per_mint: int, cap: int, decimals: int = 0
) -> Operation:
    """spec §6.2: an open-mint token: anyone may mint ``per_mint``, ``cap`` times."""
    op: Operation = {0: OP_DEPLOY, 1: ticker, 3: max_supply, 4: {0: per_mint, 1: cap}}
    if decimals:
        op[2] = decimals
    return op


def deploy_issuer(
    ticker: str, max_supply: int, authority_output: int, premine: int, premine_output: int
) -> Operation:
    """spec §6.2: an issuer token whose mint authority is bound to ``authority_output``."""
    return {
        0: OP_DEPLOY,
        1: ticker,
        3: max_supply,
        5: authority_output,
        6: premine,
        7: premine_output,
    }


def mint(token: TokenRef, amount: int | None = None, output: int | None = None) -> Operation:
    op: Operation = {0: OP_MINT, 1: list(token)}
    if amount is not None:
        op[2] = amount
    if output is not None:
        op[3] = output
    return op


def transfer(token: TokenRef, amount: int, output: int) -> Operation:
    return {0: OP_TRANSFER, 1: list(token), 2: amount, 3: output}


def burn(token: TokenRef, amount: int) -> Operation:
    return {0: OP_BURN, 1: list(token), 2: amount}


def _creation(op: Operation, init: bytes | None, fuel: int | None) -> Operation:
    """The optional fields §16.1 and §16.2 share: key 2 the init input, key 4 its fuel."""
    if init is not None:
        op[2] = init
    if fuel is not None:
        op[4] = fuel
    return op


def publish(code: bytes, init: bytes | None = None, fuel: int | None = None) -> Operation:
    """spec §16.1: ``{0: 5, 1: module, 2: init input, 4: fuel of init}``."""
    return _creation({0: OP_PUBLISH, 1: code}, init, fuel)


def instantiate(
    template: ContractRef, init: bytes | None = None, fuel: int | None = None
) -> Operation:
    """spec §16.2: a new contract running the code of ``template``."""
    return _creation({0: OP_INSTANTIATE, 1: list(template)}, init, fuel)


def call(
    contract: ContractRef,
    data: bytes | None = None,
    assets: Sequence[tuple[AssetRef, int]] = (),
    fuel: int | None = None,
) -> Operation:
    """spec §16.3: ``{0: 7, 1: contract, 2: input, 3: [[asset, amount], ...], 4: fuel}``;
    the assets move from the transaction's pool into the contract's custody."""
    op: Operation = {0: OP_CALL, 1: list(contract)}
    if data is not None:
        op[2] = data
    if assets:
        op[3] = [[list(ref), amount] for ref, amount in assets]
    if fuel is not None:
        op[4] = fuel
    return op


def asset_id(ref: AssetRef) -> bytes:
    """spec §14.2: the 8-byte token id, or the 12-byte contract asset id (sub u32 BE)."""
    head = ref[0].to_bytes(4, "big") + ref[1].to_bytes(4, "big")
    return head if len(ref) == 2 else head + ref[2].to_bytes(4, "big")


def token_text(token: TokenRef) -> str:
    """spec §2.4: ``HEIGHT:INDEX``."""
    return f"{token[0]}:{token[1]}"


def token_of(node: NodeRpc, tx: Tx) -> TokenRef:
    """The id a deploy in ``tx`` gets: its confirmed block's height and its index there."""
    block_hash = node.call("getrawtransaction", tx.txid_hex, 1)["blockhash"]
    height = int(node.header(block_hash)["height"])
    return height, node.block_tx_ids(block_hash).index(tx.txid_hex)


def contract_of(node: NodeRpc, tx: Tx) -> ContractRef:
    """spec §14.1: a contract's id is its creating transaction's, as for a token."""
    return token_of(node, tx)
