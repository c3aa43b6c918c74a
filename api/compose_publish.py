"""``POST /v1/compose/publish``: unsigned commit and reveal PSBTs of a publish by taproot
envelope (spec/PROTOCOL.md §3.3, spec/CONTRACTS.md §16.1).

The commit pays from the funding inputs to a P2TR output whose one leaf is the envelope
under the caller's key (:mod:`protocol.envelope`), then the change. The reveal spends that
output by script path to the change address; its fee is paid from the commit output, which
holds exactly the reveal's fee plus a change above dust.

The output's internal key is BIP341's unspendable NUMS point, not the caller's key: the
reveal must be a script-path spend (a key-path spend carries no envelope, and the publish
would vanish with the commit output spent), and a signer holding the internal key would
pick the cheaper key path. The caller's key still spends the output through the leaf, so
no funds depend on the reveal. Both PSBTs carry BIP371's taproot fields (:mod:`api.psbt`):
a standard signer signs the reveal from the PSBT alone.

The module is checked as the publish op checks it (§15); funding inputs that carry assets
are refused; and the reveal, its witness stood in by a zero signature, is applied by the v2
machine to the tip's state with nothing written: refused unless the publish succeeds.
"""

from __future__ import annotations

import base64
from fractions import Fraction
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.body import json_object
from api.call_space import PAD_KEY, fuel_vsize
from api.compose import _inputs, _short_of, _weight
from api.context import context
from api.errors import ApiError, bad_request, unprocessable
from api.fees import compact_size_len, dust_threshold, fee_for, tx_weight, vsize
from api.heavy import HeavyWork, Worker
from api.pending_compose import pending_patch
from api.psbt import SpentOutput, build_psbt, unsigned_tx
from api.render import Json, json_bytes, render_event
from api.routes_compose import _common, _field, _hex
from protocol.cbor import encode_canonical
from protocol.contracts.wasm import limits
from protocol.contracts.wasm.kind import OP_PUBLISH
from protocol.contracts.wasm.prepare import prepare_module
from protocol.envelope import EnvelopeOutput
from protocol.events import EventType, Field, encode_event
from protocol.overlay import Overlay
from protocol.params import PROTOCOL_VERSION
from protocol.reasons import Rejection
from protocol.taproot import NUMS_INTERNAL_KEY
from protocol.tx import Transaction, TxInput, TxOutput, parse_transaction

#: A BIP340 signature with the default sighash: what the signer adds to the reveal's witness.
SIGNATURE_LEN = 64


def _reveal_weight(leaf: bytes, control: bytes, change_script: bytes) -> int:
    witness = 1 + sum(compact_size_len(len(i)) + len(i) for i in (bytes(64), leaf, control))
    return tx_weight([(41 * 4 + witness, True)], [change_script])


#: Fuel a composed publish leaves for its init call beyond the call's start (§16.5).
INIT_FUEL = 2_000_000


def publish_pad(payload: bytes, code_len: int, change_script: bytes) -> int:
    """Bytes of padding (an ignored odd message key, §5.3) the reveal's envelope needs so
    that its vsize buys the publish (4,500 per module byte), the init's start and INIT_FUEL
    (CONTRACTS.md §21.2). Each envelope byte weighs 1 (250 fuel); 1% and 64 bytes of slack
    cover the chunk pushes and the key's length prefix."""
    start = limits.CALL_START_FUEL + limits.CALL_FUEL_PER_CODE_BYTE * code_len
    needed = limits.PUBLISH_FUEL_PER_BYTE * code_len + start + INIT_FUEL
    leaf_len = len(payload) + len(payload) // 520 * 3 + 80  # pushes, key, magic, opcodes
    weight = _reveal_weight(bytes(leaf_len), bytes(33), change_script)
    short = fuel_vsize(needed) - vsize(weight)
    return 0 if short <= 0 else 4 * short + 4 * short // 100 + 64


