"""Rule reversals of the host additions (spec/CONTRACTS.md §17.5-§17.7, §18.6, §20.2),
each caught by one of the vectors host-*: BIP340 verification (the message bound, the step
order, no pre-hashing, the per-byte price), the block clock (the window holds the block
itself, 11 times, the upper median), send_to_caller (the caller check first, the new-entry
charge, its own event) and read-only calls (no call event, their start, the functions that
trap, re-entry).
"""

from __future__ import annotations

from tests.mutants.reversals_v2 import M_HOST, M_LIMITS, M_SESSION
from tests.mutants.runner import Reversal

M_CLOCK = "protocol.clock"

_SCHNORR_BOUND = (
    "        if msg_len > lim.MAX_SIGNED_MESSAGE:\n"
    "            raise _trap(\n"
    "                Reason.INVALID_HOST_ARGUMENT,\n"
    '                f"message of {msg_len:,} bytes over {lim.MAX_SIGNED_MESSAGE:,}",\n'
    "            )\n"
)
_SCHNORR_RANGES = (
    "        pubkey = caller.read(_u32(pubkey_ptr), 32)\n"
    "        message = caller.read(_u32(msg_ptr), msg_len)\n"
    "        signature = caller.read(_u32(sig_ptr), 64)\n"
)
_SCHNORR_CHARGE = "        caller.charge(lim.COST_SCHNORR + lim.COST_SCHNORR_PER_BYTE * msg_len)\n"
_NO_CALLER = (
    "        to = self.f.caller\n"
    "        if to is None:\n"
    "            raise _trap(Reason.NO_CALLING_CONTRACT, "
    '"called by the transaction, not a contract")\n'
)
_RETURN_ARGS = (
    "        asset = self._asset(caller, asset_ptr)\n"
    "        amount = _amount(caller, amount_ptr)\n"
    "        new = custody(self.ctx.state, to, asset) == 0\n"
)

