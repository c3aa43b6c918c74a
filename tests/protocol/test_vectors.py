"""Run every conformance vector in spec/vectors through the reference machine (spec §11).

Each block's transactions go through protocol.contracts.v2_machine() (tokens and contracts)
on a real wasmtime engine over a MemoryState; after every block the events (bytes and
readable form), the events hash, the state hash and the full state map must equal the
vector's hand-written expectations. Contract vectors run on both back ends (cranelift and
pulley), which must agree on fuel, effects and hashes (spec/CONTRACTS.md §15).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
import pytest

from engine.config import BACKENDS, WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from protocol.contracts import v2_machine
from protocol.reasons import Reason
from protocol.state import MemoryState
from protocol.tx import parse_transaction

VECTOR_DIR = Path(__file__).resolve().parents[2] / "spec" / "vectors"
VECTOR_FILES = sorted(VECTOR_DIR.glob("[0-9][0-9][0-9]-*.json"))
EVENT_NAMES = {
    1: "debit",
    2: "credit",
    3: "deploy",
    4: "mint",
    5: "burn",
    6: "authority",
    7: "rejected",
    8: "publish",
    9: "instantiate",
    10: "call",
    11: "deposit",
    12: "send",
    13: "issue",
    14: "log",
    15: "return",
}

_ENGINES: dict[str, WasmtimeEngine] = {}

#: Vectors the reference implementation fails because the code departs from the spec.
KNOWN_BUGS: dict[str, str] = {}


def _token_text(raw: bytes) -> str:
    """``H:I`` for a token or contract, ``H:I:S`` for a contract asset (CONTRACTS.md §14.2)."""
    return ":".join(str(int.from_bytes(raw[i : i + 4], "big")) for i in range(0, len(raw), 4))


def _engine(backend: str) -> WasmtimeEngine:
    if backend not in _ENGINES:
        _ENGINES[backend] = WasmtimeEngine(WasmtimeConfig(backend=backend))  # type: ignore[arg-type]
    return _ENGINES[backend]


def _outpoint_text(raw: bytes) -> str:
    return f"{raw[:32][::-1].hex()}:{int.from_bytes(raw[32:], 'big')}"


def _terms_json(terms: dict[int, int] | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    return {
        "amount": str(terms[0]),
        "cap": str(terms[1]),
        "start": terms.get(2),
        "end": terms.get(3),
    }


def readable_event(encoded: bytes) -> dict[str, Any]:
    """The vectors' readable event form, from the canonical bytes the machine produced."""
    event = cbor2.loads(encoded)
    kind = EVENT_NAMES[event[0]]
    out: dict[str, Any] = {"type": kind, "txid": event[1][::-1].hex()}
    if kind in ("debit", "credit", "mint", "authority", "send"):
        out["outpoint"] = _outpoint_text(event[2]) if 2 in event else None
    if 3 in event:
        out["token"] = _token_text(event[3])
    if 4 in event:
        out["amount"] = str(event[4])
    if kind == "deploy":
        out.update(ticker=event[5], decimals=event[6], max_supply=str(event[7]))
        out["terms"] = _terms_json(event.get(8))
    if 10 in event:
        out["cause"] = event[10]
    if 11 in event:
        out["reason"] = Reason(event[11]).label
        out["code"] = event[11]
    texts: dict[int, tuple[str, Callable[[Any], object]]]
    texts = {9: ("detail", int), 12: ("contract", _token_text), 13: ("code_hash", bytes.hex)}
    texts |= {14: ("fuel", str), 15: ("storage_digest", bytes.hex), 16: ("from", _token_text)}
    texts |= {17: ("data", bytes.hex)}
    for key, (name, show) in texts.items():
        if key in event:
            out[name] = show(event[key])
    return out


