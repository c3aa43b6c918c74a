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
#: §16.5, §17.4: fuel a call consumes before it runs, besides what its execution uses: a
#: fresh instance, the host bindings and the hop to the engine cost 75-125 µs per call on
#: the reference machine, a trap 30-60 µs more, and a trap at the stack limit (about 6,000
#: frames to unwind) about 300 µs more (bench.adversarial: blocks of such calls cost 1.1-1.7 s
#: at a start of 250,000), so a zero-fuel or trapping call is not free.
CALL_START_FUEL = 500_000
#: §16.5, §17.4: the same, per byte of the called contract's module (loading its code).
CALL_FUEL_PER_CODE_BYTE = 2
#: §16.1, §21.2: fuel a publish takes per byte of its module, before the module is examined:
#: validating, instrumenting, compiling and storing the worst shapes the validator accepts
#: cost up to 2-3.5 µs per byte on the reference machine (bench.adversarial), and each stored
#: byte is new state (a full block's fuel must not buy more than about 1 MB of it, §22).
PUBLISH_FUEL_PER_BYTE = 4_500
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

#: §17.3: host-call costs, charged after the arguments are checked and before the effect.
#: One fuel unit stands for a nanosecond of CPU on the reference machine (§22): each price
#: is about 1.5 x the worst cost measured per call and per byte it copies, hashes or scans
#: (``python -m bench.adversarial.calibrate``). A host call costs 5-18 µs there whatever it
#: does (the crossing between wasm and the host), which COST_BASE and the bases cover.
COST_BASE = 15_000
COST_PER_BYTE = 1
COST_BALANCE = 25_000
COST_ASSET_MOVE = 30_000
COST_STORAGE_GET = 15_000
COST_STORAGE_SET = 20_000
COST_STORAGE_SET_PER_BYTE = 2
COST_STORAGE_DELETE = 15_000
COST_EMIT = 25_000
COST_EMIT_PER_BYTE = 6
COST_SHA256 = 20_000
COST_SHA256_PER_BYTE = 2
COST_CALL = 30_000
#: §17.3: new state a block leaves behind is priced by the byte, so that a full block's
#: fuel (10^9) buys at most about 1 MB of it, tree and indexes included (§22). A storage
#: key absent before the write (its 41-byte state key, a tree leaf and inner node) ...
COST_NEW_KEY = 300_000
#: ... and each byte a write adds to the stored value: a new key's whole value, an
#: overwrite's growth over the old value. Deleting or shrinking refunds nothing.
COST_NEW_BYTE = 1_000
#: §17.3: a send allocates to an output whose UTXO record, holder and script indexes
#: grow by an entry per asset; an issue of an asset with no record yet creates its record
#: and a custody entry.
COST_SEND = 200_000
COST_NEW_ASSET = 500_000
#: §17.5: schnorr_verify, per call and per message byte (BIP340's challenge hashes the
#: message with libsecp256k1's own SHA-256, about 3 ns a byte against hashlib's 0.9), at
#: most MAX_SIGNED_MESSAGE bytes of message. Measured (§22): a valid signature over 32
#: bytes 49-67 µs, over 32 KiB 116-163 µs (three runs).
COST_SCHNORR = 150_000
COST_SCHNORR_PER_BYTE = 8
MAX_SIGNED_MESSAGE = 65_536
#: §17.6: send_to_caller moves custody between two contracts and emits event ``return``
#: (the state work of ``burn``: two custody entries and an event); a custody entry the
#: caller did not have yet is new state, priced as a new storage key (COST_NEW_KEY).
COST_RETURN = 30_000
#: §17.7: call_view, before the callee's start: no deposits, no ``call`` event ...
COST_VIEW = 20_000
#: ... and a read-only call's start, in place of CALL_START_FUEL: measured, a view of an
#: empty callee costs 72-88% of a call_contract of it (71-81 against 80-112 µs: no deposit,
#: call event or storage digest to build), so 80% of the call's start.
VIEW_START_FUEL = 400_000

#: Sizes of records in contract memory (§17.1).
ASSET_LEN = 12
AMOUNT_LEN = 16
OUTPOINT_LEN = 36
RECORD_LEN = ASSET_LEN + AMOUNT_LEN