def compose_publish(worker: Worker, body: dict[str, Any], min_rate: Fraction) -> Json:
    network = worker.store.identity.network
    funding, change_script, rate = _common(network, body, min_rate)
    code = _hex(_field(body, "code"), "code", "invalid_code")
    init = _hex(body["init"], "init", "invalid_input") if body.get("init") else b""
    if len(init) > limits.MAX_INPUT:
        raise bad_request("invalid_input", f"init is over {limits.MAX_INPUT:,} bytes")
    pubkey = _hex(_field(body, "pubkey"), "pubkey", "invalid_pubkey")
    try:
        prepare_module(code)
    except Rejection as rejection:
        raise unprocessable(
            "invalid_module", f"the protocol would reject this module: {rejection.detail}"
        ) from None
    operation: dict[int, object] = {0: OP_PUBLISH, 1: code}
    if init:
        operation[2] = init
    payload = encode_canonical({0: PROTOCOL_VERSION, 1: [operation]})
    pad = publish_pad(payload, len(code), change_script)
    if pad:  # CONTRACTS.md §16.1, §21.2: the reveal's vsize must buy the publish
        payload = encode_canonical({0: PROTOCOL_VERSION, 1: [operation], PAD_KEY: bytes(pad)})
    try:
        envelope = EnvelopeOutput.create(pubkey, payload, NUMS_INTERNAL_KEY)
    except ValueError:
        raise bad_request(
            "invalid_pubkey", "pubkey must be a 32-byte x-only key on the curve"
        ) from None
    leaf, control = envelope.leaf_script, envelope.control_block
    reveal_weight = _reveal_weight(leaf, control, change_script)
    reveal_fee = fee_for(reveal_weight, rate)
    commit_value = reveal_fee + dust_threshold(change_script)
    commit_script = envelope.script_pubkey
    weight = tx_weight([_weight(f) for f in funding], [commit_script, change_script])
    fee = fee_for(weight, rate)
    total_in = sum(f.spent.value for f in funding)
    change = total_in - commit_value - fee
    if change < dust_threshold(change_script):
        _short_of(total_in, fee + reveal_fee, dust_threshold(change_script) - change, rate)
    spent = [f.spent for f in funding]
    pairs = [(commit_value, commit_script), (change, change_script)]
    commit = parse_transaction(unsigned_tx(spent, pairs))
    point = commit.txid + bytes(4)
    revealed = [(commit_value - reveal_fee, change_script)]
    tap_leaf = (envelope.output, envelope.leaf)
    reveal_spent = [SpentOutput(point, commit_value, commit_script, tap_leaf=tap_leaf)]
    reveal = parse_transaction(unsigned_tx(reveal_spent, revealed))
    witness = (bytes(SIGNATURE_LEN), leaf, control)
    reveal = Transaction(
        reveal.txid,
        (TxInput(commit.txid, 0, witness),),
        tuple(TxOutput(v, s) for v, s in revealed),
        weight=reveal_weight,  # CONTRACTS.md §21.2: the publish's fuel is bought by it
    )
    with worker.store.read() as view:
        tip = view.tip()
        if tip is None:
            raise ApiError(503, "not_synced", "no block is indexed yet; try again once one is")
        _, pool, authorities = _inputs(view, funding)
        if pool or authorities:
            # They would settle on the commit's envelope output (its default output, §7.4)
            # and ride the reveal: refused rather than moved where the caller did not ask.
            raise unprocessable(
                "funding_carries_assets",
                "a funding input carries assets; fund a publish with plain bitcoin",
            )
        height = tip.height + 1
        state = Overlay(view)
        events = worker.machine.apply_transaction(state, height, 1, reveal)
    rendered = [render_event(height, n, encode_event(e)) for n, e in enumerate(events)]
    rejected = next((r for r in rendered if r["type"] == EventType.REJECTED.label), None)
    if rejected is not None or not any(e[Field.TYPE] == EventType.PUBLISH for e in events):
        reason = "no publish" if rejected is None else rejected["reason"]["name"]
        raise unprocessable(
            "would_be_rejected",
            f"the protocol would reject this publish: {reason}; nothing was composed",
        )
    return {
        "commit": {
            "psbt": _b64(build_psbt(spent, pairs, {0: envelope.output})),
            "txid": commit.txid[::-1].hex(),
            "fee": fee,
            "vsize": vsize(weight),
        },
        "reveal": {
            "psbt": _b64(build_psbt(reveal_spent, revealed)),
            "txid": reveal.txid[::-1].hex(),
            "fee": reveal_fee,
            "vsize": vsize(reveal_weight),
        },
        "commit_outpoint": f"{commit.txid[::-1].hex()}:0",
        "commit_value": commit_value,
        "leaf_script": leaf.hex(),
        "control_block": control.hex(),
        "internal_key": envelope.internal_key.hex(),
        "tapleaf_hash": envelope.leaf_hash.hex(),
        "payload": payload.hex(),
        "events": rendered,
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def compose_publish_job(worker: Worker, body: dict[str, Any], min_rate: Fraction) -> bytes:
    return json_bytes(compose_publish(worker, body, min_rate))


async def compose_publish_endpoint(request: Request) -> Response:
    body = await json_object(request)
    # A publish is funded with plain bitcoin: funding spent in the mempool, or carrying
    # pending assets, is refused (there is no allow_pending here).
    pending_patch(context(request), {**body, "allow_pending": False})
    heavy: HeavyWork = request.app.state.heavy
    min_rate = context(request).settings.min_fee_rate
    content = await heavy.run(compose_publish_job, body, min_rate)
    return Response(content, media_type="application/json")


ROUTES = [Route("/v1/compose/publish", compose_publish_endpoint, methods=["POST"])]
