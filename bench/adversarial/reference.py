"""The ordinary full block the attack classes are compared with: 1 MB of block space, of
which ordinary payments take what token transfers and AMM swaps leave (issue 17 item 1).

Payments carry no protocol data and spend no protocol outpoint, so the follow loop never
parses or applies them (``indexer.block_select``); they count here as block space only.
The protocol traffic is a few hundred transfers of a v1 token (one input, two outputs) and
swaps against one pool of the committed AMM (contracts/wasm/amm.wasm), each chained on the
previous transaction's change, applied and committed through the real store.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cbor2

from bench.adversarial.search import FUEL_PER_VBYTE, Result
from bench.adversarial.world import BLOCK_VBYTES, World, fresh_outpoint, message
from bench.adversarial.world import op_return_tx as _tx
from protocol.contracts.wasm import limits as lim
from regtest.tx import OutPoint, Tx

AMM = Path(__file__).resolve().parents[2] / "contracts" / "wasm" / "amm.wasm"
SWAP, ADD = 2, 1  # contracts/README.md
TRANSFERS = 400
SWAPS = 200
#: Annex bytes of setup calls: 4,000,000 fuel's worth of block space.
SETUP_PAD = 16_000
#: A typical payment: one P2WPKH input, two outputs (141 vB).
PAYMENT_VBYTES = 141


def asset(ref: tuple[int, int]) -> bytes:
    return ref[0].to_bytes(4, "big") + ref[1].to_bytes(4, "big") + bytes(4)


def u(value: int, width: int) -> bytes:
    return value.to_bytes(width, "little")


class Traffic:
    """Two tokens, an AMM pool with liquidity, and a wallet outpoint holding both."""

    def __init__(self, world: World) -> None:
        self.world = world
        deploys = []
        for ticker in ("AAA", "BBB"):
            deploys.append(_tx(message({0: 1, 1: ticker, 3: 10**15, 5: 1, 6: 10**15}), outputs=2))
        world.apply(deploys)
        self.a, self.b = (world.height - 1, 1), (world.height - 1, 2)
        publish = {0: 5, 1: AMM.read_bytes(), 2: asset(self.a) + asset(self.b) + u(30, 2)}
        world.apply([_tx(message(publish), pad=18 * len(AMM.read_bytes()) + 8_000)])
        self.amm = (world.height - 1, 1)
        merge = _tx(message(), [OutPoint(d.txid, 0) for d in deploys], outputs=2)
        world.apply([merge])
        self.wallet = OutPoint(merge.txid, 0)
        add = bytes([ADD]) + u(0, 16) + u(0, 4)
        self.pad = 0
        world.apply([self.call(add, [(self.a, 10**12), (self.b, 10**12)], pad=SETUP_PAD)])
        self.pad = self.swap_pad(world)

    def swap_pad(self, world: World) -> int:
        """The annex a swap needs so that its vsize buys its fuel (CONTRACTS.md §21.2):
        one swap with plenty tells the fuel it uses; none where fuel is free."""
        if FUEL_PER_VBYTE is None:
            return 0
        effects = world.apply([self.call(self.swap_data(), [(self.b, 1_000)], pad=SETUP_PAD)])
        used = max(int(cbor2.loads(e).get(14, 0)) for e in effects.events)
        start = lim.CALL_START_FUEL + lim.CALL_FUEL_PER_CODE_BYTE * len(AMM.read_bytes())
        op = {0: 7, 1: list(self.amm), 2: self.swap_data(), 3: [[list(self.a), 1_000]]}
        bare = _tx(message(op), [self.wallet, fresh_outpoint()], pad=1).vsize  # not applied
        return 4 * (-(-(start + used) // FUEL_PER_VBYTE) - bare) + 4 + 64

    def call(self, data: bytes, sent: list[tuple[tuple[int, int], int]], pad: int = 0) -> Tx:
        op = {0: 7, 1: list(self.amm), 2: data, 3: [[list(r), n] for r, n in sent]}
        return self._chain(message(op), pad=pad or self.pad)

    def transfer(self) -> Tx:
        return self._chain(message({0: 3, 1: list(self.a), 2: 1_000, 3: 1}), outputs=2)

    @staticmethod
    def swap_data() -> bytes:
        return bytes([SWAP]) + u(0, 16) + u(0, 4)

    def swap(self, n: int) -> Tx:
        return self.call(self.swap_data(), [(self.a if n % 2 == 0 else self.b, 1_000)])

    def _chain(self, payload: bytes, outputs: int = 1, pad: int = 0) -> Tx:
        tx = _tx(payload, [self.wallet, fresh_outpoint()], outputs=outputs, pad=pad)
        self.wallet = OutPoint(tx.txid, 0)
        return tx


def reference(world: World, fraction: float) -> Result:
    traffic = Traffic(world)
    transfers = max(1, int(TRANSFERS * fraction))
    swaps = max(1, int(SWAPS * fraction))
    txs = [traffic.transfer() for _ in range(transfers)]
    txs += [traffic.swap(n) for n in range(swaps)]
    cost, _ = world.measure(txs)
    assert cost.rejected == 0, f"{cost.rejected} reference transactions rejected"
    payments = max(0, int(BLOCK_VBYTES * fraction) - cost.vbytes)
    whole = replace(cost, vbytes=cost.vbytes + payments, txs=cost.txs + payments // PAYMENT_VBYTES)
    return Result(
        "reference", f"{transfers} transfers, {swaps} swaps, payments", whole, fraction, 0
    )
