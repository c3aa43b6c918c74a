"""AMM swaps through the full v2 machine (issue 8 §6):
``python -m tests.contracts.bench_amm [--swaps 2000] [--backend pulley]``.

Builds one block of chained swap transactions against the committed AMM module
(contracts/wasm/amm.wasm): each spends the previous one's output 0, sends 1,000 of one asset
into the pool and takes the other back on output 0, alternating directions. It then applies
the block with ``Machine.apply_block`` (parse of the carriers, pool, contract call with its
host calls and storage writes, settlement, events and the state hash) and prints swaps per
second. Nothing is committed, so repeated runs measure the same work.
"""

from __future__ import annotations

import argparse
import time

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.tx import Transaction
from tests.contracts.sdk import u32, u128
from tests.contracts.test_amm import SWAP, Pool
from tests.protocol.builders import make_tx, op_return_script, rejection, spend, spendable
from tests.protocol.contracts.harness import call, message


def swaps(pool: Pool, count: int) -> list[Transaction]:
    txs = []
    wallet = pool.wallet
    for n in range(count):
        ref = pool.a if n % 2 == 0 else pool.b
        op = call(pool.amm, bytes([SWAP]) + u128(0) + u32(0), assets=[(list(ref), 1_000)])
        tx = make_tx(wallet, [spendable(1), op_return_script(message(op))])
        txs.append(tx)
        wallet = [spend(tx, 0)]
    return txs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--swaps", type=int, default=2_000)
    parser.add_argument("--backend", choices=["cranelift", "pulley"], default="cranelift")
    args = parser.parse_args()
    pool = Pool(WasmtimeEngine(WasmtimeConfig(backend=args.backend)))
    assert pool.add(10**9, 10**9) is None
    txs = swaps(pool, args.swaps)
    pool.chain.peek(*txs[:10])  # warm: the module is compiled and cached
    start = time.perf_counter()
    effects = pool.chain.peek(*txs)
    elapsed = time.perf_counter() - start
    failed = sum(rejection(effects, tx) is not None for tx in txs)
    assert failed == 0, f"{failed:,} swaps rejected"
    print(
        f"backend {args.backend}: {args.swaps:,} swaps in one block, {elapsed:,.2f} s, "
        f"{args.swaps / elapsed:,.0f} swaps/s ({elapsed / args.swaps * 1e6:,.0f} µs per swap)"
    )


if __name__ == "__main__":
    main()
