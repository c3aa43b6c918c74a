"""The closed list of module rejection reasons (spec §15.3).

A number is part of the consensus encoding of a rejected publish; numbers are never reused
or renumbered, a later version may only append. When a module fails several checks, the
reason is that of the first check that fails in the order of spec §15.3.
"""

from __future__ import annotations

from enum import IntEnum


class WasmReason(IntEnum):
    MODULE_TOO_LARGE = 1
    BAD_HEADER = 2
    MALFORMED = 3
    UNSUPPORTED_SECTION = 4
    FLOAT_TYPE = 5
    UNSUPPORTED_TYPE = 6
    MULTI_VALUE = 7
    FLOAT_INSTRUCTION = 8
    UNSUPPORTED_INSTRUCTION = 9
    IMPORT_NOT_ALLOWED = 10
    IMPORT_SIGNATURE = 11
    MEMORY = 12
    TABLE = 13
    GLOBAL = 14
    EXPORT = 15
    ENTRY_TYPE = 16
    START = 17
    INVALID_INDEX = 18
    DATA_SEGMENT = 19
    ELEMENT_SEGMENT = 20
    INVALID_CODE = 21
    TOO_MANY_TYPES = 22
    TOO_MANY_FUNCTIONS = 23
    TOO_MANY_GLOBALS = 24
    TOO_MANY_LOCALS = 25
    BODY_TOO_LARGE = 26
    STACK_TOO_HIGH = 27
    NESTING_TOO_DEEP = 28
    TOO_MANY_DATA_SEGMENTS = 29
    TOO_MANY_ELEMENTS = 30
    TOO_MANY_PARAMS = 31

    @property
    def label(self) -> str:
        """The lower-case name used in JSON vectors and the API."""
        return self.name.lower()


class WasmRejection(Exception):  # noqa: N818 - a rejection is an outcome, not an error
    """Raised inside the validator to abandon a module; carries its reason."""

    def __init__(self, reason: WasmReason, detail: str = "") -> None:
        super().__init__(f"{reason.label}: {detail}" if detail else reason.label)
        self.reason = reason
        self.detail = detail
