"""Limits and host-call fuel costs of the contract kind (spec/CONTRACTS.md §17, §21).

Every number here is consensus: changing one changes which messages are accepted.
"""

from __future__ import annotations

#: §21: fuel a call may use; also the default when an operation names none.
MAX_CALL_FUEL = 10_000_000
#: §21: fuel all contract execution and publishing in one block may use.
MAX_BLOCK_FUEL = 1_000_000_000
#: §21: fuel charged to the block budget per byte of a published module.
PUBLISH_FUEL_PER_BYTE = 10
#: §21: the top-level call has depth 1; a call that would exceed this depth traps.
MAX_CALL_DEPTH = 8
#: §21: storage keys are exactly this long; values at most MAX_VALUE bytes.
STORAGE_KEY_LEN = 32
MAX_VALUE = 1_024
#: §21: call inputs (top-level and nested), return data and log data.
MAX_INPUT = 65_536
MAX_RETURN = 4_096
MAX_LOG = 1_024
#: §16.3: entries in a call's asset list, and in a nested call's.
MAX_SENT_ASSETS = 64

#: §17: host-call costs, charged after the arguments are checked and before the effect.
COST_BASE = 10
COST_PER_BYTE = 1
COST_BALANCE = 50
COST_ASSET_MOVE = 500
COST_STORAGE_GET = 200
COST_STORAGE_SET = 1_000
COST_STORAGE_SET_PER_BYTE = 10
COST_STORAGE_DELETE = 500
COST_EMIT = 100
COST_SHA256 = 50
COST_CALL = 1_000

#: Sizes of records in contract memory (§17.1).
ASSET_LEN = 12
AMOUNT_LEN = 16
OUTPOINT_LEN = 36
RECORD_LEN = ASSET_LEN + AMOUNT_LEN
