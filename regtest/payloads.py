"""rootstate messages for tests and demos, written from the tables of spec §5 and §6.

Encoded with cbor2's canonical (RFC 8949 deterministic) encoder, never with the protocol
package, so a test that builds a payload here does not share a constant with the code it
checks. Operations are plain ``{key: value}`` maps; callers may add keys (an ignored odd
key, say) before encoding.
"""

from __future__ import annotations

from typing import Any

import cbor2

from regtest.client import NodeRpc
from regtest.tx import Tx

# spec §6: operation codes.
OP_DEPLOY, OP_MINT, OP_TRANSFER, OP_BURN = 1, 2, 3, 4

Operation = dict[int, Any]
#: A token as (deploy height, deploy transaction index): spec §2.4.
TokenRef = tuple[int, int]


def message(*operations: Operation, pointer: int | None = None, version: int = 1) -> bytes:
    """spec §5.1: ``{0: version, 1: [operations], 2: pointer}``."""
    body: dict[int, Any] = {0: version, 1: list(operations)}
    if pointer is not None:
        body[2] = pointer
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


def token_text(token: TokenRef) -> str:
    """spec §2.4: ``HEIGHT:INDEX``."""
    return f"{token[0]}:{token[1]}"


def token_of(node: NodeRpc, tx: Tx) -> TokenRef:
    """The id a deploy in ``tx`` gets: its confirmed block's height and its index there."""
    block_hash = node.call("getrawtransaction", tx.txid_hex, 1)["blockhash"]
    height = int(node.header(block_hash)["height"])
    return height, node.block_tx_ids(block_hash).index(tx.txid_hex)
