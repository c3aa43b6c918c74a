"""Transaction size, fee and dust arithmetic for composing (weights as BIP141 counts them).

An input's weight is estimated from the script it spends, assuming the usual way to spend
it (one signature); callers spending anything else state the weight themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

WITNESS_SCALE = 4
#: Outpoint (36) + empty scriptSig length (1) + sequence (4), non-witness bytes.
_INPUT_BASE = 41
#: Witness item count + signature push (65 bytes with an explicit sighash type, at most).
P2TR_KEYPATH_WEIGHT = _INPUT_BASE * WITNESS_SCALE + 1 + 1 + 65
#: Witness: item count, DER signature (<= 72 with sighash) push, compressed key push.
P2WPKH_WEIGHT = _INPUT_BASE * WITNESS_SCALE + 1 + 1 + 72 + 1 + 33
#: scriptSig of 107 bytes (signature and key pushes) in the non-witness part.
P2PKH_WEIGHT = (_INPUT_BASE + 107) * WITNESS_SCALE
#: Bitcoin Core's dust relay fee, sat per 1,000 vbytes.
DUST_RELAY_FEE = 3_000
#: The heaviest input a caller may declare (a full standard witness is far below this).
MAX_INPUT_WEIGHT = 400_000


class UnknownInputError(ValueError):
    """The spent script is not one whose spending size can be estimated."""


def witness_version(script: bytes) -> int | None:
    if not 4 <= len(script) <= 42 or script[1] != len(script) - 2:
        return None
    if script[0] == 0:
        return 0
    if 0x51 <= script[0] <= 0x60:
        return script[0] - 0x50
    return None


def is_p2pkh(script: bytes) -> bool:
    return len(script) == 25 and script[:3] == b"\x76\xa9\x14" and script[23:] == b"\x88\xac"


def input_weight(script: bytes) -> int:
    """Weight of an input spending ``script`` the usual way (key path, one signature)."""
    version = witness_version(script)
    if version == 1 and len(script) == 34:
        return P2TR_KEYPATH_WEIGHT
    if version == 0 and len(script) == 22:
        return P2WPKH_WEIGHT
    if is_p2pkh(script):
        return P2PKH_WEIGHT
    raise UnknownInputError(
        f"cannot estimate the size of spending script {script.hex()}: give its input_weight"
    )


def compact_size_len(n: int) -> int:
    return 1 if n < 0xFD else 3 if n <= 0xFFFF else 5 if n <= 0xFFFF_FFFF else 9


def output_size(script: bytes) -> int:
    return 8 + compact_size_len(len(script)) + len(script)


def dust_threshold(script: bytes) -> int:
    """The smallest value Bitcoin Core relays to ``script`` (its GetDustThreshold)."""
    if script[:1] == b"\x6a":
        return 0
    spend = 32 + 4 + 1 + 107 // WITNESS_SCALE + 4 if witness_version(script) is not None else 148
    return (output_size(script) + spend) * DUST_RELAY_FEE // 1_000


def tx_weight(inputs: Sequence[tuple[int, bool]], outputs: Sequence[bytes]) -> int:
    """Weight of a version-2 transaction; ``inputs`` are (input weight, spends segwit)."""
    base = 4 + compact_size_len(len(inputs)) + compact_size_len(len(outputs)) + 4
    base += sum(output_size(script) for script in outputs)
    weight = base * WITNESS_SCALE + sum(w for w, _ in inputs)
    if any(segwit for _, segwit in inputs):
        # Marker and flag, and an empty witness (one zero byte) for every non-segwit input.
        weight += 2 + sum(1 for _, segwit in inputs if not segwit)
    return weight


def vsize(weight: int) -> int:
    return -(-weight // WITNESS_SCALE)


def fee_for(weight: int, rate: Fraction) -> int:
    """The fee at ``rate`` sat/vB, rounded up to whole satoshis."""
    total = vsize(weight) * rate
    return -(-total.numerator // total.denominator)
