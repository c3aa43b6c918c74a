"""The taproot envelope a publish is revealed in (spec/PROTOCOL.md §3.3): one tapscript leaf
``<key> OP_CHECKSIG OP_FALSE OP_IF "rstate" <chunks> OP_ENDIF`` under the caller's key.

The building block of ``POST /v1/compose/publish`` (commit pays to :attr:`EnvelopeOutput.
script_pubkey`, the reveal spends it by script path with :attr:`EnvelopeOutput.control_block`).
The caller's key is also the internal key, so a commit whose reveal is never sent can be
spent back by key path: no funds depend on the reveal. The point arithmetic is coincurve's
(libsecp256k1): embit's tweak drops the output key's parity, which the control block needs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from coincurve import PublicKeyXOnly

from api.compose import _push
from protocol.params import ENVELOPE_HEAD, MAX_CHUNK

TAPSCRIPT_LEAF_VERSION = 0xC0
OP_CHECKSIG = 0xAC
OP_ENDIF = 0x68


def tagged_hash(tag: str, data: bytes) -> bytes:
    """BIP340's tagged hash."""
    prefix = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(prefix + prefix + data).digest()


def _compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def envelope_leaf(xonly_key: bytes, payload: bytes) -> bytes:
    """§3.3: the leaf script carrying ``payload`` in pushes of at most 520 bytes."""
    if len(xonly_key) != 32:
        raise ValueError(f"an x-only key is 32 bytes, not {len(xonly_key)}")
    chunks = [payload[i : i + MAX_CHUNK] for i in range(0, len(payload), MAX_CHUNK)]
    return (
        _push(xonly_key)
        + bytes([OP_CHECKSIG])
        + ENVELOPE_HEAD
        + b"".join(_push(chunk) for chunk in chunks)
        + bytes([OP_ENDIF])
    )


@dataclass(frozen=True)
class EnvelopeOutput:
    """A P2TR output whose only leaf is the envelope (BIP341)."""

    internal_key: bytes
    leaf_script: bytes
    leaf_hash: bytes
    output_key: bytes
    control_block: bytes

    @property
    def script_pubkey(self) -> bytes:
        return b"\x51\x20" + self.output_key


def envelope_output(xonly_key: bytes, payload: bytes) -> EnvelopeOutput:
    """The output committing to ``payload``; ``xonly_key`` must be a point on the curve."""
    leaf = envelope_leaf(xonly_key, payload)
    leaf_hash = tagged_hash(
        "TapLeaf", bytes([TAPSCRIPT_LEAF_VERSION]) + _compact_size(len(leaf)) + leaf
    )
    # One leaf: the merkle root is the leaf hash and the control block has no path.
    point = PublicKeyXOnly(xonly_key)
    point.tweak_add(tagged_hash("TapTweak", xonly_key + leaf_hash))
    control = bytes([TAPSCRIPT_LEAF_VERSION | int(point.parity)]) + xonly_key
    return EnvelopeOutput(xonly_key, leaf, leaf_hash, point.format(), control)
