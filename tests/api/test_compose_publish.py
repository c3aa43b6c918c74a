"""``POST /v1/compose/publish``: the envelope decoded by hand, the reveal spending the
commit, and BIP371's taproot fields read back with a PSBT reader written from the BIPs and
compared with values computed here (tagged hashes with hashlib, the tweak with embit's
secp256k1 binding)."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from embit.util import secp256k1  # type: ignore[import-untyped]

from protocol.params import MAGIC
from protocol.tx import compact_size
from regtest.contract_inputs import u16
from regtest.keys import Key
from tests.api.contract_world import ContractWorld
from tests.api.psbt_reader import read_psbt
from tests.api.world import ALICE, BOB, address, display
from tests.contracts.sdk import asset, code

#: BIP341's suggested provably unspendable point H = lift_x(sha256(G)), from the BIP's text.
NUMS = bytes.fromhex("50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0")
#: BIP371 key types.
IN_WITNESS_UTXO, IN_TAP_LEAF_SCRIPT, IN_TAP_INTERNAL_KEY, IN_TAP_MERKLE_ROOT = 1, 0x15, 0x17, 0x18
OUT_TAP_INTERNAL_KEY, OUT_TAP_TREE = 0x05, 0x06


def ident(ref: tuple[int, ...]) -> str:
    return ":".join(str(part) for part in ref)


PUBLISHER = Key.derive("publisher")


def publish_body(cworld: ContractWorld, **change: object) -> dict[str, object]:
    """A second AMM over the world's pair (contracts/README.md's init: A, B, fee_bps)."""
    init = asset(cworld.pool.a) + asset(cworld.pool.b) + u16(30)
    return {
        "code": code("amm").hex(),
        "init": init.hex(),
        "pubkey": PUBLISHER.xonly.hex(),
        "funding": [{"outpoint": "cd" * 32 + ":1", "value": 200_000, "script_pubkey": ALICE.hex()}],
        "change_address": address(BOB),
        "fee_rate": 2,
        **change,
    }


def pushes(script: bytes, start: int, end: int) -> list[bytes]:
    """The data pushes in script[start:end], decoded by hand (direct, PUSHDATA1, PUSHDATA2)."""
    out, pos = [], start
    while pos < end:
        head = script[pos]
        width = {0x4C: 1, 0x4D: 2}.get(head, 0)
        size = int.from_bytes(script[pos + 1 : pos + 1 + width], "little") if width else head
        out.append(script[pos + 1 + width : pos + 1 + width + size])
        pos += 1 + width + size
    assert pos == end
    return out


def test_compose_publish_of_the_amm(http: httpx.Client, cworld: ContractWorld) -> None:
    response = http.post("/v1/compose/publish", json=publish_body(cworld))
    assert response.status_code == 200, response.text
    answer = response.json()
    leaf = bytes.fromhex(answer["leaf_script"])
    assert leaf[:34] == b"\x20" + PUBLISHER.xonly + b"\xac"
    assert leaf[34:36] == b"\x00\x63" and leaf[36:43] == b"\x06" + MAGIC and leaf[-1] == 0x68
    chunks = pushes(leaf, 43, len(leaf) - 1)
    assert all(0 < len(c) <= 520 for c in chunks)
    assert b"".join(chunks) == bytes.fromhex(answer["payload"])
    assert code("amm") in bytes.fromhex(answer["payload"])
    control = bytes.fromhex(answer["control_block"])
    # The internal key is unspendable, so no signer can take the key path and drop the envelope.
    assert len(control) == 33 and control[0] & 0xFE == 0xC0 and control[1:] == NUMS
    assert answer["internal_key"] == NUMS.hex()
    prefix = hashlib.sha256(b"TapLeaf").digest()
    length = compact_size(len(leaf))  # padded to buy the publish's fuel (CONTRACTS.md §16.1)
    expected = hashlib.sha256(prefix + prefix + b"\xc0" + length + leaf).digest()
    assert answer["tapleaf_hash"] == expected.hex()
    commit, reveal = read_psbt(answer["commit"]["psbt"]), read_psbt(answer["reveal"]["psbt"])
    assert display(commit.tx.txid) == answer["commit"]["txid"]
    assert commit.tx.outputs[0].script[:2] == b"\x51\x20"  # P2TR
    assert commit.tx.outputs[0].value == answer["commit_value"]
    assert commit.tx.outputs[1].script == BOB
    fees = answer["commit"]["fee"] + answer["reveal"]["fee"]
    assert commit.tx.outputs[0].value + commit.tx.outputs[1].value + answer["commit"]["fee"] == (
        200_000
    )
    assert answer["commit_outpoint"] == f"{answer['commit']['txid']}:0"
    assert reveal.tx.outputs[0].script == BOB
    assert reveal.tx.outputs[0].value == answer["commit_value"] - answer["reveal"]["fee"]
    assert 200_000 - fees == commit.tx.outputs[1].value + reveal.tx.outputs[0].value
    assert answer["events"][0]["type"] == "publish"


@pytest.mark.parametrize(
    ("change", "status", "code_"),
    [
        ({"code": "0061736d01000000ff"}, 422, "invalid_module"),
        ({"init": ""}, 422, "would_be_rejected"),
        (
            {"funding": "assets"},
            422,
            "funding_carries_assets",
        ),  # the AMM's init aborts on a short input
        ({"code": "zz"}, 400, "invalid_code"),
        ({"pubkey": "00" * 32}, 400, "invalid_pubkey"),
        ({"pubkey": "ab"}, 400, "invalid_pubkey"),
        ({"fee_rate": 10_000}, 422, "insufficient_funds"),
    ],
)
def test_compose_publish_refusals(
    http: httpx.Client, cworld: ContractWorld, change: dict[str, object], status: int, code_: str
) -> None:
    wallet = cworld.swap.outputs[0]  # holds A, B and the pool's LP shares
    if change.get("funding") == "assets":
        held = [ident(cworld.pool.a), ident(cworld.pool.b), ident((*cworld.pool.amm, 1))]
        point = f"{cworld.swap.txid[::-1].hex()}:0"
        script = wallet.script.hex()
        change["funding"] = [
            # Worth enough for the padded reveal's fee: the refusal tested is the assets one.
            {"outpoint": point, "value": 10**8, "script_pubkey": script, "tokens": held}
        ]
    response = http.post("/v1/compose/publish", json=publish_body(cworld, **change))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code_


def _tagged(tag: str, data: bytes) -> bytes:
    prefix = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(prefix + prefix + data).digest()


def test_compose_publish_psbts_carry_bip371_fields(
    http: httpx.Client, cworld: ContractWorld
) -> None:
    response = http.post("/v1/compose/publish", json=publish_body(cworld))
    assert response.status_code == 200, response.text
    answer = response.json()
    leaf = bytes.fromhex(answer["leaf_script"])  # decoded by hand above
    leaf_with_length = compact_size(len(leaf)) + leaf
    leaf_hash = _tagged("TapLeaf", b"\xc0" + leaf_with_length)
    # Q = lift_x(NUMS) + int(TapTweak(NUMS || leaf hash))·G: one leaf, its hash is the root.
    tweak = _tagged("TapTweak", NUMS + leaf_hash)
    point = secp256k1.ec_pubkey_add(secp256k1.ec_pubkey_parse(b"\x02" + NUMS), tweak)
    sec = secp256k1.ec_pubkey_serialize(point)
    control = bytes([0xC0 | (sec[0] & 1)]) + NUMS
    commit, reveal = read_psbt(answer["commit"]["psbt"]), read_psbt(answer["reveal"]["psbt"])
    commit_script = b"\x51\x20" + sec[1:]
    assert commit.tx.outputs[0].script == commit_script
    # The commit's P2TR output: its internal key and its tree, one leaf at depth 0, v0xc0.
    assert commit.outputs[0] == {
        bytes([OUT_TAP_INTERNAL_KEY]): NUMS,
        bytes([OUT_TAP_TREE]): b"\x00\xc0" + leaf_with_length,
    }
    assert commit.outputs[1] == {}  # the change carries nothing
    assert all(set(i) == {bytes([IN_WITNESS_UTXO])} for i in commit.inputs)
    # The reveal's input: what it spends, and all a signer needs for the script path.
    [spending] = reveal.inputs
    assert spending == {
        bytes([IN_WITNESS_UTXO]): spending[bytes([IN_WITNESS_UTXO])],
        bytes([IN_TAP_LEAF_SCRIPT]) + control: leaf + b"\xc0",
        bytes([IN_TAP_INTERNAL_KEY]): NUMS,
        bytes([IN_TAP_MERKLE_ROOT]): leaf_hash,
    }
    assert reveal.witness_utxo(0) == (answer["commit_value"], commit_script)
    assert reveal.outputs == [{}]
    assert answer["control_block"] == control.hex() and answer["tapleaf_hash"] == leaf_hash.hex()
