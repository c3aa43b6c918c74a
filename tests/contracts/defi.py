"""Helpers shared by the DeFi example tests (TWAP, lending): read-only calls whose return
data is read from the machine's ``returned`` list, on a throwaway overlay of the state."""

from __future__ import annotations

from protocol.overlay import Overlay
from protocol.tx import Transaction
from tests.contracts.sdk import abort_code
from tests.protocol.builders import In, make_tx, op_return_script, rejection, spend, spendable
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


__all__ = ["MOD128", "Q64", "Wallet", "q64", "rejection", "view"]


class Wallet:
    """Coins spread over ``outputs`` outputs (a UTXO record holds at most 4 entries,
    PROTOCOL.md §7.5.1): each call spends them all; results land on output 0 and the
    rest flow on to the next outputs."""

    def __init__(self, chain: ContractChain, coins: list[In], outputs: int = 6) -> None:
        self.chain = chain
        self.coins = coins
        self.outputs = outputs
        self.last: Transaction | None = None

    def call(
        self, contract: tuple[int, int], data: bytes, *assets: tuple[list[int], int]
    ) -> int | None:
        scripts = [spendable(n) for n in range(self.outputs)]
        tx, effects = self.chain.send(
            call(contract, data, assets=assets), inputs=self.coins, outputs=scripts
        )
        self.coins, self.last = [spend(tx, n) for n in range(self.outputs)], tx
        return abort_code(effects, tx)

    def held(self, key: bytes) -> int:
        """The wallet's amount of ``key`` (8-byte token id or 12-byte contract asset)."""
        assert self.last is not None
        last = self.last
        return sum(self.chain.balances(last, n).get(key, 0) for n in range(self.outputs))
