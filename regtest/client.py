"""Typed calls the harness makes on a regtest node; the same on btcd and bitcoind."""

from __future__ import annotations

from typing import Any

from regtest.node import NodeInfo
from regtest.rpc import RpcClient
from regtest.tx import Tx

#: bitcoind's submitblock answers for a block it stored but did not make the tip, or already
#: had as valid: all leave the block known to the node. btcd answers None for all of these.
_SUBMIT_ACCEPTED = (None, "inconclusive", "duplicate", "duplicate-inconclusive")


class BlockRejectedError(Exception):
    def __init__(self, block_hash: str, reason: str) -> None:
        super().__init__(f"block {block_hash} rejected: {reason}")
        self.block_hash = block_hash
        self.reason = reason


class NodeRpc:
    def __init__(self, rpc: RpcClient) -> None:
        self.rpc = rpc

    @classmethod
    def connect(cls, info: NodeInfo) -> NodeRpc:
        return cls(info.rpc())

    def close(self) -> None:
        self.rpc.close()

    def call(self, method: str, *params: Any) -> Any:
        return self.rpc.call(method, *params)

    def best_block_hash(self) -> str:
        result: str = self.rpc.call("getbestblockhash")
        return result

    def block_count(self) -> int:
        result: int = self.rpc.call("getblockcount")
        return result

    def block_hash(self, height: int) -> str:
        result: str = self.rpc.call("getblockhash", height)
        return result

    def header(self, block_hash: str) -> dict[str, Any]:
        result: dict[str, Any] = self.rpc.call("getblockheader", block_hash, True)
        return result

    def block_hex(self, block_hash: str) -> str:
        result: str = self.rpc.call("getblock", block_hash, 0)
        return result

    def block_tx_ids(self, block_hash: str) -> list[str]:
        block: dict[str, Any] = self.rpc.call("getblock", block_hash, 1)
        return list(block["tx"])

    def submit_block(self, block_hash: str, raw_block: bytes) -> None:
        result = self.rpc.call("submitblock", raw_block.hex())
        if result not in _SUBMIT_ACCEPTED:
            raise BlockRejectedError(block_hash, str(result))

    def send_raw_transaction(self, tx: Tx) -> str:
        result: str = self.rpc.call("sendrawtransaction", tx.hex())
        return result

    def get_raw_transaction(self, txid_hex: str) -> Tx:
        return Tx.from_hex(self.rpc.call("getrawtransaction", txid_hex, 0))

    def mempool_txids(self) -> list[str]:
        result: list[str] = self.rpc.call("getrawmempool")
        return result

    def taproot_active(self) -> bool:
        """Whether the next block must obey BIP341/342, as the node itself reports it."""
        info: dict[str, Any] = self.rpc.call("getblockchaininfo")
        # btcd: BIP9 state of every deployment under "bip9_softforks".
        bip9 = info.get("bip9_softforks") or {}
        if "taproot" in bip9:
            return bool(bip9["taproot"].get("status") == "active")
        # bitcoind up to 22: "softforks" in getblockchaininfo.
        softforks = info.get("softforks") or {}
        if "taproot" in softforks:
            return bool(softforks["taproot"].get("active"))
        # bitcoind 23+: getdeploymentinfo reports for the tip's successor.
        deployments = self.rpc.call("getdeploymentinfo").get("deployments", {})
        return bool(deployments.get("taproot", {}).get("active"))
