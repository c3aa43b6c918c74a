"""Rule reversals of module validation and the frame cost (spec/CONTRACTS_WASM.md §15.2-§15.6):
check orders, exact limits, the frame cost's terms and the `return` rewrite.

Every entry changes validation or instrumentation, so it asks for an engine without cached
compiled modules (``fresh_engine``).
"""

from __future__ import annotations

from tests.mutants.runner import Reversal

M_VALIDATE = "protocol.wasm.validate"
M_CODE = "protocol.wasm.code"
M_TYPES = "protocol.wasm.types"

VALIDATION: tuple[Reversal, ...] = (
    Reversal(
        "export-index-before-duplicate",
        "15.3.2",
        "an export's index is checked before the duplicate-name rule",
        "module-check-order",
        M_VALIDATE,
        "        if name in state.exports:\n"
        '            raise WasmRejection(WasmReason.EXPORT, f"duplicate export {name!r}")\n'
        "        if name == abi.MEMORY_EXPORT and kind == 0x02:\n",
        "        if name == abi.MEMORY_EXPORT and kind == 0x02:\n",
        extra=(
            (
                M_VALIDATE,
                "        state.exports[name] = (kind, index)\n",
                "        if name in state.exports:\n"
                '            raise WasmRejection(WasmReason.EXPORT, "duplicate")\n'
                "        state.exports[name] = (kind, index)\n",
            ),
        ),
        fresh_engine=True,
    ),
    Reversal(
        "export-kind-above-3-malformed",
        "15.3.2",
        "an export kind byte above 3 is malformed",
        "module-check-order",
        M_VALIDATE,
        "        kind = r.byte()\n        index = r.u32()\n        if name in state.exports:",
        "        kind = r.byte()\n"
        "        if kind > 3:\n"
        '            raise malformed("export kind")\n'
        "        index = r.u32()\n"
        "        if name in state.exports:",
        fresh_engine=True,
    ),
    Reversal(
        "long-names-allowed",
        "15.2",
        "names may be longer than 1,024 bytes",
        "module-check-order",
        M_VALIDATE,
        constants=((M_VALIDATE, "MAX_NAME_BYTES", 1_025),),
        fresh_engine=True,
    ),
    Reversal(
        "float-block-type-malformed",
        "15.3.4",
        "f32/f64 as a block type is malformed rather than float_type",
        "module-check-order",
        M_TYPES,
        "    if code >= 0x40 and not code & 0x80:\n        return classify_value_type(code, pos)\n",
        "    if code in (0x7D, 0x7C):\n"
        '        raise malformed("float block type")\n'
        "    if code >= 0x40 and not code & 0x80:\n"
        "        return classify_value_type(code, pos)\n",
        fresh_engine=True,
    ),
    Reversal(
        "nesting-counts-function",
        "15.3.4",
        "the function's own frame counts toward MAX_NESTING",
        "module-limits-exact",
        M_CODE,
        "if len(self.frames) > limits.MAX_NESTING:",
        "if len(self.frames) >= limits.MAX_NESTING:",
        fresh_engine=True,
    ),
    Reversal(
        "stack-height-inclusive",
        "15.3.4",
        "MAX_STACK_HEIGHT operands are already too high",
        "module-limits-exact",
        M_CODE,
        "if self.max_height > limits.MAX_STACK_HEIGHT:",
        "if self.max_height >= limits.MAX_STACK_HEIGHT:",
        fresh_engine=True,
    ),
    Reversal(
        "locals-inclusive",
        "15.3.2",
        "MAX_LOCALS parameters and locals are already too many",
        "module-limits-exact",
        M_CODE,
        "if len(local_types) + count > limits.MAX_LOCALS:",
        "if len(local_types) + count >= limits.MAX_LOCALS:",
        fresh_engine=True,
    ),
    Reversal(
        "import-twice-after-signature",
        "15.3.2",
        "an import's signature is checked before the imported-twice rule",
        "module-check-order",
        M_VALIDATE,
        "        if name in seen:\n"
        '            raise WasmRejection(WasmReason.IMPORT_NOT_ALLOWED, f"{name} imported twice")\n'
        "        seen.add(name)\n"
        "        if _type_index(state, r) != _SIGNATURES[name]:\n"
        "            raise WasmRejection(WasmReason.IMPORT_SIGNATURE, name)\n",
        "        if _type_index(state, r) != _SIGNATURES[name]:\n"
        "            raise WasmRejection(WasmReason.IMPORT_SIGNATURE, name)\n"
        "        if name in seen:\n"
        '            raise WasmRejection(WasmReason.IMPORT_NOT_ALLOWED, f"{name} imported twice")\n'
        "        seen.add(name)\n",
        fresh_engine=True,
    ),
    Reversal(
        "missing-export-before-memory",
        "15.3.2",
        "a missing export is reported before a missing memory",
        "module-memory",
        M_VALIDATE,
        "    if state.memory_min is None:\n"
        '        raise WasmRejection(WasmReason.MEMORY, "no memory")\n'
        "    for name in (abi.MEMORY_EXPORT, abi.CALL_EXPORT):\n",
        "    for name in (abi.MEMORY_EXPORT, abi.CALL_EXPORT):\n"
        "        if name not in state.exports:\n"
        '            raise WasmRejection(WasmReason.EXPORT, "missing")\n'
        "    if state.memory_min is None:\n"
        '        raise WasmRejection(WasmReason.MEMORY, "no memory")\n'
        "    for name in (abi.MEMORY_EXPORT, abi.CALL_EXPORT):\n",
        fresh_engine=True,
    ),
    Reversal(
        "type-index-block-malformed",
        "15.3.4",
        "a type-index block type is malformed rather than multi_value",
        "module-check-order",
        M_TYPES,
        'raise WasmRejection(WasmReason.MULTI_VALUE, f"block type index at byte {pos}")',
        'raise malformed("block type index")',
        fresh_engine=True,
    ),
    Reversal(
        "saturating-trunc-unsupported",
        "15.3.4",
        "fc 0-7 (saturating truncation) is unsupported_instruction, not float_instruction",
        "module-check-order",
        M_CODE,
        "WasmReason.FLOAT_INSTRUCTION if sub <= 7 else WasmReason.UNSUPPORTED_INSTRUCTION",
        "WasmReason.UNSUPPORTED_INSTRUCTION",
        fresh_engine=True,
    ),
    Reversal(
        "sign-extension-rejected",
        "15.3.4",
        "the sign-extension operators are not in the subset",
        "module-check-order",
        M_CODE,
        "        if op in _NUMERIC:\n",
        "        if op in _NUMERIC and op < 0xC0:\n",
        fresh_engine=True,
    ),
    Reversal(
        "data-segment-end-exclusive",
        "15.3.2",
        "a data segment may not end exactly at the initial memory's end",
        "module-limits-exact",
        M_VALIDATE,
        "offset + length > state.memory_min * 65_536:",
        "offset + length >= state.memory_min * 65_536:",
        fresh_engine=True,
    ),
    Reversal(
        "memory-minimum-17",
        "15.5",
        "a memory minimum of 17 pages is accepted",
        "module-memory",
        "protocol.wasm.limits",
        constants=(("protocol.wasm.limits", "MAX_MEMORY_PAGES", 17),),
        fresh_engine=True,
    ),
    Reversal(
        "start-type-is-entry-type",
        "15.3.2",
        "a start function of the wrong type is entry_type",
        "module-check-order",
        M_VALIDATE,
        'raise WasmRejection(WasmReason.START, "start must be a defined () -> () function")',
        'raise WasmRejection(WasmReason.ENTRY_TYPE, "start")',
        fresh_engine=True,
    ),
)

