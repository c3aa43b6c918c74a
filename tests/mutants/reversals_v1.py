"""Rule reversals of protocol v1 (spec/PROTOCOL.md §3-§7): carriers, CBOR, messages, tokens.

Each entry is a reading the text excludes, written as a change of the reference machine;
the vector named in ``caught_by`` fails under it.
"""

from __future__ import annotations

import re

from tests.mutants.runner import Reversal

M_CARRIER = "protocol.carrier"
M_MESSAGE = "protocol.message"
M_FIELDS = "protocol.fields"
M_MACHINE = "protocol.machine"
M_TOKEN = "protocol.contracts.token"

REVERSALS: tuple[Reversal, ...] = (
    Reversal(
        "annex-kept",
        "3.3.1",
        "the annex is not removed before the control block is found",
        "envelope-with-annex",
        M_CARRIER,
        "if len(stack) >= 2 and stack[-1][:1] == bytes([ANNEX_TAG]):",
        "if False:",
    ),
    Reversal(
        "empty-last-element-is-annex",
        "3.3.1",
        "an empty last witness element counts as an annex and is removed",
        "witness-empty-last-element",
        M_CARRIER,
        "stack[-1][:1] == bytes([ANNEX_TAG])",
        "stack[-1][:1] in (bytes([ANNEX_TAG]), b'')",
    ),
    Reversal(
        "oversize-chunk-allowed",
        "3.3.2",
        "an envelope chunk may be longer than 520 bytes",
        "envelope-chunk-521",
        M_CARRIER,
        "len(op.data) > MAX_CHUNK",
        "len(op.data) > MAX_CHUNK + 1",
    ),
    Reversal(
        "search-continues-after-malformed",
        "3.3.2",
        "a malformed envelope does not end the search of its tapscript",
        "malformed-envelope-stops-search",
        M_CARRIER,
        "            if found[-1].malformed is not None:\n                return found",
        "            if False:\n                return found",
    ),
    Reversal(
        "opreturn-nonpush-ignored",
        "3.2.3",
        "a non-push operation after the magic is skipped instead of malforming the carrier",
        "opreturn-malformed-nonpush",
        M_CARRIER,
        "            if op.data is None:\n                return Carrier(",
        "            if op.data is None:\n"
        "                continue\n"
        "                return Carrier(",
    ),
    Reversal(
        "unknown-keys-before-version",
        "5.2",
        "unknown even keys are checked before the version",
        "unsupported-version",
        M_MESSAGE,
        "    if version != PROTOCOL_VERSION:\n"
        '        raise Rejection(Reason.UNSUPPORTED_VERSION, f"version {version:,}")\n'
        '    check_known_keys(top, MESSAGE_KEYS, "message")\n',
        '    check_known_keys(top, MESSAGE_KEYS, "message")\n'
        "    if version != PROTOCOL_VERSION:\n"
        '        raise Rejection(Reason.UNSUPPORTED_VERSION, f"version {version:,}")\n',
    ),
    Reversal(
        "operation-count-65",
        "5.1",
        "a message may hold 65 operations",
        "operation-count",
        M_MESSAGE,
        "len(raw_ops) > MAX_OPERATIONS",
        "len(raw_ops) > MAX_OPERATIONS + 1",
    ),
    Reversal(
        "odd-keys-rejected",
        "5.4",
        "unknown odd keys reject like even ones",
        "message-unknown-keys",
        M_FIELDS,
        "if key not in known and key % 2 == 0:",
        "if key not in known:",
    ),
    Reversal(
        "bignum-over-bound-is-type-error",
        "5.3",
        "an unsigned integer above its bound is invalid_message",
        "bignum-is-unsigned-integer",
        M_FIELDS,
        'raise Rejection(Reason.INTEGER_OUT_OF_RANGE, f"{what} key {key} exceeds {maximum:,}")',
        'raise Rejection(Reason.INVALID_MESSAGE, f"{what} key {key} exceeds {maximum:,}")',
    ),
    Reversal(
        "asset-ref-bound-before-type",
        "6.1.1",
        "a reference's bounds are checked element by element with its types",
        "token-reference-check-order",
        M_FIELDS,
        "    if not all(isinstance(part, int) for part in value):\n",
        "    if any(isinstance(part, int) and part > U32_MAX for part in value):\n"
        '        raise Rejection(Reason.INTEGER_OUT_OF_RANGE, "part")\n'
        "    if not all(isinstance(part, int) for part in value):\n",
    ),
    Reversal(
        "asset-sub-zero-allowed",
        "14.2",
        "a contract asset reference with sub 0 names the token",
        "asset-reference-checks",
        M_FIELDS,
        "if len(parts) == 3 and parts[2] == 0:",
        "if False:",
    ),
    Reversal(
        "unknown-operation-lazy",
        "6.0",
        "operation codes are checked as each operation is applied, not before any",
        "v1-check-orders",
        M_MACHINE,
        "            if kind is None:\n"
        '                raise Rejection(Reason.UNKNOWN_OPERATION, f"operation {position}")\n'
        "            kinds.append(kind)\n",
        "            kinds.append(kind)\n",
        extra=(
            (
                M_MACHINE,
                "            kind.apply(operation, ctx)",
                "            if kind is None:\n"
                "                raise Rejection(Reason.UNKNOWN_OPERATION)\n"
                "            kind.apply(operation, ctx)",
            ),
        ),
    ),
    Reversal(
        "pointer-to-op-return",
        "7.4",
        "the pointer may name an OP_RETURN output",
        "pointer-invalid",
        M_MACHINE,
        "    if tx.outputs[index].is_op_return:\n"
        '        raise Rejection(Reason.INVALID_OUTPUT, f"output {index:,} is an OP_RETURN '
        'output")',
        "",
    ),
    Reversal(
        "default-output-last",
        "7.4",
        "the default output is the last non-OP_RETURN output",
        "default-output-skips-opreturn",
        M_MACHINE,
        "    for index, output in enumerate(tx.outputs):\n        if not output.is_op_return:",
        "    for index, output in reversed(list(enumerate(tx.outputs))):\n"
        "        if not output.is_op_return:",
    ),
    Reversal(
        "inputs-drain-reversed",
        "7.3",
        "inputs are drained last to first",
        "input-drain-order",
        M_MACHINE,
        "for txin in tx.inputs:  # spec §7.3",
        "for txin in tx.inputs[::-1]:  # spec §7.3",
    ),
    Reversal(
        "leftovers-descending",
        "7.8",
        "leftover assets go to the target in descending asset order",
        "no-output-burn-order",
        M_MACHINE,
        "for asset in sorted(ctx.pool):",
        "for asset in sorted(ctx.pool, reverse=True):",
    ),
    Reversal(
        "credits-descending",
        "7.5",
        "credits are emitted from the highest output down",
        "transfer-split",
        M_MACHINE,
        "for vout in sorted(set(ctx.allocations) | set(moved)):",
        "for vout in sorted(set(ctx.allocations) | set(moved), reverse=True):",
    ),
    Reversal(
        "lowercase-ticker",
        "6.2.1",
        "tickers may hold lower-case letters",
        "ticker-charset",
        constants=((M_TOKEN, "TICKER_RULE", re.compile(r"[A-Za-z][A-Za-z0-9]{2,11}")),),
    ),
    Reversal(
        "ticker-of-two",
        "6.2.1",
        "a ticker may have two characters",
        "ticker-length",
        constants=((M_TOKEN, "TICKER_RULE", re.compile(r"[A-Z][A-Z0-9]{1,11}")),),
    ),
    Reversal(
        "decimals-19",
        "6.2.1",
        "decimals may be 19",
        "deploy-decimals",
        M_TOKEN,
        "decimals > MAX_DECIMALS:",
        "decimals > MAX_DECIMALS + 1:",
    ),
    Reversal(
        "terms-and-authority",
        "6.2.1",
        "a deploy may have both mint terms and an authority",
        "deploy-invalid-parameters",
        M_TOKEN,
        "if (terms is None) == (auth_out is None):",
        "if terms is None and auth_out is None:",
    ),
    Reversal(
        "premine-zero-invalid-deploy",
        "6.2.1",
        "a zero premine is invalid_deploy",
        "deploy-amount-output-supply",
        M_TOKEN,
        'raise Rejection(Reason.INVALID_AMOUNT, "premine is zero")',
        'raise Rejection(Reason.INVALID_DEPLOY, "premine is zero")',
    ),
    Reversal(
        "ticker-taken-before-id",
        "6.2.1",
        "the ticker is checked before the one-deploy-per-message rule",
        "v1-check-orders",
        M_TOKEN,
        "        if ctx.state.get(token_key(token)) is not None:\n"
        '            raise Rejection(Reason.INVALID_DEPLOY, "one deploy per message")\n',
        "        if ctx.state.get(ticker_key(ticker)) is not None:\n"
        "            raise Rejection(Reason.TICKER_TAKEN, ticker)\n"
        "        if ctx.state.get(token_key(token)) is not None:\n"
        '            raise Rejection(Reason.INVALID_DEPLOY, "one deploy per message")\n',
    ),
    Reversal(
        "mint-window-end-inclusive",
        "6.2.2",
        "the mint window's end height is still open",
        "mint-window",
        M_TOKEN,
        "terms.end is not None and ctx.height >= terms.end",
        "terms.end is not None and ctx.height > terms.end",
    ),
    Reversal(
        "mint-cap-plus-one",
        "6.3",
        "an open mint may run one past its cap",
        "mint-cap-reached",
        M_TOKEN,
        "if record.mints >= terms.cap:",
        "if record.mints > terms.cap:",
    ),
    Reversal(
        "supply-exact-refused",
        "6.3",
        "a mint reaching exactly the max supply is refused",
        "mint-supply-exceeded",
        M_TOKEN,
        "if record.minted + amount > record.max_supply:",
        "if record.minted + amount >= record.max_supply:",
    ),
    Reversal(
        "open-mint-any-amount",
        "6.3",
        "an open mint may name another amount than the terms'",
        "mint-open-amount",
        M_TOKEN,
        "if amount is not None and amount != terms.amount:",
        "if False:",
    ),
    Reversal(
        "mint-output-before-token",
        "6.3",
        "a mint's output is checked before its token exists",
        "v1-check-orders",
        M_TOKEN,
        "        record = load_token(ctx.state, token)\n        vout = ctx.output(out)\n",
        "        vout = ctx.output(out)\n        record = load_token(ctx.state, token)\n",
    ),
    Reversal(
        "transfer-output-before-token",
        "6.4",
        "a transfer's output is checked before its token exists",
        "v1-check-orders",
        M_TOKEN,
        "        if ctx.owner(ctx.state, token) is None:\n"
        "            raise Rejection(Reason.UNKNOWN_TOKEN)\n"
        "        vout = ctx.output(out)\n",
        "        vout = ctx.output(out)\n"
        "        if ctx.owner(ctx.state, token) is None:\n"
        "            raise Rejection(Reason.UNKNOWN_TOKEN)\n",
    ),
    Reversal(
        "authority-mint-unspent",
        "7.7",
        "an issuer mint succeeds without spending the authority",
        "mint-issuer",
        M_TOKEN,
        "if token not in ctx.spent_authorities:",
        "if False:",
    ),
)
