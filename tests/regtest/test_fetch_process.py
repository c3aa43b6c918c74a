"""The block fetch process against real nodes: the bytes and layouts the follow loop gets
for a long range are the node's blocks and the scanner's own walk of them (when sent walked)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from indexer.config import Config
from indexer.fetch_process import fetch_blocks_in_process
from indexer.node_settings import BlockNotFoundError
from indexer.node_thread import PROCESS_MIN_BLOCKS, NodeThread
from indexer.runtime import node_settings
from indexer.scan import layout_block
from protocol.params import Network
from regtest.client import NodeRpc
from regtest.launch import NodeKind
from regtest.mining import Miner
from regtest.node import RegtestNode
from tests.indexer.test_fetch_process import children
from tests.regtest.conftest import ANYONE_CAN_SPEND
from tests.regtest.e2e import module_node

pytestmark = pytest.mark.regtest


@pytest.fixture(scope="module")
def node(node_kind: NodeKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegtestNode]:
    with module_node(node_kind, tmp_path_factory, "fetch-process") as started:
        rpc = NodeRpc.connect(started.info)
        Miner(rpc, ANYONE_CAN_SPEND).mine(PROCESS_MIN_BLOCKS + 6)
        rpc.close()
        yield started


def _thread_config(node: RegtestNode) -> Config:
    info = node.info
    return Config(
        network=Network.REGTEST,
        rpc_url=info.rpc_url,
        rpc_user=info.rpc_user,
        rpc_password=info.rpc_password,
    )


def _thread(node: RegtestNode) -> NodeThread:
    return NodeThread(node_settings(_thread_config(node)))


def test_a_long_range_comes_from_the_fetch_process_with_layouts(node: RegtestNode) -> None:
    rpc = NodeRpc.connect(node.info)
    try:
        last = rpc.block_count()
        hashes = [bytes.fromhex(rpc.block_hash(h))[::-1] for h in range(1, last + 1)]
        raws = [bytes.fromhex(rpc.block_hex(rpc.block_hash(h))) for h in range(1, last + 1)]
    finally:
        rpc.close()
    assert last >= PROCESS_MIN_BLOCKS
    before = children()
    with _thread(node) as thread:
        blocks = thread.fetch(1, last, 8)
        fetched = []
        for _ in range(10):  # fall behind: the child walks what it sends meanwhile
            fetched.append(next(blocks))
            time.sleep(0.2)
        fetched += list(blocks)
    assert [b.height for b in fetched] == list(range(1, last + 1))
    assert [b.block_hash for b in fetched] == hashes
    assert [b.raw for b in fetched] == raws
    # A block sent while we were behind comes walked; one sent while we waited does not.
    walked = [b.layout is not None for b in fetched]
    assert any(walked) and not all(walked)
    for block, raw in zip(fetched, raws, strict=True):
        assert block.layout is None or block.layout == layout_block(raw)
    assert children() == before


def test_closing_a_long_range_early_ends_the_fetch_process(node: RegtestNode) -> None:
    before = children()
    with _thread(node) as thread:
        blocks = thread.fetch(1, PROCESS_MIN_BLOCKS + 5, 4)
        first = [next(blocks).height for _ in range(3)]
        assert children() != before, "a long range is fetched by a child process"
        blocks.close()
        assert children() == before
    assert first == [1, 2, 3]


def test_a_range_past_the_tip_ends_with_block_not_found_after_the_blocks_there_are(
    node: RegtestNode,
) -> None:
    """From Core, the heights REST does not serve are asked again over JSON-RPC (the child's
    fallback client, made on first need), which names the missing block; from btcd, which
    has no REST, the JSON-RPC client says the same."""
    rpc = NodeRpc.connect(node.info)
    try:
        last = rpc.block_count()
    finally:
        rpc.close()
    settings = node_settings(_thread_config(node))
    before = children()
    blocks = fetch_blocks_in_process(settings, last - 2, last + 3, 4, layout=True)
    heights = []
    with pytest.raises(BlockNotFoundError):
        for block in blocks:
            heights.append(block.height)
    assert heights == [last - 2, last - 1, last]
    assert children() == before
