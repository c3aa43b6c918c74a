"""Helpers shared by the DeFi example tests (TWAP, lending): read-only calls whose return
data is read from the machine's ``returned`` list, on a throwaway overlay of the state."""

from __future__ import annotations

from protocol.overlay import Overlay
from tests.protocol.builders import make_tx, op_return_script, rejection, spendable
from tests.protocol.contracts.harness import ANNEX, SIGNATURE, ContractChain, call, message

Q64 = 1 << 64
MOD128 = 1 << 128


def view(chain: ContractChain, contract: tuple[int, int], data: bytes) -> bytes:
    """The return data of a call of ``contract`` with ``data`` in the next block, undone."""
    coin = chain.coin()
    tx = make_tx(
        [type(coin)(coin.txid, coin.vout, (SIGNATURE, ANNEX))],
        [spendable(1), op_return_script(message(call(contract, data)))],
    )
    returned: list[bytes] = []
    events = chain.machine.apply_transaction(
        Overlay(chain.state), chain.next_height, 1, tx, returned=returned
    )
    assert all(e.get(0) != 7 for e in events), events
    return returned[-1]


def q64(num: int, den: int) -> int:
    """floor(num * 2^64 / den), saturating at 2^128 - 1 (the AMM's price encoding)."""
    return min((num << 64) // den, MOD128 - 1)


__all__ = ["MOD128", "Q64", "q64", "rejection", "view"]
