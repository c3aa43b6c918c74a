"""The UTXO record: what an outpoint carries (spec §9.3).

Canonical CBOR ``{0: [[token id, amount], ...], 1: [token id, ...]}``: balances in
ascending token id order, authorities likewise; a key is omitted when its list is empty and
the record is deleted when both are.
"""

from __future__ import annotations

from dataclasses import dataclass

import cbor2

from protocol.cbor import encode_canonical

KEY_BALANCES, KEY_AUTHORITIES = 0, 1


@dataclass(frozen=True)
class UtxoAssets:
    balances: tuple[tuple[bytes, int], ...] = ()
    authorities: tuple[bytes, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.balances and not self.authorities

    def encode(self) -> bytes:
        record: dict[int, object] = {}
        if self.balances:
            record[KEY_BALANCES] = [[token, amount] for token, amount in self.balances]
        if self.authorities:
            record[KEY_AUTHORITIES] = list(self.authorities)
        return encode_canonical(record)

    @classmethod
    def decode(cls, raw: bytes) -> UtxoAssets:
        record = cbor2.loads(raw)
        balances = tuple((bytes(t), int(a)) for t, a in record.get(KEY_BALANCES, ()))
        authorities = tuple(bytes(t) for t in record.get(KEY_AUTHORITIES, ()))
        return cls(balances, authorities)

    @classmethod
    def build(cls, balances: dict[bytes, int], authorities: list[bytes]) -> UtxoAssets:
        return cls(
            tuple((token, balances[token]) for token in sorted(balances) if balances[token]),
            tuple(sorted(set(authorities))),
        )
