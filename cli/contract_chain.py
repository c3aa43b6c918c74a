"""``rootstate contract publish``, ``call`` and ``simulate``, composed through an indexer's
API or the local store (:mod:`cli.contract_compose`).

publish: the module is checked here first (the protocol's validator, with the refusal
explained); the indexer composes the commit and reveal PSBTs (``POST /v1/compose/publish``);
the funding signer signs the commit, the envelope key the reveal; both go to the node
(``sendrawtransaction``), then the command waits until the indexer has the reveal in a
block, printing progress, and prints the new contract's id. call: the same with
``POST /v1/compose/call``, whose answer carries the simulation it was checked with.
simulate: ``POST /v1/contracts/ID/simulate`` on the indexer's tip state; nothing is sent.

Funding coins are the signer's confirmed coins that carry no asset (the indexer is asked),
plus, for a call sending assets, the coins that carry them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.contract_check import check_module
from cli.contract_compose import ChainError, Composer
from cli.contract_signing import Coin, FundingSigner, read_secret, sign_reveal, xonly
from indexer.node_thread import NodeThread, StopRequestedError

Out = Callable[[str], None]
PROGRESS_SECONDS = 5.0
MAX_OUTPOINTS_PER_ASK = 1_000


@dataclass(frozen=True)
class Target:
    """Where the command composes (an indexer's API or the local store), the node it
    broadcasts through, and the fee rate and the wait."""

    composer: Composer
    node: NodeThread
    fee_rate: float
    timeout: float
    stop: threading.Event  # set by SIGINT/SIGTERM: the wait ends at once


def _holdings(api: Composer, coins: list[Coin]) -> dict[str, list[str]]:
    """The asset ids each coin carries, from the indexer (coins it does not list: none)."""
    held: dict[str, list[str]] = {}
    for start in range(0, len(coins), MAX_OUTPOINTS_PER_ASK):
        chunk = [c.outpoint for c in coins[start : start + MAX_OUTPOINTS_PER_ASK]]
        answer = api.post("/v1/outpoints", {"outpoints": chunk}, "asking which coins carry assets")
        for entry in answer["outpoints"]:
            tokens = [b["token"] for b in entry.get("balances", [])]
            held[entry["outpoint"]] = tokens + list(entry.get("authorities", []))
    return held


def _funding(api: Composer, signer: FundingSigner, sending: set[str]) -> list[dict[str, Any]]:
    """Every coin carrying an asset sent, and the largest plain coin for the fee."""
    coins = signer.coins()
    if not coins:
        raise ChainError("the funding signer has no confirmed coins: fund its address first")
    held = _holdings(api, coins)
    plain = [c for c in coins if not held.get(c.outpoint)]
    carrying = [c for c in coins if sending & set(held.get(c.outpoint, []))]
    found = {a for c in carrying for a in held[c.outpoint]}
    if sending - found:
        raise ChainError(
            f"no coin of the funding signer carries {', '.join(sorted(sending - found))}"
        )
    if not plain:
        raise ChainError(
            "every coin of the funding signer carries assets; add a plain coin for fees"
        )
    fee = max(plain, key=lambda c: c.value)
    return [c.body(held.get(c.outpoint, [])) for c in carrying] + [fee.body([])]


def _broadcast(target: Target, raw_hex: str) -> str:
    txid: str = target.node.call("sendrawtransaction", raw_hex)
    return txid


def wait_for(target: Target, txid: str, out: Out) -> dict[str, Any]:
    """Polls the indexer until it has ``txid`` in a block; progress every few seconds."""
    api, timeout = target.composer, target.timeout
    start = time.monotonic()
    shown = start
    out(f"waiting for {txid} to be mined and indexed (up to {timeout:g} s) ...")
    # An indexer with a pending view answers a transaction still in the mempool with
    # "block": null (confirmation "pending"): only an answer with a block is mined.
    while (tx := api.tx(txid)) is None or tx.get("block") is None:
        now = time.monotonic()
        if now - start > timeout:
            raise ChainError(
                f"{txid} was broadcast but not indexed within {timeout:g} s; it may still be "
                f"mined: ask {api.where} for /v1/txs/{txid}"
            )
        if now - shown >= PROGRESS_SECONDS:
            out(f"  ... {now - start:.0f} s, indexer at height {api.indexed_height()}")
            shown = now
        if target.stop.wait(0.5):
            raise StopRequestedError(
                f"stopped waiting; {txid} was broadcast and may still be mined"
            )
    return tx


def publish(
    target: Target, signer: FundingSigner, module: Path, key_file: Path, init: str, *, out: Out
) -> str:
    """The new contract's id, HEIGHT:INDEX."""
    if check_module(module, [], [], out, estimate=False) != 0:
        raise ChainError("the module would be refused; nothing was sent")
    key = read_secret(key_file)
    api = target.composer
    body = {
        "code": module.read_bytes().hex(),
        "init": init,
        "pubkey": xonly(key),
        "funding": _funding(api, signer, set()),
        "change_address": signer.change_address(),
        "fee_rate": target.fee_rate,
    }
    out(f"composing the publish of {module} through {api.where} ...")
    answer = api.post("/v1/compose/publish", body, "composing the publish")
    commit = signer.sign(answer["commit"]["psbt"])
    reveal = sign_reveal(answer["reveal"]["psbt"], key)
    out(f"commit {_broadcast(target, commit)} (fee {answer['commit']['fee']:,} sats)")
    out(f"reveal {_broadcast(target, reveal)} (fee {answer['reveal']['fee']:,} sats)")
    tx = wait_for(target, answer["reveal"]["txid"], out)
    if tx["status"] != "accepted":
        raise ChainError(f"the publish was rejected on chain: {tx['reason']}")
    [event] = [e for e in tx["events"] if e["type"] == "publish"]
    contract: str = event["contract"]
    out(f"published contract {contract} at height {tx['block']['height']:,}")
    return contract


def _call_body(contract: str, data: str, sends: list[tuple[str, int]]) -> dict[str, Any]:
    body: dict[str, Any] = {"contract": contract, "input": data}
    if sends:
        body["assets"] = [{"asset": a, "amount": str(n)} for a, n in sends]
    return body


def _summary(simulation: dict[str, Any]) -> str:
    if not simulation["accepted"]:
        detail = simulation.get("detail")
        code = "" if detail is None else f", abort code {detail}"
        return f"rejected: {simulation['reason']['name']}{code}"
    returned = simulation.get("return_data") or "nothing"
    return f"accepted, fuel {simulation['fuel_used']:,}, returns {returned}"


def call(
    target: Target,
    signer: FundingSigner,
    contract: str,
    data: str,
    sends: list[tuple[str, int]],
    *,
    out: Out,
) -> dict[str, Any]:
    """The indexed transaction of the call (its events)."""
    api = target.composer
    body = _call_body(contract, data, sends)
    body.update(
        funding=_funding(api, signer, {a for a, _ in sends}),
        change_address=signer.change_address(),
        fee_rate=target.fee_rate,
    )
    out(f"composing a call of {contract} through {api.where} ...")
    answer = api.post("/v1/compose/call", body, "composing the call")
    out(f"simulated on the tip: {_summary(answer['simulation'])}")
    txid = _broadcast(target, signer.sign(answer["psbt"]))
    out(f"call {txid} (fee {answer['fee']:,} sats)")
    tx = wait_for(target, answer["txid"], out)
    if tx["status"] != "accepted":
        raise ChainError(f"the call was rejected on chain: {tx['reason']}")
    logs = [e["data"] for e in tx["events"] if e["type"] == "log"]
    out(f"called at height {tx['block']['height']:,}; logs: {', '.join(logs) or 'none'}")
    return tx


def simulate(
    api: Composer, contract: str, data: str, sends: list[tuple[str, int]], *, out: Out, raw: bool
) -> bool:
    """Whether the call would be accepted on the indexer's tip state."""
    body = _call_body(contract, data, sends)
    body.pop("contract")
    result = api.post(f"/v1/contracts/{contract}/simulate", body, "simulating")
    if raw:
        out(json.dumps(result, indent=2))
    else:
        out(f"{contract} at height {result['height']:,}: {_summary(result)}")
        for change in result["storage"]:
            out(f"  storage {change['key']}: {change['before']} -> {change['after']}")
        for change in result["custody"]:
            out(f"  custody {change['asset']}: {change['before']} -> {change['after']}")
        for credit in result["credits"]:
            out(f"  credit vout {credit['vout']}: {credit['amount']} {credit['asset']}")
    accepted: bool = result["accepted"]
    return accepted
