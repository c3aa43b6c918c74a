"""A message payload as JSON: version, pointer and operations with their fields named.

For display only: the machine decides validity. Payloads that fail the strict decoding of
spec §4-§5 are reported with the reason, and fields of unexpected types are shown as they are.
"""

from __future__ import annotations

from typing import Any

from protocol.cbor import CborValue
from protocol.contracts import v1_kinds
from protocol.contracts.wasm.kind import OPCODES
from protocol.fields import format_token_id
from protocol.message import decode_message
from protocol.params import U32_MAX
from protocol.reasons import Reason, Rejection

# spec §6.2-§6.5: field names per operation code; amounts are shown as decimal strings.
_FIELDS: dict[int, dict[int, str]] = {
    1: {
        1: "ticker",
        2: "decimals",
        3: "max_supply",
        4: "terms",
        5: "authority_output",
        6: "premine",
        7: "premine_output",
    },
    2: {1: "token", 2: "amount", 3: "output"},
    3: {1: "token", 2: "amount", 3: "output"},
    4: {1: "token", 2: "amount"},
    # CONTRACTS.md §16.1-§16.3
    5: {1: "code", 2: "init_input", 4: "fuel"},
    6: {1: "template", 2: "init_input", 4: "fuel"},
    7: {1: "contract", 2: "input", 3: "assets", 4: "fuel"},
}
_IDS = {"token", "contract", "template"}
_TERMS = {0: "amount", 1: "cap", 2: "start", 3: "end"}
_AMOUNTS = {"amount", "max_supply", "premine"}
_OPERATION_NAMES = {
    **{code: name for kind in v1_kinds() for code, name in kind.opcodes.items()},
    **OPCODES,
}
#: Integers above this are shown as strings, since JSON readers often hold only doubles.
_SAFE_INT = 2**53 - 1


def plain(value: CborValue) -> Any:
    """Any CBOR value as JSON: bytes in hex, big integers as strings, map keys as text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) <= _SAFE_INT else str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return str(value)


def _field(name: str, value: CborValue) -> Any:
    if name in _IDS and isinstance(value, list) and len(value) == 2:
        parts = [part for part in value if isinstance(part, int) and 0 <= part <= U32_MAX]
        if len(parts) == 2:
            return format_token_id(parts[0].to_bytes(4, "big") + parts[1].to_bytes(4, "big"))
    if name in _AMOUNTS and isinstance(value, int):
        return str(value)
    if name == "terms" and isinstance(value, dict):
        return {
            _TERMS.get(k, str(k)) if isinstance(k, int) else str(k): (
                str(v) if k == 0 and isinstance(v, int) else plain(v)
            )
            for k, v in value.items()
        }
    return plain(value)


def render_message(payload: bytes) -> tuple[dict[str, Any] | None, Reason | None]:
    """(message JSON, None), or (None, the reason decoding failed)."""
    try:
        message = decode_message(payload)
    except Rejection as rejection:
        return None, rejection.reason
    operations = []
    for operation in message.operations:
        names = _FIELDS.get(operation.opcode, {})
        rendered: dict[str, Any] = {
            "op": _OPERATION_NAMES.get(operation.opcode, f"op_{operation.opcode}")
        }
        for key, value in operation.fields.items():
            if key != 0:
                rendered[names.get(key, f"key_{key}")] = _field(names.get(key, ""), value)
        operations.append(rendered)
    body = {"version": message.version, "pointer": message.pointer, "operations": operations}
    return body, None
