"""Limits and host-call fuel costs of the contract kind (spec/CONTRACTS.md §17, §21).

Every number here is consensus: changing one changes which messages are accepted.
"""

from __future__ import annotations

#: §21: fuel a call may use; also the default when an operation names none.
MAX_CALL_FUEL = 10_000_000
#: §21.2: fuel one virtual byte of a transaction buys for that transaction's calls and
#: publishes. The only source of fuel: compute is paid for with block space.
FUEL_PER_VBYTE = 1_000
#: §21.2: Bitcoin's block weight limit in vB (BIP141: 4,000,000 weight units).
BLOCK_VBYTES = 1_000_000
#: §21.2: what a full block buys, so what all of a block's transactions can use together.
MAX_BLOCK_FUEL = FUEL_PER_VBYTE * BLOCK_VBYTES
#: §16.5, §17.4: fuel a call consumes before it runs (instantiation, the host bindings, the
#: module's load), besides what its execution uses: a zero-fuel call is not free.
CALL_START_FUEL = 40_000
#: §16.5, §17.4: the same, per byte of the called contract's module (loading its code).
CALL_FUEL_PER_CODE_BYTE = 2
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
