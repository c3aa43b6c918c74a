"""Rule reversals of the contract kind (spec/CONTRACTS.md §14-§21): the operations' checks
and the step order of the host calls.

Each entry is a reading the text excludes, written as a change of the reference machine;
the vector named in ``caught_by`` fails under it.
"""

from __future__ import annotations

from tests.mutants.runner import Reversal

M_KIND = "protocol.contracts.wasm.kind"
M_HOST = "protocol.contracts.wasm.host"
M_SESSION = "protocol.contracts.wasm.session"
M_LIMITS = "protocol.contracts.wasm.limits"

_SEND_VOUT = (
    "        vout = _u32(vout)\n"
    "        if vout >= len(self.ctx.tx.outputs) or self.ctx.tx.outputs[vout].is_op_return:\n"
    '            raise _trap(Reason.INVALID_OUTPUT, f"output {vout:,} is not spendable")\n'
)
_SEND_CHARGE = "        caller.charge(lim.COST_ASSET_MOVE)\n        self._take(asset, amount)\n"
# The same places as h-price (re-priced host functions) writes them: the fallbacks below.
_PRICED_SEND_CHARGE = "        caller.charge(lim.COST_SEND)\n        self._take(asset, amount)\n"
_PRICED_READ = "        if fits:\n            caller.read(_u32(ptr), len(data))\n"

OPERATIONS: tuple[Reversal, ...] = (
    Reversal(
        "publish-validate-before-id",
        "16.1",
        "a publish's module is validated before its id is checked",
        "publish-id-taken-before-module",
        M_KIND,
        "        code = _bytes(fields, K_CODE, what)\n",
        "        code = _bytes(fields, K_CODE, what)\n        self._prepare(code)\n",
        fresh_engine=True,
    ),
    Reversal(
        "instantiate-id-before-template",
        "16.2",
        "instantiate checks id_taken before the template exists",
        "instantiate-template-before-id-taken",
        M_KIND,
        "        record = load_contract(ctx.state, template)\n"
        "        if record is None:\n"
        '            raise Rejection(Reason.UNKNOWN_CONTRACT, "the template is no contract")\n'
        "        contract = self._new_id(ctx)\n",
        "        contract = self._new_id(ctx)\n"
        "        record = load_contract(ctx.state, template)\n"
        "        if record is None:\n"
        '            raise Rejection(Reason.UNKNOWN_CONTRACT, "the template is no contract")\n',
    ),
    Reversal(
        "call-assets-before-contract",
        "16.3",
        "a call's assets are checked for existence before its contract",
        "call-contract-before-assets",
        M_KIND,
        "        if load_contract(ctx.state, contract) is None:\n"
        "            raise Rejection(Reason.UNKNOWN_CONTRACT)\n"
        "        for asset, _ in sent:\n"
        "            if ctx.owner(ctx.state, asset) is None:\n"
        '                raise Rejection(Reason.UNKNOWN_TOKEN, "an asset sent into the call")\n',
        "        for asset, _ in sent:\n"
        "            if ctx.owner(ctx.state, asset) is None:\n"
        '                raise Rejection(Reason.UNKNOWN_TOKEN, "an asset sent into the call")\n'
        "        if load_contract(ctx.state, contract) is None:\n"
        "            raise Rejection(Reason.UNKNOWN_CONTRACT)\n",
    ),
    Reversal(
        "call-duplicate-before-amount",
        "16.3",
        "key 3's duplicate-asset check comes before the entry's amount checks",
        "call-key3-check-order",
        M_KIND,
        "            asset = asset_ref(pair, 0, what)\n"
        "            amount = uint(pair, 1, what, U128_MAX)\n",
        "            asset = asset_ref(pair, 0, what)\n"
        "            if any(asset == seen for seen, _ in sent):\n"
        '                raise Rejection(Reason.INVALID_MESSAGE, "twice")\n'
        "            amount = uint(pair, 1, what, U128_MAX)\n",
    ),
    Reversal(
        "call-65-assets",
        "16.3",
        "a call may list 65 assets",
        "call-key3-check-order",
        M_KIND,
        "len(raw) > lim.MAX_SENT_ASSETS:",
        "len(raw) > lim.MAX_SENT_ASSETS + 1:",
    ),
    Reversal(
        "call-fuel-field-ignored",
        "16.5",
        "a top-level call's limit is the fuel left, whatever its fuel field says",
        "contract-init-fuel",
        M_SESSION,
        "        limit = min(fuel, left)\n",
        "        limit = left\n",
    ),
    Reversal(
        "fuel-exact-is-out",
        "15.7",
        "an execution that uses exactly its limit is out_of_fuel",
        "contract-init-fuel",
        M_SESSION,
        "if result.trap is None and result.fuel_used > fuel:",
        "if result.trap is None and result.fuel_used >= fuel:",
    ),
    Reversal(
        "input-65537",
        "16.3",
        "a call input may be 65,537 bytes",
        "call-key3-check-order",
        M_KIND,
        "if len(data) > lim.MAX_INPUT:",
        "if len(data) > lim.MAX_INPUT + 1:",
    ),
)

