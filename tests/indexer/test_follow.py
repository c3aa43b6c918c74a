"""Follower messages that an operator reads."""

from __future__ import annotations

from indexer.follow import blocks_text


def test_block_counts_read_as_english() -> None:
    assert blocks_text(1) == "1 block"
    assert blocks_text(0) == "0 blocks"
    assert blocks_text(2) == "2 blocks"
    assert blocks_text(1_000) == "1,000 blocks"