def readable_contracts(state: dict[bytes, bytes]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The contract vectors' readable contracts and contract assets (CONTRACTS.md §14.3)."""
    contracts: dict[str, Any] = {}
    assets: dict[str, Any] = {}
    for key, value in sorted(state.items()):
        prefix, rest = key[:1], key[1:]
        if prefix == b"\x04":
            record = cbor2.loads(value)
            contracts[_token_text(rest)] = {
                "code_hash": record[0].hex(),
                "txid": record[1][::-1].hex(),
                "op": record[2],
                "storage": {},
                "custody": {},
            }
        elif prefix == b"\x06":
            contracts[_token_text(rest[:8])]["storage"][rest[8:].hex()] = value.hex()
        elif prefix == b"\x07":
            asset = rest[8:] if rest[16:] != bytes(4) else rest[8:16]
            contracts[_token_text(rest[:8])]["custody"][_token_text(asset)] = str(
                cbor2.loads(value)
            )
        elif prefix == b"\x08":
            record = cbor2.loads(value)
            assets[_token_text(rest)] = {"minted": str(record[0]), "burned": str(record[1])}
    return contracts, assets


def readable_state(state: dict[bytes, bytes]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The vectors' readable utxos and tokens, from the state map the machine produced."""
    utxos: dict[str, Any] = {}
    tokens: dict[str, Any] = {}
    for key, value in state.items():
        if key[:1] not in (b"\x01", b"\x02"):
            continue  # the ticker index and contract state have their own views
        record = cbor2.loads(value)
        if key[:1] == b"\x01":
            utxos[_outpoint_text(key[1:])] = {
                "balances": {_token_text(t): str(a) for t, a in record.get(0, [])},
                "authorities": [_token_text(t) for t in record.get(1, [])],
            }
        elif key[:1] == b"\x02":
            tokens[_token_text(key[1:])] = {
                "ticker": record[0],
                "decimals": record[1],
                "max_supply": str(record[2]),
                "minted": str(record[3]),
                "burned": str(record[4]),
                "mints": str(record[5]),
                "terms": _terms_json(record.get(6)),
                "authority": _outpoint_text(record[7]) if 7 in record else None,
                "deploy_txid": record[8][::-1].hex(),
            }
    return utxos, tokens


def _is_contract_vector(path: Path) -> bool:
    return '"contracts":' in path.read_text(encoding="utf-8")


def _params() -> list[Any]:
    marks = {name: pytest.mark.xfail(strict=True, reason=why) for name, why in KNOWN_BUGS.items()}
    params = []
    for path in VECTOR_FILES:
        mark = marks.get(path.stem.split("-", 1)[1], ())
        backends = BACKENDS if _is_contract_vector(path) else BACKENDS[:1]
        params += [pytest.param(path, b, id=f"{path.stem}-{b}", marks=mark) for b in backends]
    return params


def test_vectors_exist() -> None:
    assert len(VECTOR_FILES) >= 64
    assert sum(_is_contract_vector(path) for path in VECTOR_FILES) >= 50


@pytest.mark.parametrize(("path", "backend"), _params())
def test_vector(path: Path, backend: str) -> None:
    vector = json.loads(path.read_text(encoding="utf-8"))
    machine = v2_machine(_engine(backend))
    state = MemoryState()
    previous = bytes(32)
    parent: bytes | None = None
    assert vector["blocks"][0]["height"] == vector["activation_height"]
    for block in vector["blocks"]:
        header = bytes.fromhex(block["header"])
        block_hash = hashlib.sha256(hashlib.sha256(header).digest()).digest()
        assert block_hash[::-1].hex() == block["hash"]
        if parent is not None:
            assert header[4:36] == parent, "blocks of a vector form a chain"
        parent = block_hash
        txs = [parse_transaction(bytes.fromhex(raw)) for raw in block["transactions"]]
        effects = machine.apply_block(
            state, previous, block["height"], block_hash, list(enumerate(txs)), header=header
        )
        root = state.apply(effects.writes)
        previous = effects.state_hash
        expected = block["expected"]
        where = f"block {block['height']}"
        assert [readable_event(e) for e in effects.events] == expected["events"], where
        assert [e.hex() for e in effects.events] == expected["events_cbor"], where
        assert effects.events_hash.hex() == expected["events_hash"], where
        snapshot = state.snapshot()
        assert {k.hex(): v.hex() for k, v in sorted(snapshot.items())} == expected["state"], where
        utxos, tokens = readable_state(snapshot)
        assert utxos == expected["utxos"], where
        assert tokens == expected["tokens"], where
        assert effects.state_root.hex() == expected["state_root"], where
        assert root == effects.state_root, where
        if "contracts" in expected:
            contracts, assets = readable_contracts(snapshot)
            assert contracts == expected["contracts"], where
            assert assets == expected["contract_assets"], where
        assert effects.state_hash.hex() == expected["state_hash"], where


def test_vectors_cover_every_reason_code() -> None:
    seen: set[int] = set()
    for path in VECTOR_FILES:
        for block in json.loads(path.read_text(encoding="utf-8"))["blocks"]:
            seen.update(e["code"] for e in block["expected"]["events"] if e["type"] == "rejected")
    assert seen == {int(reason) for reason in Reason}
