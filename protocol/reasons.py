"""The closed list of rejection reason codes (spec §8).

A code's number is part of the consensus encoding of the ``rejected`` event; numbers are
never reused or renumbered. A later protocol version may only append.
"""

from __future__ import annotations

from enum import IntEnum


class Reason(IntEnum):
    MALFORMED_CARRIER = 1
    MALFORMED_ENVELOPE = 2
    MULTIPLE_CARRIERS = 3
    INVALID_CBOR = 4
    NON_CANONICAL_CBOR = 5
    FORBIDDEN_CBOR_ITEM = 6
    INVALID_MESSAGE = 7
    UNSUPPORTED_VERSION = 8
    UNKNOWN_OPERATION = 9
    INTEGER_OUT_OF_RANGE = 10
    INVALID_TICKER = 11
    TICKER_TAKEN = 12
    INVALID_DEPLOY = 13
    UNKNOWN_TOKEN = 14
    INVALID_AMOUNT = 15
    INVALID_OUTPUT = 16
    INSUFFICIENT_BALANCE = 17
    MINT_CLOSED = 18
    MINT_CAP_REACHED = 19
    SUPPLY_EXCEEDED = 20
    UNAUTHORIZED = 21
    # v2 contracts (spec/CONTRACTS.md §16-§19); traps of §19.2 each have their own code.
    INVALID_MODULE = 22
    UNKNOWN_CONTRACT = 23
    ID_TAKEN = 24
    BLOCK_FUEL_EXHAUSTED = 25
    OUT_OF_FUEL = 26
    STACK_EXHAUSTED = 27
    CALL_DEPTH_EXCEEDED = 28
    REENTRANT_CALL = 29
    UNREACHABLE = 30
    MEMORY_OUT_OF_BOUNDS = 31
    INTEGER_DIVIDE_BY_ZERO = 32
    INTEGER_OVERFLOW = 33
    INDIRECT_CALL_TYPE = 34
    TABLE_OUT_OF_BOUNDS = 35
    UNINITIALIZED_ELEMENT = 36
    INVALID_HOST_ARGUMENT = 37
    STORAGE_LIMIT = 38
    CUSTODY_INSUFFICIENT = 39
    CONTRACT_ABORT = 40
    NO_CALLING_CONTRACT = 41
    READ_ONLY_CALL = 42

    @property
    def label(self) -> str:
        """The lower-case name used in JSON vectors and the API."""
        return self.name.lower()


class Rejection(Exception):  # noqa: N818 - a rejection is an outcome, not an error
    """Raised inside the machine to abandon a message; carries its reason code."""

    def __init__(self, reason: Reason, detail: str = "", code: int | None = None) -> None:
        super().__init__(f"{reason.label}: {detail}" if detail else reason.label)
        self.reason = reason
        self.detail = detail
        #: The consensus sub-code some reasons carry in the rejected event (CONTRACTS.md §20.2).
        self.code = code