REVERSALS: tuple[Reversal, ...] = (
    Reversal(
        "schnorr-no-message-bound",
        "17.5",
        "schnorr_verify takes a message of any length (no 65,536-byte bound)",
        "host-schnorr-traps",
        M_HOST,
        _SCHNORR_BOUND,
        "",
    ),
    Reversal(
        "schnorr-charge-before-ranges",
        "17.5",
        "schnorr_verify charges its fuel before checking its memory ranges",
        "host-schnorr-traps",
        M_HOST,
        _SCHNORR_RANGES + _SCHNORR_CHARGE,
        _SCHNORR_CHARGE + _SCHNORR_RANGES,
    ),
    Reversal(
        "schnorr-prehashed-message",
        "17.5",
        "the message is hashed with SHA-256 before BIP340 verification unless it is 32 bytes",
        "host-schnorr-verify",
        M_HOST,
        "        return 1 if bip340_verify(pubkey, message, signature) else 0\n",
        "        if len(message) != 32:\n"
        "            message = hashlib.sha256(message).digest()\n"
        "        return 1 if bip340_verify(pubkey, message, signature) else 0\n",
    ),
    Reversal(
        "schnorr-per-byte-price",
        "17.5",
        "schnorr_verify charges 2 per message byte, like sha256",
        "host-schnorr-verify",
        constants=((M_LIMITS, "COST_SCHNORR_PER_BYTE", 2),),
    ),
    Reversal(
        "clock-previous-blocks-only",
        "17.5",
        "the median time past counts the 11 blocks before the block, not the block itself",
        "host-block-clock",
        M_CLOCK,
        "    window = [*decode_times(stored), time][-CLOCK_WINDOW:]\n"
        "    return median_time(window), encode_times(window[-(CLOCK_WINDOW - 1) :])\n",
        "    before = decode_times(stored)\n"
        "    window = [*before, time][-CLOCK_WINDOW:]\n"
        "    return median_time(before or [time]), encode_times(window[-(CLOCK_WINDOW - 1) :])\n",
    ),
    Reversal(
        "clock-lower-median",
        "17.5",
        "of an even count of times the median is the lower middle one",
        "host-block-clock",
        M_CLOCK,
        "    return ordered[len(ordered) // 2]\n",
        "    return ordered[(len(ordered) - 1) // 2]\n",
    ),
    Reversal(
        "clock-window-ten",
        "17.5",
        "the median time past is taken over 10 header times",
        "host-block-clock",
        constants=((M_CLOCK, "CLOCK_WINDOW", 10),),
    ),
    Reversal(
        "send-to-caller-arguments-first",
        "17.6",
        "send_to_caller reads its arguments before checking that a contract called it",
        "host-send-to-caller-traps",
        M_HOST,
        _NO_CALLER + _RETURN_ARGS,
        "        asset = self._asset(caller, asset_ptr)\n"
        "        amount = _amount(caller, amount_ptr)\n"
        + _NO_CALLER
        + "        new = custody(self.ctx.state, to, asset) == 0\n",
    ),
    Reversal(
        "send-to-caller-new-entry-free",
        "17.6",
        "send_to_caller charges nothing for the caller's new custody entry",
        "host-send-to-caller",
        M_HOST,
        "        caller.charge(lim.COST_RETURN + (lim.COST_NEW_KEY if new else 0))\n",
        "        caller.charge(lim.COST_RETURN)\n",
    ),
    Reversal(
        "send-to-caller-as-deposit",
        "20.2",
        "assets returned to the caller are reported as a deposit into it",
        "host-send-to-caller",
        M_HOST,
        "        event = self._event(EventType.RETURN)\n"
        "        event.update({Field.TOKEN: asset, Field.AMOUNT: amount, "
        "Field.FROM_CONTRACT: to})\n",
        "        event = self.s.event(EventType.DEPOSIT, to)\n"
        "        event.update(\n"
        "            {Field.TOKEN: asset, Field.AMOUNT: amount, "
        "Field.FROM_CONTRACT: self.f.contract}\n"
        "        )\n",
    ),
    Reversal(
        "view-emits-call-event",
        "17.7",
        "a read-only call emits its own call event like a nested call",
        "host-call-view",
        M_SESSION,
        "        if not frame.read_only:  # §17.7: a read-only call leaves no event\n"
        "            self.emit_call(frame, result.fuel_used)\n",
        "        self.emit_call(frame, result.fuel_used)\n",
    ),
    Reversal(
        "view-start-of-a-call",
        "17.7",
        "a read-only call's start is a call's (500,000)",
        "host-call-view",
        constants=((M_LIMITS, "VIEW_START_FUEL", 500_000),),
    ),
    Reversal(
        "view-allows-emit",
        "17.7",
        "a log is not a state change: emit works inside a read-only call",
        "host-call-view-traps",
        M_HOST,
        '        self._writable("emit")\n',
        "",
    ),
    Reversal(
        "view-allows-storage",
        "17.7",
        "a read-only call may write storage (the writes are its own)",
        "host-call-view-traps",
        M_HOST,
        '        self._writable("storage_set")\n',
        "",
    ),
    Reversal(
        "view-allows-call-contract",
        "17.7",
        "call_contract without assets works inside a read-only call",
        "host-call-view-traps",
        M_HOST,
        '        self._writable("call_contract")\n',
        "",
    ),
    Reversal(
        "view-allows-reentry",
        "17.7",
        "a read-only call may view a contract that is executing",
        "host-call-view-traps",
        M_HOST,
        "        self._callee(callee)\n        start = self.s.start_fuel(callee, read_only=True)\n",
        "        if not self.s.exists(callee):\n"
        '            raise _trap(Reason.UNKNOWN_CONTRACT, "callee is no contract")\n'
        "        start = self.s.start_fuel(callee, read_only=True)\n",
    ),
)
