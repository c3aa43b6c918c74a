"""The block clock: header time and median time past (spec/CONTRACTS.md §17.5).

The state keeps the header times of the last ``CLOCK_WINDOW - 1`` blocks applied under key
``09`` (§14.3), so the machine computes a block's median time past from its own state and
the block's 80-byte header alone, with no input from outside the chain it has applied.
"""

from __future__ import annotations

#: §17.5: the median time past is taken over this many header times (Bitcoin's, BIP113).
CLOCK_WINDOW = 11
#: Keys under which TxContext.block carries the clock to the host functions (§17.5).
BLOCK_TIME = "block_time"
BLOCK_MEDIAN_TIME = "block_median_time"
HEADER_LEN = 80
TIME_OFFSET = 68


def header_time(header: bytes) -> int:
    """§17.5: the header's nTime, a u32 little-endian at bytes 68-71 of the 80-byte header."""
    if len(header) != HEADER_LEN:
        raise ValueError(f"a block header is {HEADER_LEN} bytes, not {len(header):,}")
    return int.from_bytes(header[TIME_OFFSET : TIME_OFFSET + 4], "little")


def decode_times(value: bytes | None) -> list[int]:
    """§14.3: the ``09`` value, header times as u32 big-endian, oldest first."""
    if value is None:
        return []
    return [int.from_bytes(value[i : i + 4], "big") for i in range(0, len(value), 4)]


def encode_times(times: list[int]) -> bytes:
    return b"".join(t.to_bytes(4, "big") for t in times)


def median_time(times: list[int]) -> int:
    """§17.5: sort ascending and take the element at index ⌊count / 2⌋ (Bitcoin Core's
    GetMedianTimePast, so the upper median when the count is even)."""
    ordered = sorted(times)
    return ordered[len(ordered) // 2]


def advance(stored: bytes | None, time: int) -> tuple[int, bytes]:
    """§17.5: the median time past of a block with header time ``time`` given the ``09``
    value before it, and the ``09`` value after it (the last CLOCK_WINDOW - 1 times)."""
    window = [*decode_times(stored), time][-CLOCK_WINDOW:]
    return median_time(window), encode_times(window[-(CLOCK_WINDOW - 1) :])