HOST: tuple[Reversal, ...] = (
    Reversal(
        "send-vout-before-amount",
        "17.3",
        "send checks its output before the amount's zero check",
        "host-step-order",
        M_HOST,
        "        amount = _amount(caller, amount_ptr)\n" + _SEND_VOUT,
        _SEND_VOUT + "        amount = _amount(caller, amount_ptr)\n",
    ),
    Reversal(
        "send-charge-before-vout",
        "17.2",
        "send charges its fuel before checking its output",
        "host-step-order",
        M_HOST,
        _SEND_VOUT + _SEND_CHARGE,
        "        caller.charge(lim.COST_ASSET_MOVE)\n"
        + _SEND_VOUT
        + "        self._take(asset, amount)\n",
        fallback=Reversal(
            "send-charge-before-vout",
            "17.2",
            "",
            "",
            M_HOST,
            _SEND_VOUT + _PRICED_SEND_CHARGE,
            "        caller.charge(lim.COST_SEND)\n"
            + _SEND_VOUT
            + "        self._take(asset, amount)\n",
        ),
    ),
    Reversal(
        "send-to-op-return",
        "18.2",
        "send may allocate to an OP_RETURN output",
        "custody-op-return-output",
        M_HOST,
        "if vout >= len(self.ctx.tx.outputs) or self.ctx.tx.outputs[vout].is_op_return:",
        "if vout >= len(self.ctx.tx.outputs):",
    ),
    Reversal(
        "custody-before-charge",
        "17.2",
        "send checks custody before charging its fuel",
        "host-step-order",
        M_HOST,
        _SEND_VOUT + _SEND_CHARGE,
        _SEND_VOUT
        + "        self._take(asset, amount)\n        caller.charge(lim.COST_ASSET_MOVE)\n",
        fallback=Reversal(
            "custody-before-charge",
            "17.2",
            "",
            "",
            M_HOST,
            _SEND_VOUT + _PRICED_SEND_CHARGE,
            _SEND_VOUT
            + "        self._take(asset, amount)\n        caller.charge(lim.COST_SEND)\n",
        ),
    ),
    Reversal(
        "issue-amount-before-sub",
        "17.3",
        "issue reads its amount before checking sub 0",
        "host-step-order",
        M_HOST,
        "        sub = _u32(sub)\n"
        "        if sub == 0:\n"
        '            raise _trap(Reason.INVALID_HOST_ARGUMENT, "sub id 0 names no contract '
        'asset")\n'
        "        amount = _amount(caller, amount_ptr)\n",
        "        amount = _amount(caller, amount_ptr)\n"
        "        sub = _u32(sub)\n"
        "        if sub == 0:\n"
        '            raise _trap(Reason.INVALID_HOST_ARGUMENT, "sub id 0 names no contract '
        'asset")\n',
    ),
    Reversal(
        "emit-length-after-range",
        "17.2",
        "emit checks its range before its length bound",
        "host-step-order",
        M_HOST,
        "        length = _u32(length)\n"
        "        if length > lim.MAX_LOG:\n"
        "            raise _trap(\n"
        '                Reason.INVALID_HOST_ARGUMENT, f"log of {length:,} bytes over '
        '{lim.MAX_LOG:,}"\n'
        "            )\n"
        "        data = caller.read(_u32(ptr), length)\n",
        "        length = _u32(length)\n"
        "        data = caller.read(_u32(ptr), length)\n"
        "        if length > lim.MAX_LOG:\n"
        '            raise _trap(Reason.INVALID_HOST_ARGUMENT, "log too long")\n',
    ),
    Reversal(
        "set-return-length-after-range",
        "17.2",
        "set_return checks its range before its length bound",
        "host-step-order",
        M_HOST,
        "        if length > lim.MAX_RETURN:\n"
        '            raise _trap(Reason.INVALID_HOST_ARGUMENT, f"return data over '
        '{lim.MAX_RETURN:,}")\n'
        "        data = caller.read(_u32(ptr), length)\n",
        "        data = caller.read(_u32(ptr), length)\n"
        "        if length > lim.MAX_RETURN:\n"
        '            raise _trap(Reason.INVALID_HOST_ARGUMENT, "return data too long")\n',
    ),
    Reversal(
        "storage-limit-after-range",
        "17.3",
        "storage_set checks its ranges before the value's length bound",
        "host-step-order",
        M_HOST,
        "        if length > lim.MAX_VALUE:\n"
        '            raise _trap(Reason.STORAGE_LIMIT, f"value of {length:,} bytes over '
        '{lim.MAX_VALUE:,}")\n'
        "        key = caller.read(_u32(key_ptr), lim.STORAGE_KEY_LEN)\n"
        "        value = caller.read(_u32(val_ptr), length)\n",
        "        key = caller.read(_u32(key_ptr), lim.STORAGE_KEY_LEN)\n"
        "        value = caller.read(_u32(val_ptr), length)\n"
        "        if length > lim.MAX_VALUE:\n"
        '            raise _trap(Reason.STORAGE_LIMIT, "value too long")\n',
    ),
    Reversal(
        "tx-input-range-before-index",
        "17.2",
        "tx_input checks its output range before the input index",
        "host-step-order",
        M_HOST,
        "        txin = self.ctx.tx.inputs[self._input_index(index)]\n"
        "        caller.read(_u32(ptr), lim.OUTPOINT_LEN)\n",
        "        caller.read(_u32(ptr), lim.OUTPOINT_LEN)\n"
        "        txin = self.ctx.tx.inputs[self._input_index(index)]\n",
    ),
    Reversal(
        "zero-length-output-unchecked",
        "17.1",
        "a zero-length optional output is not range-checked",
        "host-zero-length-ranges",
        M_HOST,
        "            caller.read(_u32(ptr), len(data))\n"
        "            caller.charge(base + lim.COST_PER_BYTE * len(data))\n"
        "            caller.write(_u32(ptr), data)\n",
        "            if data:\n"
        "                caller.read(_u32(ptr), len(data))\n"
        "            caller.charge(base + lim.COST_PER_BYTE * len(data))\n"
        "            if data:\n"
        "                caller.write(_u32(ptr), data)\n",
        fallback=Reversal(
            "zero-length-output-unchecked",
            "17.1",
            "",
            "",
            M_HOST,
            _PRICED_READ,
            "        if fits and data:\n            caller.read(_u32(ptr), len(data))\n",
            extra=(
                (
                    M_HOST,
                    "        if fits:\n            caller.write(_u32(ptr), data)\n",
                    "        if fits and data:\n            caller.write(_u32(ptr), data)\n",
                ),
            ),
        ),
    ),
    Reversal(
        "input-read-empty-unchecked",
        "17.1",
        "input_read of an empty input checks no range",
        "host-zero-length-ranges",
        M_HOST,
        "        caller.read(_u32(ptr), len(self.f.input))\n"
        "        caller.charge(lim.COST_BASE + lim.COST_PER_BYTE * len(self.f.input))\n"
        "        caller.write(_u32(ptr), self.f.input)\n",
        "        if self.f.input:\n"
        "            caller.read(_u32(ptr), len(self.f.input))\n"
        "        caller.charge(lim.COST_BASE + lim.COST_PER_BYTE * len(self.f.input))\n"
        "        if self.f.input:\n"
        "            caller.write(_u32(ptr), self.f.input)\n",
    ),
    Reversal(
        "optional-output-checked-when-short",
        "17.2",
        "an optional output's range is checked even when the result does not fit",
        "host-zero-length-ranges",
        M_HOST,
        "        else:\n            caller.charge(base)\n        return len(data)",
        "        else:\n"
        "            caller.read(_u32(ptr), len(data))\n"
        "            caller.charge(base)\n"
        "        return len(data)",
        fallback=Reversal(
            "optional-output-checked-when-short",
            "17.2",
            "",
            "",
            M_HOST,
            _PRICED_READ,
            "        caller.read(_u32(ptr), len(data))\n",
        ),
    ),
    Reversal(
        "caller-id-checks-pointer",
        "17.3",
        "caller_id checks its pointer even when called by the transaction",
        "host-zero-length-ranges",
        M_HOST,
        "        if self.f.caller is None:\n            caller.charge(lim.COST_BASE)\n",
        "        if self.f.caller is None:\n"
        "            caller.read(_u32(ptr), 8)\n"
        "            caller.charge(lim.COST_BASE)\n",
    ),
    Reversal(
        "copy-out-strictly-smaller",
        "17.1",
        "a result is written only when strictly shorter than the capacity",
        "contract-caller-and-outputs",
        M_HOST,
        "if len(data) <= _u32(cap):",
        "if len(data) < _u32(cap):",
        fallback=Reversal(
            "copy-out-strictly-smaller",
            "17.1",
            "",
            "",
            M_HOST,
            "fits = len(data) <= _u32(cap)",
            "fits = len(data) < _u32(cap)",
        ),
    ),
    Reversal(
        "output-index-equal-count",
        "17.3",
        "tx_output_value accepts an index equal to the output count",
        "host-step-order",
        M_HOST,
        "if index >= len(self.ctx.tx.outputs):",
        "if index > len(self.ctx.tx.outputs):",
    ),
    Reversal(
        "nested-depth-before-reentry",
        "17.4",
        "call_contract checks depth before re-entry",
        "nested-reentry-before-depth",
        M_HOST,
        "        if any(frame.contract == callee for frame in self.s.stack):\n"
        '            raise _trap(Reason.REENTRANT_CALL, "callee is already executing")\n'
        "        if self.f.depth >= lim.MAX_CALL_DEPTH:\n"
        '            raise _trap(Reason.CALL_DEPTH_EXCEEDED, f"depth {lim.MAX_CALL_DEPTH} '
        'reached")\n',
        "        if self.f.depth >= lim.MAX_CALL_DEPTH:\n"
        '            raise _trap(Reason.CALL_DEPTH_EXCEEDED, f"depth {lim.MAX_CALL_DEPTH} '
        'reached")\n'
        "        if any(frame.contract == callee for frame in self.s.stack):\n"
        '            raise _trap(Reason.REENTRANT_CALL, "callee is already executing")\n',
    ),
    Reversal(
        "nested-depth-9",
        "17.4",
        "nested calls may reach depth 9",
        "nested-depth",
        M_LIMITS,
        constants=((M_LIMITS, "MAX_CALL_DEPTH", 9),),
    ),
    Reversal(
        "nested-records-after-callee",
        "17.4",
        "call_contract checks the callee before the asset records",
        "nested-check-order",
        M_HOST,
        "        sent = self._sent(raw, assets_count)\n        self._callee(callee)\n",
        "        self._callee(callee)\n        sent = self._sent(raw, assets_count)\n",
    ),
    Reversal(
        "nested-custody-before-callee",
        "17.4",
        "call_contract checks custody before the callee exists",
        "nested-check-order",
        M_HOST,
        "        self._callee(callee)\n        start = self.s.start_fuel(callee)\n",
        "        for asset, amount in sent:\n"
        "            if custody(self.ctx.state, self.f.contract, asset) < amount:\n"
        '                raise _trap(Reason.CUSTODY_INSUFFICIENT, "custody")\n'
        "        self._callee(callee)\n        start = self.s.start_fuel(callee)\n",
    ),
    Reversal(
        "nested-fuel-argument-ignored",
        "17.4",
        "call_contract's fuel argument is ignored (the callee gets all fuel left)",
        "nested-reentry-before-depth",
        M_HOST,
        "        limit = left if fuel <= 0 or fuel > left else fuel\n",
        "        limit = left\n",
    ),
)

REVERSALS: tuple[Reversal, ...] = OPERATIONS + HOST
