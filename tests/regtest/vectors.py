"""Real mainnet blocks from the shared data directory."""

from __future__ import annotations

from pathlib import Path

from bitcoin.core import CBlock

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def read_block(name: str) -> tuple[bytes, list[bytes]]:
    """A mainnet block from shared data as (80-byte header, raw transactions).

    Transactions are split with python-bitcoinlib so the code under test does not
    decide where each one ends.
    """
    raw = (SHARED_DATA / "blocks" / f"{name}.raw").read_bytes()
    block = CBlock.deserialize(raw)
    return raw[:80], [tx.serialize() for tx in block.vtx]
