"""A bounds-checked cursor over module bytes with the LEB128 rules of the binary format.

Every failure raises WasmRejection(MALFORMED); the validator never sees an IndexError.
Non-minimal LEB128 encodings are valid WebAssembly and are accepted (spec §15.2).
"""

from __future__ import annotations

from protocol.wasm.reasons import WasmReason, WasmRejection


def malformed(detail: str) -> WasmRejection:
    """The rejection for bytes that are not a well-formed WebAssembly binary."""
    return WasmRejection(WasmReason.MALFORMED, detail)


class Reader:
    """Reads ``data[pos:end]``; ``pos`` is an absolute offset into the module."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def at_end(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise malformed("unexpected end")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, length: int) -> bytes:
        if length > self.end - self.pos:
            raise malformed("unexpected end")
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return chunk

    def u32(self) -> int:
        return self._unsigned(32)

    def _unsigned(self, bits: int) -> int:
        result = 0
        shift = 0
        max_bytes = (bits + 6) // 7
        for index in range(max_bytes):
            value = self.byte()
            if index == max_bytes - 1 and value >> (bits - shift) != 0:
                raise malformed("integer too large")  # also catches a continuation bit
            result |= (value & 0x7F) << shift
            shift += 7
            if not value & 0x80:
                return result
        raise malformed("integer representation too long")  # pragma: no cover - see above

    def signed(self, bits: int) -> int:
        """A signed LEB128 of ``bits`` bits (32, 33 or 64), as a Python int."""
        result = 0
        shift = 0
        max_bytes = (bits + 6) // 7
        for index in range(max_bytes):
            value = self.byte()
            if index == max_bytes - 1:
                if value & 0x80:
                    raise malformed("integer representation too long")
                # The unused high bits of the last byte must all equal the sign bit.
                used = bits - shift
                rest = value >> (used - 1)
                if rest not in (0, (0x7F >> (used - 1))):
                    raise malformed("integer too large")
            result |= (value & 0x7F) << shift
            shift += 7
            if not value & 0x80:
                if value & 0x40:
                    result -= 1 << shift
                return result
        raise malformed("integer representation too long")  # pragma: no cover - see above

    def name(self, max_bytes: int) -> str:
        length = self.u32()
        if length > max_bytes:
            raise malformed("name too long")
        raw = self.take(length)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise malformed("name is not UTF-8") from None
