"""The quorum oracle (contracts/examples/oracle.ts) through the v2 machine, signed with
embit's BIP340 (libsecp256k1), and read by the lending market as its price source.

The signed message is written out here from contracts/README.md: sha256(oracle id (8) ||
base (12) || quote (12) || price u128 LE || height u64 LE || sequence u64 LE).
"""

from __future__ import annotations

import hashlib
import statistics

from embit.ec import PrivateKey  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wasmtime_engine import WasmtimeEngine
from regtest.contract_inputs import u16, u64, u128
from tests.contracts.defi import Q64, view
from tests.contracts.sdk import abort_code, asset, code
from tests.protocol.builders import issuer_token
from tests.protocol.contracts.harness import ContractChain, call, cid

KEYS = [PrivateKey(hashlib.sha256(b"signer%d" % i).digest()) for i in range(5)]
M, MAX_AGE, MAX_DEV = 3, 6, 500  # 3 of 5, 6 blocks, 5%
E_QUORUM, E_SIGNER, E_SIGNATURE, E_STALE, E_ORDER, E_DEVIATION = 103, 104, 105, 106, 107, 108
E_NO_PRICE = 110


class Feed:
    def __init__(self, engine: WasmtimeEngine) -> None:
        self.chain = ContractChain(engine)
        self.base_tx, self.base = issuer_token(self.chain, 10**9, 10**12, "BTC")
        _, self.quote = issuer_token(self.chain, 10**9, 10**12, "USD")
        keys = b"".join(k.get_public_key().xonly() for k in KEYS)
        init = (
            asset(self.base)
            + asset(self.quote)
            + bytes([M, len(KEYS)])
            + u64(MAX_AGE)
            + u16(MAX_DEV)
            + keys
        )
        self.oracle = self.chain.deploy(code("oracle"), init)

    def attest(
        self, signer: int, price: int, at: int, seq: int, key: PrivateKey | None = None
    ) -> bytes:
        record = (
            cid(self.oracle)
            + asset(self.base)
            + asset(self.quote)
            + u128(price)
            + u64(at)
            + u64(seq)
        )
        signed = (key or KEYS[signer]).schnorr_sign(hashlib.sha256(record).digest())
        sig: bytes = signed.serialize()
        return bytes([signer]) + u128(price) + u64(at) + u64(seq) + sig

    def submit(self, *attestations: bytes) -> int | None:
        data = bytes([1, len(attestations)]) + b"".join(attestations)
        tx, effects = self.chain.send(call(self.oracle, data))
        return abort_code(effects, tx)

    def median(self) -> tuple[int, int]:
        raw = view(self.chain, self.oracle, bytes([3]))
        assert len(raw) == 24
        return int.from_bytes(raw[:16], "little"), int.from_bytes(raw[16:], "little")


