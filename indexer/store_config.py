"""Opening a store: its settings (:class:`StoreConfig`) and its chain (:class:`ChainIdentity`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.store_schema import HASH_LEN
from protocol.params import PROTOCOL_VERSION, Network, NetworkParams

#: The shallowest undo depth the store accepts: a reorg deeper than the undo depth can only be
#: repaired by a resync, so a depth below the usual confirmation count would be reckless.
MIN_UNDO_DEPTH = 6

#: Undo kept by default: far deeper than any reorg Bitcoin has seen (the deepest, in 2010 and
#: 2013, were tens of blocks), and cheap, since an undo record holds only what a block changed.
DEFAULT_UNDO_DEPTH = 1_000

#: LMDB needs a few pages per named database before it holds any data.
MIN_MAP_SIZE = 64 * 1024

#: The map is virtual address space, not disk: starting large only avoids early growth steps.
DEFAULT_MAP_SIZE = 1 << 30


def _require_int(owner: str, name: str, value: object, minimum: int, why: str = "") -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{owner}.{name} must be an integer >= {minimum:,}{reason}, got {value!r}")


@dataclass(frozen=True)
class StoreConfig:
    """Where the store lives and how it behaves; validated on construction.

    ``grow_wait_seconds`` bounds how long growing the map waits for this process's read
    transactions to end (LMDB cannot resize under an open transaction), so readers must
    keep their transactions short.
    """

    path: Path
    undo_depth: int = DEFAULT_UNDO_DEPTH
    initial_map_size: int = DEFAULT_MAP_SIZE
    max_readers: int = 126
    grow_wait_seconds: float = 60.0

    def __post_init__(self) -> None:
        if not isinstance(self.path, Path):
            raise ValueError(f"StoreConfig.path must be a pathlib.Path, got {self.path!r}")
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"StoreConfig.path {self.path} exists and is not a directory")
        _require_int(
            "StoreConfig",
            "undo_depth",
            self.undo_depth,
            MIN_UNDO_DEPTH,
            "a reorg deeper than the undo depth needs a resync from scratch",
        )
        _require_int("StoreConfig", "initial_map_size", self.initial_map_size, MIN_MAP_SIZE)
        _require_int("StoreConfig", "max_readers", self.max_readers, 1)
        wait = self.grow_wait_seconds
        if isinstance(wait, bool) or not isinstance(wait, int | float) or not wait > 0:
            raise ValueError(f"StoreConfig.grow_wait_seconds must be a number > 0, got {wait!r}")


@dataclass(frozen=True)
class ChainIdentity:
    """What a store's state was derived from; a store refuses to open for anything else.

    ``genesis_hash`` is the node's block 0 hash in internal byte order (as hashed; RPC hex
    shows it reversed): it tells apart chains that share a network name, such as two regtests.
    """

    network: Network
    activation_height: int
    protocol_version: int
    genesis_hash: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.network, Network):
            raise ValueError(f"ChainIdentity.network must be a Network, got {self.network!r}")
        _require_int("ChainIdentity", "activation_height", self.activation_height, 0)
        _require_int("ChainIdentity", "protocol_version", self.protocol_version, 1)
        if not isinstance(self.genesis_hash, bytes) or len(self.genesis_hash) != HASH_LEN:
            raise ValueError(
                f"ChainIdentity.genesis_hash must be {HASH_LEN} bytes, got {self.genesis_hash!r}"
            )

    @classmethod
    def for_network(cls, params: NetworkParams, genesis_hash: bytes) -> ChainIdentity:
        """The identity of this protocol version on ``params``'s network."""
        return cls(params.network, params.activation_height, PROTOCOL_VERSION, genesis_hash)
