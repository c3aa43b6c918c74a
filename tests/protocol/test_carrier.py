"""Carrier discovery (spec §3): OP_RETURN carriers, taproot envelopes, one per transaction."""

from __future__ import annotations

import pytest

from protocol.carrier import CarrierKind, CarrierScan, find_carriers, tapscript_of
from protocol.tx import Transaction, TxInput, parse_transaction
from tests.protocol.builders import (
    CHECKSIG_PREFIX,
    OP_RETURN_HEAD,
    OP_RETURN_PLAIN,
    Code,
    In,
    bip341_script_leaves,
    coin,
    control_block,
    mainnet_block,
    make_tx,
    script_path,
    spendable,
    tapscript,
)
from tests.vectorgen.script import ENVELOPE_OPEN, OP_ENDIF, envelope, push

PAYLOAD = b"\xa2\x00\x01\x01\x80"  # {0: 1, 1: []}


def scan_outputs(*scripts: bytes) -> CarrierScan:
    return find_carriers(make_tx([coin(1)], list(scripts)))


def scan_witness(*stacks: tuple[bytes, ...], outputs: tuple[bytes, ...] = ()) -> CarrierScan:
    inputs = [In(coin(i).txid, 0, stack) for i, stack in enumerate(stacks)]
    return find_carriers(make_tx(inputs, list(outputs) or [spendable()]))


def only_payload(scan: CarrierScan) -> bytes:
    assert len(scan.carriers) == 1
    assert scan.rejection is None
    return scan.payload


# --- OP_RETURN carriers (§3.2) -------------------------------------------------------------


def test_op_return_carrier_yields_its_single_push() -> None:
    scan = scan_outputs(spendable(), b"\x6a\x06rstate\x05" + PAYLOAD)
    assert only_payload(scan) == PAYLOAD
    carrier = scan.carriers[0]
    assert carrier.kind is CarrierKind.OP_RETURN
    assert carrier.index == 1


def test_pushes_after_the_magic_concatenate_in_every_push_form() -> None:
    script = (
        OP_RETURN_HEAD
        + b"\x02\xa2\x00"  # direct push
        + b"\x00"  # OP_0: the empty string
        + b"\x4c\x01\x01"  # PUSHDATA1
        + b"\x4d\x01\x00\x01"  # PUSHDATA2
        + b"\x4e\x01\x00\x00\x00\x80"  # PUSHDATA4
    )
    assert only_payload(scan_outputs(script)) == PAYLOAD


def test_payload_longer_than_standard_op_return_is_accepted() -> None:
    payload = bytes(range(256)) * 40
    script = OP_RETURN_HEAD + push(payload[:5000]) + push(payload[5000:])
    assert only_payload(scan_outputs(script)) == payload


def test_magic_alone_carries_the_empty_payload() -> None:
    assert only_payload(scan_outputs(b"\x6a\x06rstate")) == b""


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(b"\x6a\x4c\x06rstate" + b"\x01\x00", id="magic-via-pushdata1"),
        pytest.param(b"\x6a\x4d\x06\x00rstate" + b"\x01\x00", id="magic-via-pushdata2"),
        pytest.param(b"\x6a\x07rstate!" + b"\x01\x00", id="longer-push-starting-with-magic"),
        pytest.param(b"\x6a\x05rstat" + b"\x01e", id="magic-split-over-pushes"),
        pytest.param(b"\x6a\x06rstatf\x01\x00", id="other-six-bytes"),
        pytest.param(b"\x6a\x06RSTATE\x01\x00", id="upper-case"),
        pytest.param(b"\x51\x06rstate\x01\x00", id="no-op-return"),
        pytest.param(b"\x00\x6a\x06rstate\x01\x00", id="op-return-not-first"),
        pytest.param(b"\x6a", id="bare-op-return"),
        pytest.param(b"", id="empty-script"),
    ],
)
def test_scripts_that_are_not_op_return_carriers(script: bytes) -> None:
    scan = scan_outputs(spendable(), script)
    assert not scan.has_message
    assert scan.rejection is None


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b"\x51", id="OP_1"),
        pytest.param(b"\x4f", id="OP_1NEGATE"),
        pytest.param(b"\x60", id="OP_16"),
        pytest.param(b"\x01\xa0\x6a", id="OP_RETURN-after-a-push"),
        pytest.param(b"\x01\xa0\xac\x01\x00", id="OP_CHECKSIG-between-pushes"),
    ],
)
def test_non_push_after_the_magic_is_a_malformed_carrier(tail: bytes) -> None:
    scan = scan_outputs(OP_RETURN_HEAD + tail)
    assert scan.has_message
    assert scan.rejection == Code.MALFORMED_CARRIER


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b"\x05\xa0", id="direct-push-short"),
        pytest.param(b"\x01\xa0\x4c", id="pushdata1-without-length"),
        pytest.param(b"\x4d\x10\x00abc", id="pushdata2-short"),
    ],
)
def test_truncated_push_after_the_magic_is_a_malformed_carrier(tail: bytes) -> None:
    assert scan_outputs(OP_RETURN_HEAD + tail).rejection == Code.MALFORMED_CARRIER


