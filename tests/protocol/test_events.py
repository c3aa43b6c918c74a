"""Event encoding and the per-block commitment (spec §10, §11), checked against hashlib."""

from __future__ import annotations

import hashlib

import pytest

from protocol.events import (
    EventType,
    balance_event,
    encode_event,
    events_hash,
    rejected_event,
    state_hash,
)
from protocol.reasons import Reason
from tests.protocol.builders import (
    Chain,
    block_hash,
    coin,
    message_tx,
    tid,
)
from tests.vectorgen.payloads import deploy, message, terms

TXID = bytes(range(32))
OUTPOINT = TXID + b"\x00\x00\x00\x02"
TOKEN = b"\x00\x00\x00\x64\x00\x00\x00\x01"  # 100:1


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rejected_bytes(txid: bytes, code: int) -> bytes:
    # {0: 7, 1: txid, 11: code}
    return b"\xa3\x00\x07\x01\x58\x20" + txid + b"\x0b" + bytes([code])


def test_empty_events_hash_is_the_spec_constant() -> None:
    expected = bytes.fromhex("76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71")
    assert sha256(b"\x80") == expected  # the spec's constant is H(0x80)
    assert events_hash([]) == expected


@pytest.mark.parametrize(
    ("count", "head"),
    [(1, b"\x81"), (23, b"\x97"), (24, b"\x98\x18"), (255, b"\x98\xff"), (256, b"\x99\x01\x00")],
)
def test_events_hash_is_sha256_of_a_definite_array(count: int, head: bytes) -> None:
    encoded = [b"\xa1\x00" + bytes([i % 24]) for i in range(count)]
    assert events_hash(encoded) == sha256(head + b"".join(encoded))


def test_state_hash_chains_previous_block_events_and_root() -> None:
    previous, block, events, root = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32, b"\x04" * 32
    assert state_hash(previous, block, events, root) == sha256(previous + block + events + root)


def test_rejected_event_encoding() -> None:
    encoded = encode_event(rejected_event(TXID, Reason.UNAUTHORIZED))
    assert encoded == rejected_bytes(TXID, 21)


def test_debit_event_encoding_with_a_small_amount() -> None:
    encoded = encode_event(balance_event(EventType.DEBIT, TXID, OUTPOINT, TOKEN, 1000))
    assert encoded == (
        b"\xa5\x00\x01"
        + b"\x01\x58\x20" + TXID
        + b"\x02\x58\x24" + OUTPOINT
        + b"\x03\x48" + TOKEN
        + b"\x04\x19\x03\xe8"
    )  # fmt: skip


def test_credit_event_amount_above_u64_is_a_bignum() -> None:
    encoded = encode_event(balance_event(EventType.CREDIT, TXID, OUTPOINT, TOKEN, 2**64))
    assert encoded.startswith(b"\xa5\x00\x02")
    assert encoded.endswith(b"\x04\xc2\x49\x01" + bytes(8))


# --- commitments of real blocks ------------------------------------------------------------


def test_block_without_activity_commits_to_the_empty_event_array() -> None:
    chain = Chain(first_height=500)
    first = chain.block()
    second = chain.block()
    empty = sha256(b"\x80")
    assert first.events == () and first.events_hash == empty
    # spec §23.3: the empty state's root is 32 zero bytes.
    assert first.state_root == bytes(32)
    assert first.state_hash == sha256(bytes(32) + block_hash(500) + empty + bytes(32))
    assert second.state_hash == sha256(first.state_hash + block_hash(501) + empty + bytes(32))
    assert first.writes == () and first.undo == () and first.outputs == ()
    assert first.nodes == ()


def test_block_with_a_rejected_message_commits_to_its_event_bytes() -> None:
    chain = Chain(first_height=500)
    tx = message_tx(message(version=2), [coin(1)])
    effects = chain.block(tx)
    event = rejected_bytes(tx.txid, 8)  # unsupported_version
    assert effects.events == (event,)
    assert effects.events_hash == sha256(b"\x81" + event)
    # A rejected message changes no state: the root stays that of the empty state.
    assert effects.state_root == bytes(32)
    assert effects.state_hash == sha256(
        bytes(32) + block_hash(500) + sha256(b"\x81" + event) + bytes(32)
    )


def test_deploy_events_by_hand() -> None:
    chain = Chain(first_height=100)
    tx = message_tx(message(deploy("ABC", 1000, mint_terms=terms(10, 5))), [coin(1)])
    effects = chain.block(tx)
    deploy_event = (
        b"\xa7\x00\x03"
        + b"\x01\x58\x20" + tx.txid
        + b"\x03\x48" + tid(100, 1)
        + b"\x05\x63ABC"
        + b"\x06\x00"
        + b"\x07\x19\x03\xe8"
        + b"\x08\xa2\x00\x0a\x01\x05"
    )  # fmt: skip
    assert effects.events == (deploy_event,)
    assert effects.events_hash == sha256(b"\x81" + deploy_event)
