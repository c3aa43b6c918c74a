"""The offer book: signed offers (spec/OFFERS.md) the API has checked and keeps for buyers.

Offers are not consensus state: nothing here enters the store, the state root or a proof,
and two indexers may hold different books. So the book is its own small LMDB environment,
in a directory beside the store's (``<store>-offers``), written by the API while the store
stays read-only to it. It is bounded, because anyone who holds a token UTXO can submit: at
most ``capacity`` offers (one per outpoint, a newer one replacing the older), each record of
at most :data:`MAX_RECORD_BYTES` and indexed under at most :data:`MAX_OFFER_ASSETS` assets.
When the book is full, offers whose outpoints are spent are pruned first; only if none is,
a new offer is refused. That prune reads the store once per offer on the event loop, so it
runs at most once per :data:`PRUNE_INTERVAL` seconds: a flood of submissions against a full
book is refused at once instead of making every one of them scan the book.

Databases: ``offers`` maps an outpoint (36 bytes, protocol form) to the offer's CBOR
record; ``by_asset`` holds ``len(asset) ‖ asset ‖ outpoint`` keys (empty values), so the
offers of one asset are a prefix scan in outpoint order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cbor2
import lmdb

from api.offer_sig import SignedInput
from protocol.cbor import encode_canonical

#: Enough for a busy market; a full book costs at most a few tens of megabytes.
DEFAULT_CAPACITY = 10_000
MAX_RECORD_BYTES = 1_024
MAX_OFFER_ASSETS = 64
MAP_SIZE = 256 << 20
PRUNE_INTERVAL = 10.0
OUTPOINT_LEN = 36


class OfferBookFullError(Exception):
    """The book holds ``capacity`` open offers."""


@dataclass(frozen=True)
class Offer:
    """A checked offer: the signed input with its witness, and the assets (token ids,
    contract asset ids) the outpoint carried when the offer was accepted."""

    signed: SignedInput
    witness: tuple[bytes, ...]
    assets: tuple[bytes, ...]

    @property
    def outpoint(self) -> bytes:
        return self.signed.outpoint

    def encode(self) -> bytes:
        s = self.signed
        fields = [s.value, s.script, s.sequence, s.price, s.pay_script]
        return encode_canonical([*fields, list(self.witness), list(self.assets)])

    @classmethod
    def decode(cls, outpoint: bytes, raw: bytes) -> Offer:
        value, script, sequence, price, pay_script, witness, assets = cbor2.loads(raw)
        signed = SignedInput(outpoint, value, script, sequence, price, pay_script)
        return cls(signed, tuple(witness), tuple(assets))


def book_path(store_path: Path) -> Path:
    """Beside the store, never inside it: snapshots and checks of the store leave it alone."""
    return store_path.with_name(store_path.name + "-offers")


def _asset_key(asset: bytes, outpoint: bytes = b"") -> bytes:
    return bytes((len(asset),)) + asset + outpoint


class OfferBook:
    def __init__(
        self,
        path: Path,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.capacity = capacity
        self._clock = clock
        self._pruned_at: float | None = None
        self._env = lmdb.open(str(path), map_size=MAP_SIZE, max_dbs=2)
        self._offers = self._env.open_db(b"offers")
        self._by_asset = self._env.open_db(b"by_asset")

    def close(self) -> None:
        self._env.close()

    def __len__(self) -> int:
        with self._env.begin() as txn:
            count: int = txn.stat(self._offers)["entries"]
            return count

    def get(self, outpoint: bytes) -> Offer | None:
        with self._env.begin() as txn:
            raw = txn.get(outpoint, db=self._offers)
        return None if raw is None else Offer.decode(outpoint, raw)

    def put(self, offer: Offer, is_open: Callable[[bytes], bool]) -> None:
        """Add ``offer`` (replacing one on the same outpoint). When full, prune the offers
        ``is_open`` says are spent; raise :class:`OfferBookFullError` if that frees none."""
        raw = offer.encode()
        if len(raw) > MAX_RECORD_BYTES or len(offer.assets) > MAX_OFFER_ASSETS:
            raise ValueError("offer record over the book's bounds")
        if self.get(offer.outpoint) is None and len(self) >= self.capacity:
            now = self._clock()
            if self._pruned_at is None or now - self._pruned_at >= PRUNE_INTERVAL:
                self._pruned_at = now
                self.prune(is_open)
            if len(self) >= self.capacity:
                raise OfferBookFullError
        with self._env.begin(write=True) as txn:
            self._delete(txn, offer.outpoint)
            txn.put(offer.outpoint, raw, db=self._offers)
            for asset in offer.assets:
                txn.put(_asset_key(asset, offer.outpoint), b"", db=self._by_asset)

    def _delete(self, txn: lmdb.Transaction, outpoint: bytes) -> None:
        raw = txn.get(outpoint, db=self._offers)
        if raw is None:
            return
        for asset in Offer.decode(outpoint, bytes(raw)).assets:
            txn.delete(_asset_key(asset, outpoint), db=self._by_asset)
        txn.delete(outpoint, db=self._offers)

    def remove(self, outpoints: list[bytes]) -> None:
        if not outpoints:
            return
        with self._env.begin(write=True) as txn:
            for outpoint in outpoints:
                self._delete(txn, outpoint)

    def prune(self, is_open: Callable[[bytes], bool]) -> int:
        """Remove every offer whose outpoint ``is_open`` says is spent; return how many."""
        with self._env.begin() as txn:
            gone = [key for key, _ in txn.cursor(db=self._offers) if not is_open(bytes(key))]
        self.remove(gone)
        return len(gone)

    def of_asset(self, asset: bytes, after: bytes | None, count: int) -> list[Offer]:
        """Up to ``count`` offers indexed under ``asset``, in outpoint order, after outpoint
        ``after``. A list, not a generator: the read transaction ends before the caller
        prunes (a write)."""
        prefix = _asset_key(asset)
        found: list[Offer] = []
        with self._env.begin() as txn:
            cursor = txn.cursor(db=self._by_asset)
            # Keys are prefix ‖ 36-byte outpoint: ``after ‖ ff`` sorts just past ``after``.
            start = prefix if after is None else prefix + after + b"\xff"
            if not cursor.set_range(start):
                return found
            for key in cursor.iternext(values=False):
                if not key.startswith(prefix) or len(found) >= count:
                    break
                outpoint = bytes(key[len(prefix) :])
                raw = txn.get(outpoint, db=self._offers)
                if raw is not None:
                    found.append(Offer.decode(outpoint, raw))
        return found
