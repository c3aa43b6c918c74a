"""``rootstate contract check FILE.wasm``: the protocol's own publish check (spec §15,
:func:`protocol.wasm.validate.validate`) with a refusal explained in words, then a fuel
estimate of each entry point from running it on a local chain with the real machine.

Fuel depends on the input and on the state a call finds, so the estimate is of the inputs
given (``--init`` for init, each ``--input`` for call; none: an empty input), and what
it would be charged follows the protocol's current fuel schedule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from cli.contract_explain import explain
from cli.contract_local import Applied, LocalChain
from cli.contract_values import encode_values
from protocol.contracts.wasm import limits
from protocol.wasm.reasons import WasmRejection
from protocol.wasm.validate import validate

Out = Callable[[str], None]


def _outcome(applied: Applied) -> str:
    if applied.rejected is not None:
        detail = applied.rejected["detail"]
        code = "" if detail is None else f", abort code {detail}"
        return f"rejected ({applied.rejected['reason']['name']}{code})"
    if applied.fuel_used is None:
        return "ran"
    share = 100 * applied.fuel_used / limits.MAX_CALL_FUEL
    return (
        f"fuel {applied.fuel_used:,} ({share:.2f}% of the {limits.MAX_CALL_FUEL:,} a call may use)"
    )


def check_module(
    path: Path,
    init: Sequence[str],
    inputs: Sequence[Sequence[str]],
    out: Out,
    *,
    estimate: bool = True,
) -> int:
    """0 when the protocol accepts the module (whatever the sample runs do), 1 when not."""
    try:
        code = path.read_bytes()
    except OSError as exc:
        out(f"{path}: cannot read: {exc.strerror}")
        return 1
    out(f"{path}: {len(code):,} bytes, sha256 {hashlib.sha256(code).hexdigest()}")
    try:
        module = validate(code)
    except WasmRejection as rejection:
        out(f"REFUSED: the protocol would reject this module at publish: {rejection.reason.label}")
        out(f"  reason {int(rejection.reason)}: {explain(rejection.reason)}")
        if rejection.detail:
            out(f"  where: {rejection.detail}")
        return 1
    entries = "init and call" if module.has_init else "call (no init)"
    out(
        "accepted by the protocol's validator (spec §15): "
        f"{len(module.bodies)} functions, {entries}"
    )
    if not estimate:
        return 0
    chain = LocalChain()
    contract, published = chain.publish(code, encode_values(init))
    what = f"init({' '.join(init)})" if module.has_init else "publish (no init)"
    out(f"  {what}: {_outcome(published)}")
    if published.rejected is not None:
        out("  the calls were not run: the publish failed (give init's input with --init)")
        return 0
    for values in inputs or [()]:
        applied = chain.call(contract, encode_values(values))
        out(f"  call({' '.join(values)}): {_outcome(applied)}")
    return 0
