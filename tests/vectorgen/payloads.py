"""Message payloads (spec §5, §6) as canonical CBOR, and the operation maps they hold."""

from __future__ import annotations

from typing import Any

from tests.vectorgen.encoders import canonical
from tests.vectorgen.model import Tok

Op = dict[int, Any]


def message(*ops: Op, pointer: int | None = None, version: int = 1, **extra: Any) -> bytes:
    """A message map; ``extra`` keys are written ``k<number>=value`` for unknown keys."""
    body: dict[int, Any] = {0: version, 1: list(ops)}
    if pointer is not None:
        body[2] = pointer
    body.update({int(key[1:]): value for key, value in extra.items()})
    return canonical(body)


def terms(
    amount: int, cap: int, start: int | None = None, end: int | None = None
) -> dict[int, int]:
    out = {0: amount, 1: cap}
    if start is not None:
        out[2] = start
    if end is not None:
        out[3] = end
    return out


def deploy(
    ticker: str,
    max_supply: int,
    *,
    decimals: int | None = None,
    mint_terms: dict[int, Any] | None = None,
    authority: int | None = None,
    premine: int | None = None,
    premine_out: int | None = None,
) -> Op:
    fields = {2: decimals, 4: mint_terms, 5: authority, 6: premine, 7: premine_out}
    op: Op = {0: 1, 1: ticker, 3: max_supply}
    op.update({key: value for key, value in fields.items() if value is not None})
    return op


def mint(tok: Tok, amount: int | None = None, out: int | None = None) -> Op:
    op: Op = {0: 2, 1: tok.ref()}
    if amount is not None:
        op[2] = amount
    if out is not None:
        op[3] = out
    return op


def transfer(tok: Tok, amount: int, out: int) -> Op:
    return {0: 3, 1: tok.ref(), 2: amount, 3: out}


def burn(tok: Tok, amount: int) -> Op:
    return {0: 4, 1: tok.ref(), 2: amount}


# --- contracts (CONTRACTS.md §16) ----------------------------------------------------------


def publish(code: Any, init: bytes | None = None, fuel: int | None = None, **extra: Any) -> Op:
    op: Op = {0: 5, 1: code}
    if init is not None:
        op[2] = init
    if fuel is not None:
        op[4] = fuel
    op.update({int(key[1:]): value for key, value in extra.items()})
    return op


def instantiate(template: Tok, init: bytes | None = None) -> Op:
    op: Op = {0: 6, 1: template.ref()}
    if init is not None:
        op[2] = init
    return op


def call(
    contract: Tok,
    data: Any = None,
    assets: list[tuple[Any, int]] | None = None,
    fuel: int | None = None,
    **extra: Any,
) -> Op:
    """``assets`` entries are (Tok or a raw reference list, amount)."""
    op: Op = {0: 7, 1: contract.ref()}
    if data is not None:
        op[2] = data
    if assets is not None:
        op[3] = [[a.ref() if isinstance(a, Tok) else a, n] for a, n in assets]
    if fuel is not None:
        op[4] = fuel
    op.update({int(key[1:]): value for key, value in extra.items()})
    return op


def transfer_ref(ref: list[Any], amount: int, out: int) -> Op:
    return {0: 3, 1: ref, 2: amount, 3: out}
