"""The snapshot file: the state at one block, what it claims about itself, and a checksum.

Layout (integers big-endian; spec §26 describes what an importer checks)::

    magic        8    b"RSTSNAP" + format version (1)
    header       240  network (16, ASCII, zero-padded) | activation height u32 |
                      protocol version u32 | genesis hash (32) | height u32 |
                      block hash (32, internal order) | previous state hash (32) |
                      events hash (32) | event count u32 | state hash (32) |
                      state root (32) | state entries u64 | output entries u64
    state entry  *    key length u16 | value length u32 | key | value   (keys ascending)
    output entry *    outpoint (36) | script length u32 | scriptPubKey  (outpoints ascending)
    checksum     32   SHA-256 of every byte before it

The state entries are the state of spec §9 after the block: what the root commits to. The
output entries are the scriptPubKeys of asset-carrying outpoints, which the address index
needs and the state does not hold; they come from the chain, not from the root, so an importer
takes them on the snapshot's word (a node's ``gettxout`` can confirm any of them).

:func:`read_snapshot` checks every length, the order, the counts and the checksum, and raises
:class:`SnapshotError` naming what failed; it never yields a value from a file that turns out
corrupt, since the checksum is checked before anything is returned.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAGIC = b"RSTSNAP\x01"
HEADER = struct.Struct(">16sII32sI32s32s32sI32s32sQQ")
STATE_HEAD = struct.Struct(">HI")
OUTPUT_HEAD = struct.Struct(">36sI")
CHECKSUM_LEN = 32
MAX_VALUE_LEN = 1 << 24


class SnapshotError(Exception):
    """A snapshot file that is truncated, corrupt, or not what it claims."""


@dataclass(frozen=True)
class SnapshotHeader:
    network: str
    activation_height: int
    protocol_version: int
    genesis_hash: bytes
    height: int
    block_hash: bytes
    previous_state_hash: bytes
    events_hash: bytes
    event_count: int
    state_hash: bytes
    state_root: bytes
    state_entries: int
    output_entries: int

    def encode(self) -> bytes:
        return HEADER.pack(
            self.network.encode("ascii").ljust(16, b"\x00"),
            self.activation_height,
            self.protocol_version,
            self.genesis_hash,
            self.height,
            self.block_hash,
            self.previous_state_hash,
            self.events_hash,
            self.event_count,
            self.state_hash,
            self.state_root,
            self.state_entries,
            self.output_entries,
        )

    @classmethod
    def decode(cls, data: bytes) -> SnapshotHeader:
        network, *rest = HEADER.unpack(data)
        try:
            name = network.rstrip(b"\x00").decode("ascii")
        except UnicodeDecodeError:
            raise SnapshotError("the snapshot header's network name is not ASCII") from None
        return cls(name, *rest)


def write_snapshot(
    path: Path,
    header: SnapshotHeader,
    state: Iterable[tuple[bytes, bytes]],
    outputs: Iterable[tuple[bytes, bytes]],
) -> int:
    """Write the snapshot to ``path`` (through a temporary file renamed at the end, so a
    crash never leaves half a snapshot under that name); returns its size in bytes."""
    temporary = path.with_name(path.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    counts = [0, 0]
    with temporary.open("wb") as out:

        def put(data: bytes) -> None:
            nonlocal size
            digest.update(data)
            out.write(data)
            size += len(data)

        put(MAGIC)
        put(header.encode())
        for key, value in state:
            put(STATE_HEAD.pack(len(key), len(value)) + key + value)
            counts[0] += 1
        for outpoint, script in outputs:
            put(OUTPUT_HEAD.pack(outpoint, len(script)) + script)
            counts[1] += 1
        if counts != [header.state_entries, header.output_entries]:
            raise SnapshotError(
                f"wrote {counts[0]:,} state and {counts[1]:,} output entries, the header "
                f"says {header.state_entries:,} and {header.output_entries:,}"
            )
        out.write(digest.digest())
        out.flush()
    temporary.replace(path)
    return size + CHECKSUM_LEN


class _Reader:
    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        self._name = name
        self.digest = hashlib.sha256()
        self.offset = 0

    def take(self, length: int, what: str) -> bytes:
        data = self._stream.read(length)
        if len(data) != length:
            raise SnapshotError(
                f"snapshot {self._name} is truncated: it ends at byte {self.offset + len(data):,}"
                f" inside {what}"
            )
        self.digest.update(data)
        self.offset += length
        return data


@dataclass(frozen=True)
class Snapshot:
    header: SnapshotHeader
    state: list[tuple[bytes, bytes]]
    outputs: list[tuple[bytes, bytes]]


def read_snapshot(path: Path) -> Snapshot:
    """The whole snapshot at ``path``, checked; SnapshotError naming what failed."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc.strerror}") from None
    with stream:
        reader = _Reader(stream, str(path))
        if reader.take(len(MAGIC), "the magic") != MAGIC:
            raise SnapshotError(f"{path} is not a rootstate snapshot of format 1")
        header = SnapshotHeader.decode(reader.take(HEADER.size, "the header"))
        state = list(_state_entries(reader, header.state_entries))
        outputs = list(_output_entries(reader, header.output_entries))
        expected = reader.digest.digest()
        checksum = stream.read(CHECKSUM_LEN)
        if len(checksum) != CHECKSUM_LEN:
            raise SnapshotError(f"snapshot {path} is truncated: its checksum is missing")
        if stream.read(1):
            raise SnapshotError(f"snapshot {path} has bytes after its checksum")
        if checksum != expected:
            raise SnapshotError(
                f"snapshot {path} is corrupt: its checksum does not match its contents"
            )
    return Snapshot(header, state, outputs)


def _state_entries(reader: _Reader, count: int) -> Iterator[tuple[bytes, bytes]]:
    previous = b""
    for n in range(count):
        key_len, value_len = STATE_HEAD.unpack(reader.take(STATE_HEAD.size, f"state entry {n:,}"))
        if not key_len or value_len > MAX_VALUE_LEN:
            raise SnapshotError(f"state entry {n:,} has a key or value length out of range")
        key = reader.take(key_len, f"state entry {n:,}")
        if key <= previous:
            raise SnapshotError(f"state entry {n:,} is out of order or repeated")
        previous = key
        yield key, reader.take(value_len, f"state entry {n:,}")


def _output_entries(reader: _Reader, count: int) -> Iterator[tuple[bytes, bytes]]:
    previous = b""
    for n in range(count):
        outpoint, script_len = OUTPUT_HEAD.unpack(
            reader.take(OUTPUT_HEAD.size, f"output entry {n:,}")
        )
        if outpoint <= previous or script_len > MAX_VALUE_LEN:
            raise SnapshotError(f"output entry {n:,} is out of order or too long")
        previous = outpoint
        yield outpoint, reader.take(script_len, f"output entry {n:,}")
