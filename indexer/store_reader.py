"""Read-only access to a store, for processes that serve it (the API) beside the indexer.

LMDB gives every read transaction a snapshot as of its start, so readers never block the
writer and always see a block boundary. Open at most one Store or StoreReader per path
per process (LMDB's locks are per process); threads share it through :meth:`read`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self, TypeVar

import lmdb

from indexer.store_config import ChainIdentity, StoreConfig
from indexer.store_errors import (
    ChainMismatchError,
    CorruptStoreError,
    IncompatibleStoreError,
    StoreError,
    StoreNotFoundError,
)
from indexer.store_schema import (
    DB_NAMES,
    META_ACTIVATION,
    META_GENESIS,
    META_NETWORK,
    META_PROTOCOL,
    META_SCHEMA,
    SCHEMA_VERSION,
    U32,
    Tip,
)
from indexer.store_view import Databases, PinnedTxn, StoreView, Txn
from protocol.params import Network

T = TypeVar("T")
log = logging.getLogger(__name__)


class ReadGate:
    """Counts this process's open read transactions, so that growing the map can wait for
    none to be open (LMDB cannot resize the map under an open transaction)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._exclusive = False

    def enter(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: not self._exclusive)
            self._readers += 1

    def leave(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    @contextmanager
    def exclusive(self, timeout: float, what: str) -> Iterator[None]:
        with self._cond:
            if not self._cond.wait_for(lambda: not self._exclusive and not self._readers, timeout):
                raise StoreError(
                    f"{what}: waited {timeout:,.0f} s for {self._readers:,} read transaction(s) "
                    "of this process to end; readers must keep their transactions short"
                )
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


def write_identity(txn: Txn, dbs: Databases, identity: ChainIdentity) -> None:
    txn.put(META_SCHEMA, U32.pack(SCHEMA_VERSION), db=dbs.meta)
    txn.put(META_NETWORK, identity.network.value.encode("ascii"), db=dbs.meta)
    txn.put(META_ACTIVATION, U32.pack(identity.activation_height), db=dbs.meta)
    txn.put(META_PROTOCOL, U32.pack(identity.protocol_version), db=dbs.meta)
    txn.put(META_GENESIS, identity.genesis_hash, db=dbs.meta)


def read_identity(txn: Txn, dbs: Databases, path: object) -> ChainIdentity:
    """The identity recorded at creation; errors if the store is not one this code reads."""
    schema = txn.get(META_SCHEMA, db=dbs.meta)
    if schema is None:
        raise IncompatibleStoreError(f"{path} holds an LMDB environment that is not a store")
    if U32.unpack(schema)[0] != SCHEMA_VERSION:
        raise IncompatibleStoreError(
            f"store at {path} has layout version {U32.unpack(schema)[0]}, this indexer "
            f"reads version {SCHEMA_VERSION}: resync into a new store path"
        )
    try:
        return ChainIdentity(
            network=Network(txn.get(META_NETWORK, b"", db=dbs.meta).decode("ascii")),
            activation_height=U32.unpack(txn.get(META_ACTIVATION, b"", db=dbs.meta))[0],
            protocol_version=U32.unpack(txn.get(META_PROTOCOL, b"", db=dbs.meta))[0],
            genesis_hash=txn.get(META_GENESIS, b"", db=dbs.meta),
        )
    except (ValueError, TypeError) as exc:
        raise CorruptStoreError(f"store at {path} has unreadable metadata: {exc}") from exc


def check_identity(stored: ChainIdentity, expected: ChainIdentity, path: object) -> None:
    if stored.network != expected.network:
        raise ChainMismatchError(
            f"wrong network: the store at {path} holds {stored.network.value} state, but the "
            f"node is on {expected.network.value}; use a store path for "
            f"{expected.network.value}"
        )
    if stored.genesis_hash != expected.genesis_hash:
        raise ChainMismatchError(
            f"chain mismatch: the store at {path} was built from the chain whose genesis block "
            f"is {stored.genesis_hash[::-1].hex()}, but the node's genesis block is "
            f"{expected.genesis_hash[::-1].hex()}; use a new store path for this chain"
        )
    for what, had, wanted in (
        ("activation height", stored.activation_height, expected.activation_height),
        ("protocol version", stored.protocol_version, expected.protocol_version),
    ):
        if had != wanted:
            raise ChainMismatchError(
                f"the store at {path} was built with {what} {had:,}, but this indexer uses "
                f"{wanted:,}; resync into a new store path"
            )


class StoreReader:
    """A store opened for reading; :class:`indexer.store.Store` adds writing."""

    def __init__(
        self, config: StoreConfig, env: lmdb.Environment, dbs: Databases, identity: ChainIdentity
    ) -> None:
        self._config = config
        self._env = env
        self._dbs = dbs
        self._gate = ReadGate()
        self.identity = identity

    @property
    def path(self) -> str:
        return str(self._config.path)

    @property
    def config(self) -> StoreConfig:
        return self._config

    @contextmanager
    def read(self) -> Iterator[StoreView]:
        """A snapshot of the store as of the last committed block; keep the block short."""
        txn = self._begin_read()
        try:
            yield StoreView(PinnedTxn(txn), self._dbs)
        finally:
            txn.abort()
            self._gate.leave()

    def tip(self) -> Tip | None:
        with self.read() as view:
            return view.tip()

    def close(self) -> None:
        self._env.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _begin_read(self) -> Txn:
        while True:
            self._gate.enter()
            try:
                return self._env.begin()
            except lmdb.MapResizedError:
                self._gate.leave()
            except BaseException:
                self._gate.leave()
                raise
            # The writer (another process) grew the map: adopt its size, then try again.
            with self._gate.exclusive(self._config.grow_wait_seconds, "adopting a grown map"):
                self._env.set_mapsize(0)
            log.info(
                "adopted the map the writer grew: %s bytes", f"{self._env.info()['map_size']:,}"
            )


def open_reader(config: StoreConfig, identity: ChainIdentity | None = None) -> StoreReader:
    """Open an existing store read-only; with ``identity``, refuse a store of another chain."""
    if not (config.path / "data.mdb").is_file():
        raise StoreNotFoundError(
            f"no store at {config.path}: the indexer creates it on its first run"
        )
    env = lmdb.open(
        str(config.path),
        map_size=config.initial_map_size,
        max_dbs=len(DB_NAMES),
        max_readers=config.max_readers,
        readonly=True,
    )
    try:
        try:
            dbs = _adopting_growth(env, lambda: Databases.open(env, None, create=False))
        except lmdb.NotFoundError:
            raise IncompatibleStoreError(
                f"{config.path} holds an LMDB environment that is not a store"
            ) from None
        txn = _adopting_growth(env, env.begin)
        try:
            stored = read_identity(txn, dbs, config.path)
        finally:
            txn.abort()
        if identity is not None:
            check_identity(stored, identity, config.path)
    except BaseException:
        env.close()
        raise
    return StoreReader(config, env, dbs, stored)


def _adopting_growth(env: lmdb.Environment, step: Callable[[], T]) -> T:
    """Run ``step``; if the writer grew the map meanwhile, adopt its size and run it again."""
    try:
        return step()
    except lmdb.MapResizedError:
        env.set_mapsize(0)
        return step()
