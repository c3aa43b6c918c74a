"""Offers (spec/OFFERS.md) over the real store of tests/api/world.py and a real HTTP server.

One more block moves tokens to outputs of keys this module holds: the 700 ROOT of E:1 to a
P2TR output (S:0), ISSU's premine and authority (D:1, D:2) to a P2WPKH output (S:1), and the
900 ROOT of F:1 to a P2WSH output (S:2), a script offers do not support. Signature messages
are computed with regtest/sighash.py (checked against BIP341's and BIP143's own vectors),
never with the API's code; PSBTs are read with tests/api/psbt_reader.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from embit import script as embit_script  # type: ignore[import-untyped]
from embit.ec import PrivateKey, SchnorrSig  # type: ignore[import-untyped]
from embit.psbt import PSBT  # type: ignore[import-untyped]
from embit.script import Witness  # type: ignore[import-untyped]
from embit.transaction import SIGHASH  # type: ignore[import-untyped]

from api.app import create_app
from api.context import ApiContext
from api.offer_book import Offer, OfferBook, OfferBookFullError
from api.offer_sig import SignedInput
from api.server import ServerThread
from protocol.tx import parse_transaction
from regtest.sighash import TaprootSighasher
from regtest.tx import Tx, TxOut
from tests.api.conftest import SETTINGS
from tests.api.psbt_reader import read_psbt
from tests.api.world import ISSU, ROOT, World, address, build_world, display, point
from tests.protocol.builders import make_tx, spend

SELLER = PrivateKey(bytes([7]) * 32)
SELLER_TR = embit_script.p2tr(SELLER.get_public_key()).data
SELLER_WPKH = embit_script.p2wpkh(SELLER.get_public_key()).data
PAID = b"\x00\x14" + bytes([9]) * 20  # where the seller wants the BTC
BUYER = b"\x51\x20" + bytes([5]) * 32
P2WSH = b"\x00\x20" + bytes(32)
PRICE = 50_000
COIN = "cc" * 32 + ":0"  # the buyer's plain bitcoin, unknown to the protocol
PSBT_IN_SIGHASH_TYPE, PSBT_IN_FINAL_SCRIPTWITNESS = b"\x03", b"\x08"


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("offers") / "store")
    txs = built.txs
    inputs = [spend(txs["E"], 1), spend(txs["D"], 1), spend(txs["D"], 2), spend(txs["F"], 1)]
    # No message: S:0 is the default output and takes everything (spec §7.5, §7.7) ...
    txs["S"] = make_tx(inputs[:1], [SELLER_TR])
    # ... so the others go in transactions of their own.
    txs["T"] = make_tx(inputs[1:3], [SELLER_WPKH])
    txs["U"] = make_tx(inputs[3:], [P2WSH])
    txs["V"] = make_tx([spend(txs["H"], 0)], [SELLER_TR])  # CAROL's 300 ROOT
    built.chain.block(txs["S"], txs["T"], txs["U"], txs["V"])
    yield built
    built.store.close()


@pytest.fixture(scope="module")
def api(market: World) -> Iterator[httpx.Client]:
    with (
        ServerThread(create_app(ApiContext(market.store, SETTINGS))) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        yield http


def compose_offer(api: httpx.Client, outpoint: str, script: bytes, **extra: Any) -> Any:
    body: dict[str, Any] = {
        "outpoint": outpoint,
        "value": 10_000,
        "address": address(script),
        "price": PRICE,
        "pay_to": address(PAID),
        **extra,
    }
    response = api.post("/v1/compose/offer", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def taproot_digest(psbt: PSBT, index: int = 0) -> bytes:
    """BIP341's message for 0x83, by regtest/sighash.py over the PSBT's own transaction."""
    tx = Tx.parse(psbt.tx.serialize())
    spent = [TxOut(i.witness_utxo.value, i.witness_utxo.script_pubkey.data) for i in psbt.inputs]
    return TaprootSighasher(tx, spent).digest(index, 0x83)


def sign_taproot(answer: Any, key: PrivateKey = SELLER) -> PSBT:
    """The seller's key-path signature with embit's BIP340 signer over BIP341's message
    (embit 0.8.0's own PSBT signer hashes an ANYONECANPAY input wrongly: see below)."""
    psbt = PSBT.from_string(answer["psbt"])
    signature = key.taproot_tweak(b"").schnorr_sign(taproot_digest(psbt)).serialize()
    psbt.inputs[0].final_scriptwitness = Witness([signature + b"\x83"])
    return psbt


def sign_embit(answer: Any, sighash: int | None = None) -> PSBT:
    """embit's PSBT signer, with the hash type the PSBT asks for (None) or another."""
    psbt = PSBT.from_string(answer["psbt"])
    if sighash is not None:
        psbt.inputs[0].sighash_type = None
    assert psbt.sign_with(SELLER, sighash=sighash) == 1
    return psbt


def submit(api: httpx.Client, psbt: PSBT) -> httpx.Response:
    return api.post("/v1/offers", json={"psbt": psbt.to_string()})


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def test_an_offer_is_composed_signed_listed_taken_and_vanishes(
    api: httpx.Client, market: World
) -> None:
    s0 = point(market.txs["S"], 0)
    answer = compose_offer(api, s0, SELLER_TR)
    psbt = read_psbt(answer["psbt"])
    assert [display(i.prev_txid) + f":{i.prev_vout}" for i in psbt.tx.inputs] == [s0]
    assert [(o.value, o.script) for o in psbt.tx.outputs] == [(PRICE, PAID)]
    assert psbt.witness_utxo(0) == (10_000, SELLER_TR)
    assert psbt.inputs[0][PSBT_IN_SIGHASH_TYPE] == (0x83).to_bytes(4, "little")
    assert answer["digest"] == taproot_digest(PSBT.from_string(answer["psbt"])).hex()
    assert [(b["token"], b["amount"]) for b in answer["balances"]] == [(ROOT, "700")]

    accepted = submit(api, sign_taproot(answer))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["price"] == PRICE and accepted.json()["script_kind"] == "p2tr"
    listed = api.get("/v1/offers", params={"token": "ROOT"}).json()
    assert [o["outpoint"] for o in listed["offers"]] == [s0] and listed["next"] is None
    assert api.get(f"/v1/offers/{s0}").json()["pay_to"]["address"] == address(PAID)

    funding = [{"outpoint": COIN, "value": 100_000, "script_pubkey": BUYER.hex()}]
    body: dict[str, Any] = {
        "funding": funding,
        "address": address(BUYER),
        "change_address": address(BUYER),
        "fee_rate": 2,
    }
    taken = api.post(f"/v1/offers/{s0}/take", json=body)
    assert taken.status_code == 200, taken.text
    completion = taken.json()
    assert [
        (o["role"], [(b["token"], b["amount"]) for b in o["balances"]])
        for o in completion["outputs"]
    ] == [
        ("buyer", [(ROOT, "700")]),
        ("seller_payment", []),
        ("change", []),
    ]
    read = read_psbt(completion["psbt"])
    assert [display(i.prev_txid) + f":{i.prev_vout}" for i in read.tx.inputs] == [COIN, s0]
    outputs = [(o.value, o.script) for o in read.tx.outputs]
    assert outputs[:2] == [(330, BUYER), (PRICE, PAID)]
    assert 100_000 + 10_000 - sum(v for v, _ in outputs) == completion["fee"]
    # The seller's signature, made for a one-input transaction, holds at index 1 here.
    final = PSBT.from_string(completion["psbt"])
    [seller_sig] = final.inputs[1].final_scriptwitness.items
    tweaked = SELLER.taproot_tweak(b"").get_public_key()
    assert tweaked.schnorr_verify(SchnorrSig.parse(seller_sig[:64]), taproot_digest(final, 1))
    assert PSBT_IN_FINAL_SCRIPTWITNESS in read.inputs[1]

    # The buyer's signature does not change the txid: mine the completion as it stands.
    tx = parse_transaction(read.unsigned)
    assert display(tx.txid) == completion["txid"]
    market.chain.block(tx)
    landed = api.get(f"/v1/outpoints/{completion['txid']}:0").json()
    assert [(b["token"], b["amount"]) for b in landed["balances"]] == [(ROOT, "700")]
    assert api.get("/v1/offers", params={"token": ROOT}).json()["offers"] == []
    refused(api.get(f"/v1/offers/{s0}"), 404, "offer_not_found")
    refused(api.post(f"/v1/offers/{s0}/take", json=body), 404, "offer_not_found")


def test_a_p2wpkh_offer_signed_by_embit_moves_the_authority_too(
    api: httpx.Client, market: World
) -> None:
    t0 = point(market.txs["T"], 0)
    answer = compose_offer(api, t0, SELLER_WPKH)
    assert answer["authorities"] == [ISSU]
    accepted = submit(api, sign_embit(answer))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["script_kind"] == "p2wpkh"
    assert [o["outpoint"] for o in api.get("/v1/offers?token=ISSU").json()["offers"]] == [t0]
    body: dict[str, Any] = {
        "funding": [{"outpoint": COIN, "value": 100_000, "script_pubkey": BUYER.hex()}],
        "address": address(BUYER),
        "value": 1_000,
        "change_address": address(BUYER),
        "fee_rate": 1,
    }
    completion = api.post(f"/v1/offers/{t0}/take", json=body).json()
    first = completion["outputs"][0]
    assert (first["value"], first["authorities"]) == (1_000, [ISSU])
    assert [(b["token"], b["amount"]) for b in first["balances"]] == [(ISSU, "500")]
    # A funding input carrying tokens must declare them; they then land on output 0 too.
    wsh = {"outpoint": point(market.txs["U"], 0), "value": 10_000, "input_weight": 300}
    with_tokens = {**body, "funding": [*body["funding"], {**wsh, "script_pubkey": P2WSH.hex()}]}
    refused(api.post(f"/v1/offers/{t0}/take", json=with_tokens), 422, "undeclared_tokens")
    with_tokens["funding"][1]["tokens"] = [ROOT]
    both = api.post(f"/v1/offers/{t0}/take", json=with_tokens)
    assert both.status_code == 200, both.text
    [buyer, *rest] = both.json()["outputs"]
    assert [(b["token"], b["amount"]) for b in buyer["balances"]] == [(ROOT, "900"), (ISSU, "500")]
    assert all(not o["balances"] and not o["authorities"] for o in rest)
    inputs = read_psbt(both.json()["psbt"]).tx.inputs
    assert [display(i.prev_txid) + f":{i.prev_vout}" for i in inputs] == [COIN, t0, wsh["outpoint"]]
    assert [i["role"] for i in completion["inputs"]] == ["buyer", "seller"]


def test_refusals(api: httpx.Client, market: World) -> None:
    s1 = point(market.txs["T"], 0)
    answer = compose_offer(api, s1, SELLER_WPKH, price=60_000)
    refused(submit(api, sign_embit(answer, SIGHASH.ALL)), 422, "wrong_sighash")
    signed = sign_embit(answer)
    [(pubkey, signature)] = signed.inputs[0].partial_sigs.items()
    signed.inputs[0].partial_sigs[pubkey] = (
        signature[:-3] + bytes([signature[-3] ^ 1]) + signature[-2:]
    )
    refused(submit(api, signed), 422, "invalid_signature")
    cheaper = sign_embit(answer)
    cheaper.outputs[0].value = 1_000  # the buyer would pay less than the seller signed for
    refused(submit(api, cheaper), 422, "invalid_signature")
    elsewhere = sign_embit(answer)
    elsewhere.outputs[0].script_pubkey = embit_script.Script(BUYER)
    refused(submit(api, elsewhere), 422, "invalid_signature")
    extra = sign_embit(answer)
    extra.outputs.append(extra.outputs[0])
    refused(submit(api, extra), 422, "offer_shape")

    # embit 0.8.0 signs a P2TR ANYONECANPAY input over a wrong message: not accepted.
    tr = compose_offer(api, point(market.txs["V"], 0), SELLER_TR)
    refused(submit(api, sign_embit(tr)), 422, "invalid_signature")
    tampered = sign_taproot(tr)
    [sig] = tampered.inputs[0].final_scriptwitness.items
    tampered.inputs[0].final_scriptwitness = Witness([bytes([sig[0] ^ 1]) + sig[1:]])
    refused(submit(api, tampered), 422, "invalid_signature")
    default = PSBT.from_string(tr["psbt"])
    default.inputs[0].final_scriptwitness = Witness([sig[:64]])
    refused(submit(api, default), 422, "wrong_sighash")
    unsigned = PSBT.from_string(tr["psbt"])
    refused(submit(api, unsigned), 422, "unsigned_offer")
    assert api.get("/v1/offers", params={"token": ROOT}).json()["offers"] == []

    body = {"value": 10_000, "price": PRICE, "pay_to": address(PAID)}
    nothing = {**body, "outpoint": COIN, "address": address(BUYER)}
    refused(api.post("/v1/compose/offer", json=nothing), 422, "no_assets")
    wsh = {**body, "outpoint": point(market.txs["U"], 0), "address": address(P2WSH)}
    refused(api.post("/v1/compose/offer", json=wsh), 422, "unsupported_script")
    wrong = {**body, "outpoint": s1, "address": address(SELLER_TR)}
    refused(api.post("/v1/compose/offer", json=wrong), 422, "script_mismatch")
    cheap = {**body, "outpoint": s1, "address": address(SELLER_WPKH), "price": 100}
    refused(api.post("/v1/compose/offer", json=cheap), 422, "value_below_dust")
    refused(api.post("/v1/offers", json={"psbt": "bm90IGEgcHNidA=="}), 422, "invalid_psbt")
    refused(api.get("/v1/offers"), 400, "invalid_token")
    refused(api.get("/v1/offers/nonsense"), 400, "invalid_outpoint")
    foreign = {"token": ROOT, "cursor": "BQAAAAAAAAAA"}  # a cursor of another listing
    refused(api.get("/v1/offers", params=foreign), 422, "invalid_cursor")


def _offer(n: int, asset: bytes) -> Offer:
    outpoint = bytes([n]) * 32 + (0).to_bytes(4, "big")
    signed = SignedInput(outpoint, 1_000, SELLER_TR, 0xFFFF_FFFD, PRICE, PAID)
    return Offer(signed, (bytes(65),), (asset,))


def test_the_book_is_bounded_and_prunes_spent_offers_first(tmp_path: Path) -> None:
    now = [0.0]
    book = OfferBook(tmp_path / "book", capacity=2, clock=lambda: now[0])
    token = bytes(8)
    first, second, third = (_offer(n, token) for n in (1, 2, 3))
    book.put(first, lambda _: True)
    book.put(second, lambda _: True)
    with pytest.raises(OfferBookFullError):
        book.put(third, lambda _: True)
    book.put(first, lambda _: True)  # a replacement takes no new place
    scans: list[bytes] = []

    def spent_first(outpoint: bytes) -> bool:
        scans.append(outpoint)
        return outpoint != first.outpoint

    # Within 10 s of the last prune, a full book refuses without scanning again.
    now[0] = 9.0
    with pytest.raises(OfferBookFullError):
        book.put(third, spent_first)
    assert scans == []
    now[0] = 10.0
    book.put(third, spent_first)
    assert sorted(scans) == [first.outpoint, second.outpoint]
    assert [o.outpoint for o in book.of_asset(token, None, 10)] == [
        second.outpoint,
        third.outpoint,
    ]
    assert [o.outpoint for o in book.of_asset(token, second.outpoint, 10)] == [third.outpoint]
    assert book.of_asset(bytes([1]) * 8, None, 10) == []
    assert book.get(first.outpoint) is None and len(book) == 2
    book.close()