_PARAMS = (
    "    count = reader.u32()\n"
    "    if count > max_params:\n"
    '        raise WasmRejection(WasmReason.TOO_MANY_PARAMS, f"type at byte {pos}")\n'
    "    params = tuple(value_type(reader) for _ in range(count))\n"
)
_RESULTS = (
    "    count = reader.u32()\n"
    "    if count > 1:\n"
    '        raise WasmRejection(WasmReason.MULTI_VALUE, f"type at byte {pos}")\n'
    "    results = tuple(value_type(reader) for _ in range(count))\n"
)
_LOCALS = (
    "        valtype = value_type(reader)\n"
    "        if len(local_types) + count > limits.MAX_LOCALS:\n"
    '            raise WasmRejection(WasmReason.TOO_MANY_LOCALS, f"at byte {reader.pos}")\n'
)


COUNTS: tuple[Reversal, ...] = (
    Reversal(
        "param-types-before-count",
        "15.3.2",
        "a type's parameter types are read before its parameter count is checked",
        "module-check-order",
        M_TYPES,
        _PARAMS,
        "    count = reader.u32()\n"
        "    params = tuple(value_type(reader) for _ in range(count))\n"
        "    if count > max_params:\n"
        '        raise WasmRejection(WasmReason.TOO_MANY_PARAMS, "params")\n',
        fresh_engine=True,
    ),
    Reversal(
        "result-types-before-count",
        "15.3.2",
        "a type's result types are read before its result count is checked",
        "module-check-order",
        M_TYPES,
        _RESULTS,
        "    count = reader.u32()\n"
        "    results = tuple(value_type(reader) for _ in range(count))\n"
        "    if count > 1:\n"
        '        raise WasmRejection(WasmReason.MULTI_VALUE, "results")\n',
        fresh_engine=True,
    ),
    Reversal(
        "locals-total-before-type",
        "15.3.2",
        "a locals declaration's running total is checked before its value type",
        "module-check-order",
        M_CODE,
        _LOCALS,
        "        if len(local_types) + count > limits.MAX_LOCALS:\n"
        '            raise WasmRejection(WasmReason.TOO_MANY_LOCALS, "locals")\n'
        "        valtype = value_type(reader)\n",
        fresh_engine=True,
    ),
)

