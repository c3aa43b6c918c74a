"""What can go wrong with the LMDB store, as exceptions an operator can act on.

Every message says what happened, where, and what to do; none of these leave the store
changed: a failed write transaction is aborted before the exception leaves the store.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class StoreNotFoundError(StoreError):
    """A reader asked for a store that no indexer has created yet."""


class StoreBusyError(StoreError):
    """Another process already has the store open for writing."""


class IncompatibleStoreError(StoreError):
    """The store was written by a different, incompatible layout version."""


class ChainMismatchError(StoreError):
    """The store holds the state of another network, chain or protocol version."""


class CorruptStoreError(StoreError):
    """The store's own records contradict each other."""


class InvalidEffectsError(StoreError):
    """A block's effects cannot be applied: wrong height, or they disagree with the store."""


class RollbackError(StoreError):
    """A rollback target the store cannot reach."""


class RollbackTooDeepError(RollbackError):
    """The undo records a rollback needs were pruned: the reorg is deeper than the undo depth."""


class RollbackBelowSnapshotError(RollbackTooDeepError):
    """The store was imported from a snapshot and the rollback goes below its height, where
    it never had undo: like a reorg deeper than the undo, only a rebuilt store recovers."""


class StoreWriteError(StoreError):
    """The file system refused a write (disk full, file size limit, I/O error).

    Nothing of the transaction was written: the store is intact at its previous tip.
    """
