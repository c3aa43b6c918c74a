"""Checks that a raw block's transactions are the ones its header and coinbase commit to.

Not on the hot path: the follow loop trusts its node, and these checks hash every
transaction. They exist for the scanner's CLI and tests, and for an operator who wants to
know that a block file is intact.

* Merkle root: the header's merkle root is the Bitcoin merkle tree of all txids.
* Witness commitment (BIP141): the last coinbase output whose script opens with
  ``6a 24 aa21a9ed`` commits to ``SHA256d(witness merkle root || witness reserved value)``,
  where the witness merkle root is built from all wtxids with the coinbase's taken as 32
  zero bytes, and the reserved value is the coinbase input's single 32-byte witness item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexer.scan import parse_header, sha256d, tx_spans, txid_of, wtxid_of
from protocol.tx import parse_transaction

WITNESS_COMMITMENT_HEAD = bytes.fromhex("6a24aa21a9ed")
WITNESS_COMMITMENT_SIZE = len(WITNESS_COMMITMENT_HEAD) + 32
COINBASE_WTXID = bytes(32)


@dataclass(frozen=True)
class BlockCheck:
    """The outcome of both checks; ``witness_commitment_ok`` is None without a commitment."""

    merkle_ok: bool
    witness_commitment_ok: bool | None


def merkle_root(hashes: Sequence[bytes]) -> bytes:
    """Bitcoin's merkle root of ``hashes`` (internal order), duplicating an odd level's last."""
    if not hashes:
        raise ValueError("a merkle tree needs at least one leaf")
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def check_block(block: bytes) -> BlockCheck:
    """Hash every transaction of ``block`` and compare with both commitments.

    Raises :class:`indexer.scan.BlockParseError` when ``block`` is not a serialized block.
    """
    header = parse_header(block)
    spans = tx_spans(block)
    merkle_ok = merkle_root([txid_of(block, span) for span in spans]) == header.merkle_root
    coinbase = parse_transaction(block[spans[0].start : spans[0].end])
    commitment = _witness_commitment(tuple(output.script for output in coinbase.outputs))
    if commitment is None:
        return BlockCheck(merkle_ok, None)
    reserved = coinbase.inputs[0].witness if coinbase.inputs else ()
    if len(reserved) != 1 or len(reserved[0]) != 32:
        return BlockCheck(merkle_ok, witness_commitment_ok=False)
    wtxids = [COINBASE_WTXID] + [wtxid_of(block, span) for span in spans[1:]]
    expected = sha256d(merkle_root(wtxids) + reserved[0])
    return BlockCheck(merkle_ok, witness_commitment_ok=expected == commitment)


def _witness_commitment(scripts: Sequence[bytes]) -> bytes | None:
    """The commitment of the last output that holds one, per BIP141."""
    for script in reversed(scripts):
        if len(script) >= WITNESS_COMMITMENT_SIZE and script.startswith(WITNESS_COMMITMENT_HEAD):
            return script[len(WITNESS_COMMITMENT_HEAD) : WITNESS_COMMITMENT_SIZE]
    return None