# --- the tapscript of an input (§3.3.1) ----------------------------------------------------


def txin(*stack: bytes) -> TxInput:
    return TxInput(bytes(32), 0, stack)


def test_script_path_witness_yields_its_tapscript() -> None:
    assert tapscript_of(txin(b"sig", b"SCRIPT", control_block())) == b"SCRIPT"


def test_annex_is_removed_before_the_tapscript_is_chosen() -> None:
    assert tapscript_of(txin(b"sig", b"SCRIPT", control_block(), b"\x50annex")) == b"SCRIPT"


def test_with_two_elements_a_trailing_0x50_is_an_annex_leaving_a_key_path_spend() -> None:
    assert tapscript_of(txin(b"SCRIPT", b"\x50" + bytes(32))) is None


def test_an_empty_last_element_is_not_an_annex_but_a_failing_control_block() -> None:
    # spec §3.3.1: an annex needs a first byte 0x50; an empty element has none
    assert tapscript_of(txin(b"sig", b"SCRIPT", control_block(), b"")) is None
    assert tapscript_of(txin(b"sig", b"SCRIPT", control_block(), b"\x50")) == b"SCRIPT"


def test_single_element_witness_is_a_key_path_spend() -> None:
    assert tapscript_of(txin(tapscript(envelope(PAYLOAD)))) is None


def test_empty_witness_has_no_tapscript() -> None:
    assert tapscript_of(txin()) is None


@pytest.mark.parametrize(
    ("control", "accepted"),
    [
        pytest.param(control_block(0), True, id="depth-0"),
        pytest.param(control_block(1), True, id="depth-1"),
        pytest.param(control_block(128), True, id="depth-128"),
        pytest.param(control_block(129), False, id="depth-129"),
        pytest.param(control_block(0, first=0xC1), True, id="odd-parity"),
        pytest.param(control_block(0, first=0xC2), False, id="leaf-version-0xc2"),
        pytest.param(control_block(0, first=0xC4), False, id="leaf-version-0xc4"),
        pytest.param(control_block(0, first=0x40), False, id="leaf-version-0x40"),
        pytest.param(control_block(0, first=0xE0), False, id="leaf-version-0xe0"),
        pytest.param(control_block(0)[:32], False, id="32-bytes"),
        pytest.param(control_block(0) + b"\x00", False, id="34-bytes"),
        pytest.param(control_block(1)[:-1], False, id="64-bytes"),
        pytest.param(b"", False, id="empty"),
    ],
)
def test_control_block_shape_decides_whether_there_is_a_tapscript(
    control: bytes, accepted: bool
) -> None:
    found = tapscript_of(txin(b"sig", b"SCRIPT", control))
    assert found == (b"SCRIPT" if accepted else None)


def test_bip341_control_blocks_are_judged_by_their_leaf_version() -> None:
    leaves = list(bip341_script_leaves())
    versions = {version for _, version, _ in leaves}
    assert 0xC0 in versions
    assert versions - {0xC0}, "the vectors should include other leaf versions"
    for script, version, control in leaves:
        found = tapscript_of(txin(b"sig", script, control))
        assert found == (script if version == 0xC0 else None), control.hex()


# --- envelopes (§3.3.2) --------------------------------------------------------------------


def test_envelope_in_a_script_path_spend_is_a_carrier() -> None:
    scan = scan_witness((), script_path(tapscript(envelope(PAYLOAD))))
    assert only_payload(scan) == PAYLOAD
    assert scan.carriers[0].kind is CarrierKind.ENVELOPE
    assert scan.carriers[0].index == 1


def test_envelope_at_the_very_start_of_the_tapscript() -> None:
    assert only_payload(scan_witness(script_path(envelope(PAYLOAD)))) == PAYLOAD


def test_envelope_chunks_concatenate_and_520_bytes_is_allowed() -> None:
    payload = bytes(range(256)) * 5  # 1,280 bytes: chunks of 520, 520, 240
    script = tapscript(envelope(payload, 520))
    assert only_payload(scan_witness(script_path(script))) == payload


def test_a_0x68_byte_inside_a_push_does_not_close_the_envelope() -> None:
    # spec §3.3.2: the body ends at the first OP_ENDIF operation; here 0x68 is data and length
    payload = b"\x68" + bytes(103)
    script = tapscript(ENVELOPE_OPEN + b"\x4c\x68" + payload + b"\x01\x68" + OP_ENDIF)
    assert only_payload(scan_witness(script_path(script))) == payload + b"\x68"


