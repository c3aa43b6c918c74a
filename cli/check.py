"""``rootstate check``: balances that several independent indexers agree on, proved.

For an outpoint or an address, ask every indexer (``--indexer URL``, repeated) for the proofs
of the answer (spec §25), then for the block each proof is anchored at, and refuse unless
every indexer reports the same block hash, state hash and state root there, naming which
differ. Then check every proof with :func:`protocol.tree_proof.verify` against that agreed
root, with keys derived here from what was asked (never taken from an answer), and decode
the proved records locally. A refusal names the indexer and what failed; nothing is printed
as verified that was not.

What is proved: what each outpoint holds at that height (or that it holds nothing). What is
not: that an address has no other outpoints, since the address index is not in the state.
The outpoints of an address are the union of what all indexers list, so an indexer that
hides one is outvoted as long as another lists it.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import cbor2
import httpx

from cli.exits import Exit
from protocol.fields import format_token_id
from protocol.records import UtxoAssets
from protocol.state import UTXO_PREFIX, token_key
from protocol.tree_proof import ProofError, verify

OUTPOINT = re.compile(r"([0-9a-fA-F]{64}):(0|[1-9][0-9]{0,9})")
HASH_FIELDS = ("block_hash", "state_hash", "state_root")
#: How long a check waits for indexers a few blocks apart to reach one tip, and how often
#: it asks again meanwhile.
CATCH_UP_WAIT_SECONDS = 15.0
CATCH_UP_POLL_SECONDS = 0.25

#: GET an API path from an indexer: its JSON body, or CheckRefusedError naming what failed.
Fetch = Callable[[str, str], Any]


class CheckRefusedError(Exception):
    """The answer cannot be verified; the message says which indexer and why."""


@dataclass
class Verified:
    """Proved holdings at one agreed block."""

    height: int
    block_hash: str
    state_root: str
    outpoints: dict[str, UtxoAssets] = field(default_factory=dict)
    tokens: dict[bytes, tuple[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"verified against height {self.height:,} (block {self.block_hash}, "
            f"state root {self.state_root})"
        ]
        totals: dict[bytes, int] = {}
        if not self.outpoints:
            out.append("  no indexer lists an outpoint holding assets")
        for outpoint, assets in sorted(self.outpoints.items()):
            held = ", ".join(self._amount(t, n) for t, n in assets.balances) or "no balances"
            rights = "".join(f", authority of {format_token_id(t)}" for t in assets.authorities)
            out.append(f"  {outpoint}: {held}{rights}")
            for token, amount in assets.balances:
                totals[token] = totals.get(token, 0) + amount
        if len(self.outpoints) > 1:
            out.append(
                "  total: "
                + (", ".join(self._amount(t, n) for t, n in sorted(totals.items())) or "nothing")
            )
        return out + [f"note: {note}" for note in self.notes]

    def _amount(self, token: bytes, amount: int) -> str:
        ticker, decimals = self.tokens.get(token, ("?", 0))
        return f"{amount:,} base units of {format_token_id(token)} ({ticker}, {decimals} decimals)"


def http_fetch(timeout: float = 30.0) -> Fetch:
    client = httpx.Client(timeout=timeout)

    def fetch(base: str, path: str) -> Any:
        url = base.rstrip("/") + path
        try:
            response = client.get(url)
        except httpx.HTTPError as exc:
            raise CheckRefusedError(f"indexer {base} did not answer {path}: {exc}") from None
        if response.status_code != 200:
            try:
                error = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                error = response.text[:200]
            raise CheckRefusedError(
                f"indexer {base} answered {path} with {response.status_code}: {error}"
            )
        try:
            return response.json()
        except ValueError:
            raise CheckRefusedError(
                f"indexer {base} answered {path} with something not JSON"
            ) from None

    return fetch


def outpoint_key(text: str) -> bytes:
    match = OUTPOINT.fullmatch(text)
    if match is None:
        raise CheckRefusedError(f"{text[:100]!r} is not an outpoint (TXID:VOUT)")
    return UTXO_PREFIX + bytes.fromhex(match[1])[::-1] + int(match[2]).to_bytes(4, "big")


def _anchor_height(base: str, body: Any) -> int:
    try:
        return int(body["anchor"]["height"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckRefusedError(f"indexer {base} sent a malformed proof answer ({exc!r})") from None


class Checker:
    """One check across ``indexers``, agreeing on each anchor height once.

    An indexer serves proofs against its own tip only, so two honest indexers a block apart
    answer at two heights, and the one behind cannot vouch for the other's root yet. The
    checker then waits (up to ``wait`` seconds) for every indexer to answer at one height,
    rather than asking the one behind for a block it has not indexed.
    """

    def __init__(
        self,
        indexers: Iterable[str],
        fetch: Fetch,
        *,
        wait: float = CATCH_UP_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._indexers = list(dict.fromkeys(indexers))
        if not self._indexers:
            raise CheckRefusedError("name at least one indexer with --indexer URL")
        self._fetch = fetch
        self._wait, self._sleep, self._clock = wait, sleep, clock
        self._agreed: dict[int, dict[str, str]] = {}

    def agreed(self, height: int) -> dict[str, str]:
        """The block every indexer reports at ``height``; CheckRefusedError unless all agree."""
        if height in self._agreed:
            return self._agreed[height]
        reports: dict[str, dict[str, str]] = {}
        for base in self._indexers:
            block = self._fetch(base, f"/v1/blocks/{height}")
            reports[base] = {
                "block_hash": str(block.get("hash")),
                "state_hash": str(block.get("state_hash")),
                "state_root": str(block.get("state_root")),
            }
        groups: dict[tuple[str, ...], list[str]] = {}
        for base, report in reports.items():
            groups.setdefault(tuple(report[f] for f in HASH_FIELDS), []).append(base)
        if len(groups) > 1:
            lines = [
                f"  {', '.join(bases)}: block {values[0]}, state hash {values[1]}, "
                f"state root {values[2]}"
                for values, bases in sorted(groups.items(), key=lambda g: -len(g[1]))
            ]
            raise CheckRefusedError(
                f"the indexers disagree at height {height:,}; nothing is verified:\n"
                + "\n".join(lines)
            )
        self._agreed[height] = reports[self._indexers[0]]
        return self._agreed[height]

    def checked(self, base: str, body: Any, key: bytes) -> tuple[int, bytes | None]:
        """Verify one answer's proof of ``key``; returns (height, the proved value)."""
        height = _anchor_height(base, body)
        try:
            anchor, proof = body["anchor"], body["proof"]
            value = None if proof["value"] is None else bytes.fromhex(proof["value"])
            raw = bytes.fromhex(proof["proof"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckRefusedError(
                f"indexer {base} sent a malformed proof answer ({exc!r})"
            ) from None
        agreed = self.agreed(height)
        for name in HASH_FIELDS:
            if anchor.get(name) != agreed[name]:
                raise CheckRefusedError(
                    f"indexer {base} anchors its proof at height {height:,} with {name} "
                    f"{anchor.get(name)}, but the indexers agree on {agreed[name]}"
                )
        try:
            verify(bytes.fromhex(agreed["state_root"]), key, value, raw)
        except ProofError as exc:
            raise CheckRefusedError(
                f"indexer {base} sent a proof for {key.hex()} that does not verify: {exc}"
            ) from None
        return height, value

    def at_one_height(self, paths: list[str]) -> tuple[int | None, list[dict[str, Any]]]:
        """Every indexer's answer to each proof path, all anchored at one height.

        Asks again while the indexers answer at different heights (one is a block or two
        behind, or a block arrived mid-way), until ``wait`` runs out; then refuses, naming
        each indexer's height. Returns the height (None when there are no paths) and, per
        path, the answer of each indexer.
        """
        deadline = self._clock() + self._wait
        while True:
            answers = [{base: self._fetch(base, path) for base in self._indexers} for path in paths]
            heights = {
                base: {_anchor_height(base, answer[base]) for answer in answers}
                for base in self._indexers
            }
            seen = sorted(set().union(*heights.values()))
            if len(seen) <= 1:
                return (seen[0] if seen else None), answers
            if self._clock() >= deadline:
                at = ", ".join(
                    f"{base} at {'/'.join(f'{h:,}' for h in sorted(hs))}"
                    for base, hs in heights.items()
                )
                raise CheckRefusedError(
                    f"the indexers answered at different heights ({at}) and did not reach "
                    f"one tip within {self._wait:g} s; nothing is verified: retry when all "
                    "are at the same tip"
                )
            self._sleep(CATCH_UP_POLL_SECONDS)

    def check_outpoints(self, listed: dict[str, list[str]]) -> Verified:
        """Prove every outpoint any indexer listed, from every indexer, at one height."""
        outpoints = sorted({text for texts in listed.values() for text in texts})
        results: dict[str, UtxoAssets] = {}
        keys = [outpoint_key(text) for text in outpoints]  # a bad target before any request
        at, answers = self.at_one_height([f"/v1/proofs/outpoints/{t}" for t in outpoints])
        for text, key, answer in zip(outpoints, keys, answers, strict=True):
            values = {self.checked(base, body, key)[1] for base, body in answer.items()}
            value = values.pop()  # one root and one key prove one value
            results[text] = UtxoAssets() if value is None else UtxoAssets.decode(value)
        height = self.common_height() if at is None else at
        agreed = self.agreed(height)
        report = Verified(height, agreed["block_hash"], agreed["state_root"], results)
        for base, texts in listed.items():
            missing = [t for t in outpoints if t not in texts and not results[t].empty]
            if missing:
                report.notes.append(f"indexer {base} did not list {', '.join(missing)}")
        self._tokens(report)
        return report

    def check_address(self, address: str) -> Verified:
        listed: dict[str, list[str]] = {}
        for base in self._indexers:
            texts: list[str] = []
            cursor = ""
            while True:
                body = self._fetch(base, f"/v1/addresses/{address}/balances{cursor}")
                texts.extend(str(o["outpoint"]) for o in body.get("outpoints", []))
                if not body.get("next"):
                    break
                cursor = f"?cursor={body['next']}"
            listed[base] = texts
        report = self.check_outpoints(listed)
        report.notes.append(
            "the outpoints of an address are those the indexers list; what each holds is "
            "proved, that the address has no others is not"
        )
        return report

    def common_height(self) -> int:
        tips = []
        for base in self._indexers:
            indexed = self._fetch(base, "/v1/status").get("indexed")
            if not indexed:
                raise CheckRefusedError(f"indexer {base} has indexed no block yet")
            tips.append(int(indexed["height"]))
        return min(tips)

    def _tokens(self, report: Verified) -> None:
        """Tickers and decimals of the tokens held, from proved token records."""
        tokens = sorted({t for a in report.outpoints.values() for t, _ in a.balances})
        base = self._indexers[0]
        for token in tokens:
            body = self._fetch(base, f"/v1/proofs/tokens/{format_token_id(token)}")
            _, value = self.checked(base, body, token_key(token))
            if value is None:
                raise CheckRefusedError(f"token {format_token_id(token)} is proved not to exist")
            record = cbor2.loads(value)
            report.tokens[token] = (str(record[0]), int(record[1]))


def run_check(
    indexers: Iterable[str], target: str, fetch: Fetch, wait: float = CATCH_UP_WAIT_SECONDS
) -> Verified:
    if not wait >= 0:
        raise CheckRefusedError(f"--wait must be a number of seconds >= 0, not {wait}")
    checker = Checker(indexers, fetch, wait=wait)
    checker.common_height()  # every indexer answers and has a tip, before anything else
    if OUTPOINT.fullmatch(target):
        return checker.check_outpoints({base: [target] for base in checker._indexers})
    return checker.check_address(target)


def cmd_check(indexers: list[str], target: str, wait: float | None = None) -> int:
    """Print balances proved against the root all ``indexers`` agree on; 1 if refused."""
    try:
        report = run_check(
            indexers, target, http_fetch(), CATCH_UP_WAIT_SECONDS if wait is None else wait
        )
    except CheckRefusedError as exc:
        print(f"check: refused: {exc}", file=sys.stderr)
        return Exit.FAILED
    print("\n".join(report.lines()))
    return Exit.OK
