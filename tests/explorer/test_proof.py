"""The in-page proof check (static/proof.js, spec §25.2) in headless Chromium: it agrees
with the reference verifier (protocol.tree_proof.verify) on real proofs and on every
one-byte tampering of them, and a page given a tampered proof shows it failed."""

from __future__ import annotations

import hashlib
from typing import Any
from unittest import mock
from urllib.parse import urlencode, urlsplit

import cbor2
import httpx
import pytest
from selenium.webdriver import Chrome

from api import routes_proofs
from api.app import create_app
from api.context import ApiContext
from api.server import ServerThread
from indexer.store_view import StoreView
from protocol.tree_proof import ProofError, ProofKind, decode_proof, verify
from tests.api.conftest import SETTINGS
from tests.api.world import World, point
from tests.explorer.browser import chromium, console_errors, screenshot, wait_for

#: JavaScript: each case [root, key, value or null, proof] (hex) through proof.js's verify;
#: "ok", or the failed step and message.
RUN_CASES = """
const done = arguments[arguments.length - 1];
(async () => {
  const out = [];
  for (const [root, key, value, proof] of arguments[0]) {
    try {
      await verify(fromHex(root, "root"), fromHex(key, "key"),
                   value === null ? null : fromHex(value, "value"), fromHex(proof, "proof"));
      out.push("ok");
    } catch (error) {
      out.push(`step ${error.step}: ${error.message}`);
    }
  }
  return out;
})().then(done, (error) => done(`threw ${error}`));
"""

Case = tuple[str, str, str | None, str]


def python_accepts(case: Case) -> bool:
    root, key, value, proof = case
    try:
        verify(
            bytes.fromhex(root),
            bytes.fromhex(key),
            None if value is None else bytes.fromhex(value),
            bytes.fromhex(proof),
        )
    except ProofError:
        return False
    return True


def flip(text: str, index: int, mask: int = 0x01) -> str:
    data = bytearray(bytes.fromhex(text))
    data[index] ^= mask
    return data.hex()


def mutations(case: Case) -> list[Case]:
    """``case`` tampered every way one byte can be: each proof byte flipped (low and high
    bit), one byte cut or added, each of value and root changed, the claim reversed."""
    root, key, value, proof = case
    size = len(proof) // 2
    out: list[Case] = []
    for index in range(size):
        out.append((root, key, value, flip(proof, index)))
        out.append((root, key, value, flip(proof, index, 0x80)))
    out += [(root, key, value, proof[:-2]), (root, key, value, proof + "00")]
    out += [(flip(root, 31), key, value, proof), (root, flip(key, 0), value, proof)]
    if value is None:
        out.append((root, key, "00", proof))
    else:
        out += [(root, key, flip(value, 0), proof), (root, key, None, proof)]
    return out


def proof_case(http: httpx.Client, key: str) -> tuple[Case, ProofKind]:
    body = http.get(f"/v1/proofs/state/{key}").json()
    proof = body["proof"]
    kind = decode_proof(bytes.fromhex(proof["proof"])).kind
    return (body["anchor"]["state_root"], proof["key"], proof["value"], proof["proof"]), kind


@pytest.fixture(scope="module")
def cases(tokens_url: str) -> dict[ProofKind, Case]:
    """A real proof of each kind from the token history: the ROOT token record (present),
    and absent outpoints until both kinds of absence have come up."""
    found: dict[ProofKind, Case] = {}
    with httpx.Client(base_url=tokens_url) as http:
        found[ProofKind.INCLUSION] = proof_case(http, "020000000100000001")[0]
        for n in range(500):
            key = "01" + hashlib.sha256(b"absent %d" % n).hexdigest() + "00000000"
            case, kind = proof_case(http, key)
            found.setdefault(kind, case)
            if len(found) == 3:
                break
    assert set(found) == set(ProofKind), f"kinds found: {sorted(found)}"
    return found


@pytest.fixture(scope="module")
def browser() -> Any:
    with chromium() as driver:
        yield driver


def run_in_page(driver: Chrome, cases: list[Case]) -> list[str]:
    result: list[str] | str = driver.execute_async_script(RUN_CASES, cases)
    assert isinstance(result, list), result
    return result


#: Where a page is no secure context, proof.js hashes with its own SHA-256 instead.
USE_FALLBACK = "sha256 = async (bytes) => fallbackSha256(bytes)"


@pytest.mark.parametrize("engine", ["crypto.subtle", "fallback"])
def test_the_page_agrees_with_the_reference_verifier(
    browser: Chrome, tokens_url: str, cases: dict[ProofKind, Case], engine: str
) -> None:
    browser.set_script_timeout(120)
    browser.get(f"{tokens_url}/verify")
    if engine == "fallback":
        browser.execute_script(USE_FALLBACK)
    for kind, case in cases.items():
        assert python_accepts(case), kind
        tampered = mutations(case)
        results = run_in_page(browser, [case, *tampered])
        assert results[0] == "ok", f"{kind.name}: {results[0]}"
        for mutated, verdict in zip(tampered, results[1:], strict=True):
            # A tampered byte is refused by both, or (never here) accepted by both.
            assert (verdict == "ok") == python_accepts(mutated), (kind.name, mutated, verdict)
        refused = sum(verdict != "ok" for verdict in results[1:])
        assert refused == len(tampered), f"{kind.name}: a tampered proof passed"
    assert not console_errors(browser)