def test_envelope_chunks_may_use_any_push_form() -> None:
    # OP_0, then PUSHDATA1 and PUSHDATA4 where direct pushes would do
    body = b"\x00" + b"\x4c\x02" + PAYLOAD[:2] + b"\x4e\x03\x00\x00\x00" + PAYLOAD[2:]
    script = tapscript(ENVELOPE_OPEN + body + OP_ENDIF)
    assert only_payload(scan_witness(script_path(script))) == PAYLOAD


def test_empty_envelope_carries_the_empty_payload() -> None:
    assert only_payload(scan_witness(script_path(ENVELOPE_OPEN + OP_ENDIF))) == b""


def test_chunk_of_521_bytes_is_a_malformed_envelope() -> None:
    body = push(b"\x00" * 521)
    scan = scan_witness(script_path(tapscript(ENVELOPE_OPEN + body + OP_ENDIF)))
    assert scan.rejection == Code.MALFORMED_ENVELOPE


@pytest.mark.parametrize(
    "opcode",
    [
        pytest.param(b"\x4f", id="OP_1NEGATE"),
        pytest.param(b"\x51", id="OP_1"),
        pytest.param(b"\x60", id="OP_16"),
        pytest.param(b"\xac", id="OP_CHECKSIG"),
        pytest.param(b"\x63", id="OP_IF"),
        pytest.param(b"\x67", id="OP_ELSE"),
    ],
)
def test_non_push_inside_an_envelope_is_malformed(opcode: bytes) -> None:
    script = tapscript(ENVELOPE_OPEN + b"\x01\xa0" + opcode + OP_ENDIF)
    assert scan_witness(script_path(script)).rejection == Code.MALFORMED_ENVELOPE


def test_envelope_without_op_endif_is_malformed() -> None:
    script = tapscript(ENVELOPE_OPEN + push(PAYLOAD))
    assert scan_witness(script_path(script)).rejection == Code.MALFORMED_ENVELOPE


def test_truncated_push_inside_an_envelope_is_malformed() -> None:
    script = tapscript(ENVELOPE_OPEN + b"\x4c\x20short")
    assert scan_witness(script_path(script)).rejection == Code.MALFORMED_ENVELOPE


def test_envelope_bytes_inside_a_push_are_not_an_envelope() -> None:
    hidden = envelope(PAYLOAD)
    script = push(hidden) + b"\x75" + CHECKSIG_PREFIX  # <data> OP_DROP <key> OP_CHECKSIG
    scan = scan_witness(script_path(script))
    assert not scan.has_message


def test_envelope_bytes_straddling_an_operation_are_not_an_envelope() -> None:
    # 0x01 pushes the 0x00 that would open the envelope; 0x63 0x06... then start mid-operation
    script = b"\x01" + envelope(PAYLOAD)
    assert not scan_witness(script_path(script)).has_message


@pytest.mark.parametrize(
    "opening",
    [
        pytest.param(b"\x00\x63\x03ord", id="ordinals-envelope"),
        pytest.param(b"\x00\x63\x4c\x06rstate", id="magic-via-pushdata1"),
        pytest.param(b"\x00\x64\x06rstate", id="OP_NOTIF"),
        pytest.param(b"\x51\x63\x06rstate", id="OP_TRUE-OP_IF"),
    ],
)
def test_lookalike_openings_are_not_envelopes(opening: bytes) -> None:
    script = tapscript(opening + push(PAYLOAD) + OP_ENDIF)
    assert not scan_witness(script_path(script)).has_message


def test_envelope_only_in_the_annex_is_never_read() -> None:
    annex = b"\x50" + envelope(PAYLOAD)
    assert not scan_witness(script_path(CHECKSIG_PREFIX, annex=annex)).has_message


def test_envelope_with_an_annex_present_is_read() -> None:
    stack = script_path(tapscript(envelope(PAYLOAD)), annex=b"\x50\x01\x02")
    assert only_payload(scan_witness(stack)) == PAYLOAD


def test_envelope_in_a_key_path_spend_is_ignored() -> None:
    assert not scan_witness((tapscript(envelope(PAYLOAD)),)).has_message


@pytest.mark.parametrize(
    "control",
    [
        pytest.param(control_block(0)[:-1], id="short"),
        pytest.param(control_block(0, first=0xC2), id="leaf-0xc2"),
        pytest.param(control_block(129), id="too-deep"),
    ],
)
def test_envelope_behind_a_bad_control_block_is_ignored(control: bytes) -> None:
    stack = script_path(tapscript(envelope(PAYLOAD)), control=control)
    assert not scan_witness(stack).has_message