STACK: tuple[Reversal, ...] = (
    Reversal(
        "height-skips-unreachable",
        "15.6",
        "pushes in unreachable code do not count toward a body's max height H",
        "stack-frame-cost",
        M_CODE,
        "        if len(self.vals) > self.max_height:\n",
        "        if len(self.vals) > self.max_height and not self.frames[-1].unreachable:\n",
        fresh_engine=True,
    ),
    Reversal(
        "frame-base-7",
        "15.6",
        "a frame's fixed part costs 7 units",
        "stack-frame-cost",
        constants=(("protocol.wasm.limits", "FRAME_BASE", 7),),
        fresh_engine=True,
    ),
    Reversal(
        "params-not-in-frame",
        "15.6",
        "a function's parameters are not part of its frame cost",
        "stack-frame-cost",
        M_CODE,
        "cost = limits.FRAME_BASE + len(func.params) + declared + checker.max_height",
        "cost = limits.FRAME_BASE + declared + checker.max_height",
        fresh_engine=True,
    ),
    Reversal(
        "locals-not-in-frame",
        "15.6",
        "a function's declared locals are not part of its frame cost",
        "stack-frame-cost",
        M_CODE,
        "cost = limits.FRAME_BASE + len(func.params) + declared + checker.max_height",
        "cost = limits.FRAME_BASE + len(func.params) + checker.max_height",
        fresh_engine=True,
    ),
    Reversal(
        "return-branch-one-short",
        "15.6",
        "a `return` is rewritten to a branch to the innermost enclosing frame's depth - 1",
        "stack-frame-cost",
        M_CODE,
        "returns.append((op_pos, len(c.frames) - 1))",
        "returns.append((op_pos, max(0, len(c.frames) - 2)))",
        fresh_engine=True,
    ),
)

REVERSALS: tuple[Reversal, ...] = VALIDATION + COUNTS + STACK
