"""At most 4 entries per UTXO record (spec §7.5.1): what does not fit moves on to the next
spendable output, and past the last one balances burn (cause 1) and authorities lose their
home.

Checked against the old rule (no bound): under it output 0 of each transaction here holds
all six entries, so the first credit list of this vector already fails.
"""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen.model import Tok
from tests.vectorgen.scenarios.common import deploy_issuer
from tests.vectorgen.txbuild import In, Tx, pay
from tests.vectorgen.vector import Vector

MAX_UTXO_ASSETS = 4
TOKENS = MAX_UTXO_ASSETS + 2


def utxo_bound() -> dict[str, Any]:
    v = Vector(
        "utxo-assets-bound",
        "Six tokens' premines spent together into two outputs without a message: output 0 "
        "keeps the first 4 token ids, output 1 the other 2. Spent again into one output: 4 "
        "stay, 2 burn with cause 1. Six authorities into one output: 4 move there, 2 are "
        "destroyed.",
        ["7.5", "7.5.1", "7.7"],
    )
    b = v.block()
    deploys: list[tuple[Tx, Tok]] = [
        deploy_issuer(v, b, f"BND{chr(65 + n)}", 1000, 100) for n in range(TOKENS)
    ]
    toks = [tok for _, tok in deploys]
    first, rest = toks[:MAX_UTXO_ASSETS], toks[MAX_UTXO_ASSETS:]

    b = v.block()
    merge = b.tx([In(d.out(0)) for d, _ in deploys], [pay(), pay()])
    b.expect(*(ev.debit(merge, d.out(0), tok, 100) for d, tok in deploys))
    b.expect(*(ev.credit(merge, 0, tok, 100) for tok in first))
    b.expect(*(ev.credit(merge, 1, tok, 100) for tok in rest))
    v.ledger.spend(*(d.out(0) for d, _ in deploys))
    v.ledger.hold(merge.out(0), dict.fromkeys(first, 100))
    v.ledger.hold(merge.out(1), dict.fromkeys(rest, 100))

    b = v.block()
    squeeze = b.tx([In(merge.out(0)), In(merge.out(1))], [pay()])
    b.expect(*(ev.debit(squeeze, merge.out(0), tok, 100) for tok in first))
    b.expect(*(ev.debit(squeeze, merge.out(1), tok, 100) for tok in rest))
    b.expect(*(ev.burn(squeeze, tok, 100, 1) for tok in rest))
    b.expect(*(ev.credit(squeeze, 0, tok, 100) for tok in first))
    v.ledger.spend(merge.out(0), merge.out(1))
    v.ledger.hold(squeeze.out(0), dict.fromkeys(first, 100))
    for tok in rest:
        v.ledger.update(tok, burned=100)

    authorities = b.tx([In(d.out(1)) for d, _ in deploys], [pay()])
    b.expect(*(ev.authority(authorities, tok, 0) for tok in first))
    b.expect(*(ev.authority(authorities, tok, None) for tok in rest))
    v.ledger.spend(*(d.out(1) for d, _ in deploys))
    v.ledger.hold(authorities.out(0), auth=tuple(first))
    for tok in first:
        v.ledger.update(tok, authority=authorities.out(0))
    for tok in rest:
        v.ledger.update(tok, authority=None)
    return v.finish()


VECTORS = [utxo_bound]