def test_quorum_median_and_refusals(engine: WasmtimeEngine) -> None:
    f = Feed(engine)
    h = f.chain.next_height
    p = 60_000 * Q64
    # No price before the first accepted round: the median aborts.
    tx, effects = f.chain.send(call(f.oracle, bytes([3])))
    assert abort_code(effects, tx) == E_NO_PRICE
    h = f.chain.next_height
    # Two signatures are below the quorum of 3.
    assert f.submit(f.attest(0, p, h, 1), f.attest(1, p, h, 1)) == E_QUORUM
    # A signature by a key outside the set, in signer 2's place.
    outsider = PrivateKey(hashlib.sha256(b"outsider").digest())
    bad = f.attest(2, p, h, 1, key=outsider)
    assert f.submit(f.attest(0, p, h, 1), f.attest(1, p, h, 1), bad) == E_SIGNATURE
    # The same signer twice (indices must increase).
    h = f.chain.next_height
    assert f.submit(f.attest(0, p, h, 1), f.attest(0, p, h, 2), f.attest(1, p, h, 1)) == E_SIGNER
    # Prices 59,000 / 60,000 / 61,500: median 60,000; 61,500 is 2.5% off, within 5%.
    h = f.chain.next_height
    a = [f.attest(0, 59_000 * Q64, h, 1), f.attest(1, p, h, 1), f.attest(3, 61_500 * Q64, h, 1)]
    assert f.submit(*a) is None
    assert f.median() == (p, h)
    # Replaying the round: every sequence is no longer above its signer's last.
    assert f.submit(*a) == E_ORDER
    # Stale: attested 7 blocks ago with a max age of 6.
    h = f.chain.next_height
    old = h - 7
    assert f.submit(*(f.attest(i, p, old, 2) for i in (0, 1, 2))) == E_STALE
    # Future height.
    assert f.submit(*(f.attest(i, p, h + 5, 2) for i in (0, 1, 2))) == E_STALE
    # Deviating: 60,000, 60,000, 64,000: median 60,000, 64,000 is 6.67% off.
    h = f.chain.next_height
    dev = [f.attest(0, p, h, 2), f.attest(1, p, h, 2), f.attest(2, 64_000 * Q64, h, 2)]
    assert f.submit(*dev) == E_DEVIATION
    # Four signers, an even count: median floor((60,000 + 62,000) / 2) = 61,000; the
    # round's height is its oldest attestation's.
    h = f.chain.next_height
    four = [
        f.attest(0, 59_500 * Q64, h - 2, 3),
        f.attest(1, 60_000 * Q64, h, 3),
        f.attest(2, 62_000 * Q64, h - 1, 3),
        f.attest(4, 63_000 * Q64, h, 1),
    ]
    assert f.submit(*four) is None
    assert f.median() == (61_000 * Q64, h - 2)


@settings(max_examples=25, deadline=None)
@given(
    center=st.integers(10**6, 10**30),
    offsets=st.lists(st.integers(-1_100, 1_100), min_size=3, max_size=5),
)
def test_the_median_is_the_statistical_median(
    cranelift: WasmtimeEngine, center: int, offsets: list[int]
) -> None:
    """Any quorum whose prices lie within 5% of their median is accepted and serves that
    median (statistics.median_low/high average, floored); any other is refused."""
    prices = [center + center * off // 10_000 for off in offsets]  # within about 11%
    f = Feed(cranelift)
    h = f.chain.next_height
    got = f.submit(*(f.attest(i, p, h, 1) for i, p in enumerate(prices)))
    s = sorted(prices)
    n = len(s)
    want = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2
    assert n % 2 == 0 or want == statistics.median(prices)
    ok = all(-(-abs(p - want) * 10_000 // want) <= MAX_DEV for p in prices)
    if ok:
        assert got is None
        assert f.median() == (want, h)
    else:
        assert got == E_DEVIATION


def test_the_lending_market_prices_by_the_oracle(engine: WasmtimeEngine) -> None:
    """Source 3: the market borrows at the oracle's median and refuses a stale one."""
    f = Feed(engine)
    init = (
        asset(f.base)
        + asset(f.quote)
        + bytes([3])
        + cid(f.oracle)
        + u64(4)  # an oracle price older than 4 blocks is stale
        + u16(5_000)
        + u16(500)
        + u64(0)
    )
    lending = f.chain.deploy(code("lending"), init)
    h = f.chain.next_height
    assert f.submit(*(f.attest(i, 2 * Q64, h, 1) for i in (0, 1, 2))) is None
    # poke returns the source's price: the median, 2.
    raw = view(f.chain, lending, bytes([11]))
    assert int.from_bytes(raw, "little") == 2 * Q64
    for _ in range(4):
        f.chain.block()
    # 5 blocks after the round: stale for the market (E_NO_PRICE).
    tx, effects = f.chain.send(call(lending, bytes([11])))
    assert abort_code(effects, tx) == 103  # lending's E_NO_PRICE