def test_the_fallback_sha256_is_sha256(browser: Chrome, tokens_url: str) -> None:
    """Every padding case (lengths 0 to 130 cross the 55/56/64-byte boundaries) and long
    inputs, against hashlib."""
    browser.get(f"{tokens_url}/verify")
    inputs = [bytes((7 * i + n) % 256 for i in range(n)) for n in [*range(131), 1000, 70_000]]
    digests = browser.execute_script(
        "return arguments[0].map((hex) => toHex(fallbackSha256(fromHex(hex, 'input'))))",
        [data.hex() for data in inputs],
    )
    assert digests == [hashlib.sha256(data).hexdigest() for data in inputs]


def verify_url(base: str, case: Case) -> str:
    root, key, value, proof = case
    claim = "absent" if value is None else "present"
    query = {"root": root, "key": key, "claim": claim, "value": value or "", "proof": proof}
    return f"{base}/verify?{urlencode(query)}"


def result_of(driver: Chrome) -> tuple[str, str]:
    state = wait_for(
        driver,
        "['ok', 'failed'].includes(document.getElementById('proof-result').dataset.state)"
        " && document.getElementById('proof-result').dataset.state",
    )
    text: str = driver.find_element("id", "proof-result").text
    return state, text


def test_a_tampered_proof_shows_as_failed(
    browser: Chrome, tokens_url: str, cases: dict[ProofKind, Case]
) -> None:
    root, key, value, proof = cases[ProofKind.INCLUSION]
    browser.get(verify_url(tokens_url, (root, key, value, proof)))
    assert result_of(browser)[0] == "ok"
    screenshot(browser, "proof-verified")
    # A lying indexer's proof: one sibling byte flipped, near the end.
    tampered = flip(proof, len(proof) // 2 - 5)
    browser.get(verify_url(tokens_url, (root, key, value, tampered)))
    state, text = result_of(browser)
    assert state == "failed"
    assert "Proof FAILED" in text and "step 5" in text and "leads to root" in text
    screenshot(browser, "proof-tampered")
    assert not console_errors(browser)


def test_editing_the_proof_on_an_entry_page_fails_its_check(
    browser: Chrome, tokens_url: str
) -> None:
    browser.get(f"{tokens_url}/state/020000000100000001")
    assert result_of(browser)[0] == "ok"
    field = browser.find_element("name", "proof")
    original = field.get_attribute("value") or ""
    # The bitmap's last bit: past the proof's depth (6), so it fails to parse (step 1).
    browser.execute_script("arguments[0].value = arguments[1]", field, flip(original, 3))
    browser.find_element("css selector", "#proof-form button").click()
    state, text = result_of(browser)
    assert state == "failed", text
    assert "FAILED" in text and "step 1" in text
    assert not console_errors(browser)


def test_a_page_that_is_no_secure_context_checks_with_its_own_sha256(tokens_url: str) -> None:
    """Served as http://explorer.test (mapped to the loopback server), the page is no secure
    context, as an explorer reached over plain HTTP on a LAN is: crypto.subtle is withheld,
    and the proof is checked all the same."""
    port = urlsplit(tokens_url).port
    with chromium(flags=("--host-resolver-rules=MAP explorer.test 127.0.0.1",)) as driver:
        driver.get(f"http://explorer.test:{port}/state/020000000100000001")
        assert driver.execute_script("return window.isSecureContext") is False
        state, text = result_of(driver)
        assert state == "ok", text
        assert "own SHA-256" in text
        assert not console_errors(driver)


@pytest.mark.parametrize("lie", ["proof", "value"])
def test_what_a_lying_indexer_serves_fails_in_the_page(world: World, lie: str) -> None:
    """An indexer whose proof answers have one byte flipped (of the proof, or of the value it
    claims): its own outpoint page, server-rendered from those answers, shows the check
    failed at step 5 (another root)."""
    honest = routes_proofs.state_proof

    def lying(view: StoreView, key: bytes) -> dict[str, Any]:
        body = honest(view, key)
        body[lie] = flip(body[lie], len(body[lie]) // 2 - 1)
        return body

    outpoint = point(world.txs["E"], 1)  # ALICE's 700 ROOT
    with (
        mock.patch.object(routes_proofs, "state_proof", lying),
        ServerThread(create_app(ApiContext(world.store, SETTINGS))) as server,
        chromium() as driver,
    ):
        driver.get(f"{server.url}/outpoints/{outpoint}")
        state, text = result_of(driver)
        assert state == "failed", text
        assert "step 5" in text and "leads to root" in text
        screenshot(driver, f"proof-lying-indexer-{lie}")
        assert not console_errors(driver)


def test_the_proved_value_is_shown_decoded(browser: Chrome, tokens_url: str, world: World) -> None:
    """ALICE's E:1 holds 700 ROOT (token 1:1): the check shows the record it proved as CBOR
    diagnostic notation, decoded in the page from the proved bytes."""
    browser.get(f"{tokens_url}/outpoints/{point(world.txs['E'], 1)}")
    state, text = result_of(browser)
    assert state == "ok", text
    assert "holds {0: [[h'0000000100000001', 700]]}" in text
    samples = {
        cbor2.dumps({0: [[b"\x01\x02", 2**100]], 1: "ROOT"}): (
            f"{{0: [[h'0102', {2**100}]], 1: \"ROOT\"}}"
        ),
        cbor2.dumps([0, 23, 24, 2**64 - 1, -5]): f"[0, 23, 24, {2**64 - 1}, -5]",
        b"\x5f": "(not CBOR: indefinite or reserved length)",
        b"\x01\x02": "(not CBOR: bytes after the item)",
        b"\xf9\x3c\x00": "(not CBOR: a float or simple value)",
    }
    decoded = browser.execute_script(
        "return arguments[0].map((hex) => cborDiagnostic(fromHex(hex, 'value')))",
        [raw.hex() for raw in samples],
    )
    assert decoded == list(samples.values())
