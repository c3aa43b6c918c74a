"""Building the taproot envelope a message is revealed in (spec §3.3): the builder whose
output :mod:`protocol.carrier` decodes.

The leaf is ``<key> OP_CHECKSIG OP_FALSE OP_IF "rstate" <chunks> OP_ENDIF``: the dead
``OP_IF`` branch never executes, so only a signature by the leaf's key spends it. The
output commits to that one leaf under an internal key (BIP341); the reveal spends it by
script path, putting the leaf and its control block into its witness.
"""

from __future__ import annotations

from dataclasses import dataclass

from coincurve import PublicKeyXOnly

from protocol.params import MAGIC_PUSH, MAX_CHUNK
from protocol.script import OP_0, OP_ENDIF, OP_IF, push_data
from protocol.taproot import TapLeaf, TaprootOutput

OP_CHECKSIG = 0xAC


def envelope_script(
    xonly_key: bytes,
    payload: bytes,
    *,
    chunk_size: int = MAX_CHUNK,
    magic_push: bytes = MAGIC_PUSH,
) -> bytes:
    """§3.3: the leaf script carrying ``payload`` in pushes of ``chunk_size`` bytes (the
    last shorter). ``chunk_size`` and ``magic_push`` let tests build malformed look-alikes."""
    if len(xonly_key) != 32:
        raise ValueError(f"envelope key must be 32-byte x-only, got {len(xonly_key)} bytes")
    if chunk_size < 1:
        raise ValueError(f"chunk size must be positive, got {chunk_size}")
    chunks = (payload[i : i + chunk_size] for i in range(0, len(payload), chunk_size))
    return (
        push_data(xonly_key)
        + bytes((OP_CHECKSIG, OP_0, OP_IF))
        + magic_push
        + b"".join(push_data(chunk) for chunk in chunks)
        + bytes((OP_ENDIF,))
    )


@dataclass(frozen=True)
class EnvelopeOutput:
    """A P2TR output whose only leaf is an envelope."""

    leaf: TapLeaf
    output: TaprootOutput

    @classmethod
    def create(
        cls,
        leaf_key: bytes,
        payload: bytes,
        internal_key: bytes,
        *,
        chunk_size: int = MAX_CHUNK,
        magic_push: bytes = MAGIC_PUSH,
    ) -> EnvelopeOutput:
        """Raise ValueError unless both keys are 32-byte x-only points on the curve."""
        PublicKeyXOnly(leaf_key)  # a leaf key off the curve could never sign the reveal
        script = envelope_script(leaf_key, payload, chunk_size=chunk_size, magic_push=magic_push)
        leaf = TapLeaf(script)
        return cls(leaf, TaprootOutput.create(internal_key, leaf))

    @property
    def leaf_script(self) -> bytes:
        return self.leaf.script

    @property
    def leaf_hash(self) -> bytes:
        return self.leaf.leaf_hash

    @property
    def internal_key(self) -> bytes:
        return self.output.internal_key

    @property
    def merkle_root(self) -> bytes:
        """One leaf: the merkle root is the leaf hash (BIP341)."""
        return self.leaf.leaf_hash

    @property
    def control_block(self) -> bytes:
        return self.output.control_block(self.leaf)

    @property
    def script_pubkey(self) -> bytes:
        return self.output.script_pubkey