def test_truncated_push_outside_an_envelope_ends_the_search_quietly() -> None:
    # the envelope sits inside the data a truncated PUSHDATA1 claims, so it is never reached
    script = b"\x4c\xff" + envelope(PAYLOAD)
    assert not scan_witness(script_path(script)).has_message


def test_truncated_push_after_a_well_formed_envelope_keeps_it() -> None:
    script = tapscript(envelope(PAYLOAD)) + b"\x4c"
    assert only_payload(scan_witness(script_path(script))) == PAYLOAD


def test_search_continues_after_a_well_formed_envelope() -> None:
    script = tapscript(envelope(PAYLOAD), envelope(b"\x80"))
    scan = scan_witness(script_path(script))
    assert [c.payload for c in scan.carriers] == [PAYLOAD, b"\x80"]
    assert scan.rejection == Code.MULTIPLE_CARRIERS


def test_search_stops_after_a_malformed_envelope() -> None:
    broken = ENVELOPE_OPEN + b"\x51" + OP_ENDIF
    script = tapscript(broken, envelope(PAYLOAD))
    scan = scan_witness(script_path(script))
    assert len(scan.carriers) == 1
    assert scan.rejection == Code.MALFORMED_ENVELOPE


# --- one carrier per transaction (§3.4) ----------------------------------------------------


def test_two_op_return_carriers_are_multiple_carriers() -> None:
    scan = scan_outputs(OP_RETURN_HEAD + push(PAYLOAD), OP_RETURN_HEAD + push(PAYLOAD))
    assert scan.rejection == Code.MULTIPLE_CARRIERS


def test_multiple_carriers_wins_over_a_malformed_one() -> None:
    scan = scan_outputs(OP_RETURN_HEAD + b"\x51", OP_RETURN_HEAD + push(PAYLOAD))
    assert scan.rejection == Code.MULTIPLE_CARRIERS


def test_envelope_plus_op_return_carrier_are_multiple_carriers() -> None:
    stack = script_path(tapscript(envelope(PAYLOAD)))
    scan = scan_witness(stack, outputs=(spendable(), OP_RETURN_HEAD + push(PAYLOAD)))
    assert scan.rejection == Code.MULTIPLE_CARRIERS
    assert [(c.kind, c.index) for c in scan.carriers] == [
        (CarrierKind.OP_RETURN, 1),
        (CarrierKind.ENVELOPE, 0),
    ]


def test_envelopes_in_two_inputs_are_multiple_carriers() -> None:
    stack = script_path(tapscript(envelope(PAYLOAD)))
    assert scan_witness(stack, stack).rejection == Code.MULTIPLE_CARRIERS


def test_plain_op_return_beside_an_envelope_does_not_count() -> None:
    stack = script_path(tapscript(envelope(PAYLOAD)))
    scan = scan_witness(stack, outputs=(OP_RETURN_PLAIN, spendable()))
    assert only_payload(scan) == PAYLOAD


# --- coinbase (§3.5) -----------------------------------------------------------------------


def test_coinbase_carries_nothing_even_with_carrier_shapes() -> None:
    stack = script_path(tapscript(envelope(PAYLOAD)))
    cb = make_tx([In(bytes(32), 0xFFFFFFFF, stack)], [OP_RETURN_HEAD + push(PAYLOAD)])
    assert cb.is_coinbase
    assert not find_carriers(cb).has_message


def test_a_null_outpoint_among_two_inputs_is_not_a_coinbase() -> None:
    tx = make_tx([In(bytes(32), 0xFFFFFFFF), coin(1)], [OP_RETURN_HEAD + push(PAYLOAD)])
    assert not tx.is_coinbase
    assert only_payload(find_carriers(tx)) == PAYLOAD


# --- real blocks ---------------------------------------------------------------------------


def parsed(name: str) -> list[Transaction]:
    return [parse_transaction(raw) for raw in mainnet_block(name)[1]]


@pytest.mark.parametrize("name", ["mainnet-413567.raw", "mainnet-702861.raw"])
def test_real_mainnet_blocks_carry_no_rootstate_message(name: str) -> None:
    txs = parsed(name)
    assert txs[0].is_coinbase
    assert not any(tx.is_coinbase for tx in txs[1:])
    assert [i for i, tx in enumerate(txs) if find_carriers(tx).has_message] == []


def test_pre_taproot_witnesses_have_no_tapscript() -> None:
    txs = parsed("mainnet-702861.raw")
    witnesses = [txin for tx in txs[1:] for txin in tx.inputs if txin.witness]
    assert len(witnesses) > 1_000  # the block is witness-heavy: the check sees many shapes
    assert [w for w in witnesses if tapscript_of(w) is not None] == []
