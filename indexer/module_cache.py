"""The on-disk cache of compiled contract modules, so a restart does not recompile them.

Each file holds one engine artefact (wasmtime's serialized machine code) under the engine's
cache key, which is the code hash followed by the engine fingerprint (wasmtime release,
engine configuration, instrumentation version): a new engine or configuration never reads
an older artefact, it compiles and writes its own. File layout (``<key hex>.cwasm``)::

    magic (8, b"RSMOD\\x00\\x00\\x01") | cache key (64) | sha256(artefact) (32) | artefact

Loading checks all three before the engine sees a byte, so a truncated, corrupted or
renamed file is dropped and the module recompiled: never a crash, never another module's
code. The artefact is trusted native code once the checks pass, so the directory must be
as private as the store. Writes go to a temporary file renamed into place (a crash leaves
the old file or none).

Every artefact of the running engine stays: modules are compiled when their publish is
applied (paid for by the publish's fuel) and every published module stays callable, so
evicting one would let an attacker who calls many distinct modules make the indexer
compile again, unpaid, every block. The directory is bounded by ``max_bytes`` all the same:
to make room, the owner deletes only artefacts of *other* engine fingerprints (a previous
wasmtime release or configuration, which this engine never reads), least recently used
first (by modification time, refreshed on every load); when those are gone and a new
artefact still does not fit, it is not written (logged), and that module is compiled again
after a restart.

One process owns a directory: the indexer, which writes, evicts and removes leftover
temporary files. Others (the API's heavy-work processes, which simulate calls) open it
``read_only``: they load with every check above and otherwise never touch the directory
(no write, no eviction, no cleanup, no creation, no modification-time refresh), so the
owner's bound and LRU order are its own. Since the owner only ever renames whole files into
place or deletes them, a reader sees a whole file or none; a file evicted between two loads
is simply absent, which means compile, as does a damaged one (left where it is).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"RSMOD\x00\x00\x01"
KEY_LEN = 64
FINGERPRINT_AT = 32  # a key is the code hash (32) then the engine fingerprint (32)
_HEAD_LEN = len(MAGIC) + KEY_LEN + 32
SUFFIX = ".cwasm"
_TMP_PREFIX = ".tmp-"


@dataclass(frozen=True, slots=True)
class ModuleCacheConfig:
    directory: Path
    max_bytes: int  # the directory's bound; 0 disables the cache
    read_only: bool = False  # load only: another process owns the directory (see above)

    def __post_init__(self) -> None:
        if self.max_bytes < 0:
            raise ValueError("max_bytes must be 0 (off) or more")


class ModuleCache:
    """Artefacts by cache key in one directory; see the module docstring."""

    def __init__(self, config: ModuleCacheConfig) -> None:
        self.config = config
        self._sizes: dict[str, int] = {}  # file name -> size of the files we know of
        self._enabled = config.max_bytes > 0
        if self._enabled and not config.read_only:
            try:
                config.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                for path in config.directory.iterdir():
                    if path.name.startswith(_TMP_PREFIX):
                        path.unlink(missing_ok=True)  # left by a crash mid-write
                    elif path.suffix == SUFFIX:
                        self._sizes[path.name] = path.stat().st_size
            except OSError as exc:
                log.warning(
                    "module cache %s unusable, compiling instead: %s", config.directory, exc
                )
                self._enabled = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def writable(self) -> bool:
        """Whether :meth:`store` keeps what it is given (enabled and not read-only)."""
        return self._enabled and not self.config.read_only

    @property
    def total_bytes(self) -> int:
        return sum(self._sizes.values())

    def _path(self, key: bytes) -> Path:
        if len(key) != KEY_LEN:
            raise ValueError(f"a cache key is {KEY_LEN} bytes, not {len(key)}")
        return self.config.directory / (key.hex() + SUFFIX)

    def load(self, key: bytes) -> bytes | None:
        """The artefact stored under ``key``, or None (absent, or damaged: dropped unless
        read-only)."""
        if not self.enabled:
            return None
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:  # absent, or the directory is unreadable: compile instead
            self._sizes.pop(path.name, None)
            return None
        artefact = raw[_HEAD_LEN:]
        if (
            raw[: len(MAGIC)] != MAGIC
            or raw[len(MAGIC) : len(MAGIC) + KEY_LEN] != key
            or raw[len(MAGIC) + KEY_LEN : _HEAD_LEN] != hashlib.sha256(artefact).digest()
        ):
            what = "ignoring" if self.config.read_only else "dropping"
            log.warning("%s the damaged compiled-module file %s; recompiling", what, path.name)
            self.discard(key)
            return None
        if not self.config.read_only:
            os.utime(path)  # the eviction order is least recently used
        return artefact

    def discard(self, key: bytes) -> None:
        """Delete the file under ``key``; a read-only cache leaves it to the directory's owner."""
        path = self._path(key)
        if self.config.read_only:
            return
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s from the module cache: %s", path, exc)
        self._sizes.pop(path.name, None)

    def store(self, key: bytes, artefact: bytes) -> None:
        """Make room (only at the expense of other fingerprints' artefacts), then write
        atomically. An OSError (full disk, read-only directory) only costs a recompile
        later, so it is logged, not raised."""
        if not self.writable:
            return
        path = self._path(key)
        data = MAGIC + key + hashlib.sha256(artefact).digest() + artefact
        self._evict_others(key[FINGERPRINT_AT:].hex(), len(data))
        if self.total_bytes - self._sizes.get(path.name, 0) + len(data) > self.config.max_bytes:
            log.warning(
                "the module cache holds %s bytes of live modules; a compiled module of %s "
                "bytes does not fit its %s bytes and is not cached",
                f"{self.total_bytes:,}",
                f"{len(data):,}",
                f"{self.config.max_bytes:,}",
            )
            return
        try:
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=self.config.directory)
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("could not write the compiled-module cache %s: %s", path, exc)
            return
        self._sizes[path.name] = len(data)

    def _evict_others(self, fingerprint: str, needed: int) -> None:
        """Delete artefacts whose key does not end in ``fingerprint`` (hex), least recently
        used first, until ``needed`` more bytes fit the bound or none is left."""
        total = self.total_bytes
        if total + needed <= self.config.max_bytes:
            return
        ages = []
        for name in self._sizes:
            if name.removesuffix(SUFFIX).endswith(fingerprint):
                continue  # this engine's: never evicted (see the module docstring)
            try:
                ages.append(((self.config.directory / name).stat().st_mtime_ns, name))
            except FileNotFoundError:
                ages.append((0, name))
        for _, name in sorted(ages):
            if total + needed <= self.config.max_bytes:
                break
            try:
                (self.config.directory / name).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not evict %s from the module cache: %s", name, exc)
                continue
            total -= self._sizes.pop(name)
            log.info("evicted compiled module %s from the module cache", name[:16])
