"""``rootstate contract test``: run each scenario file (:mod:`cli.contract_scenario`) on a
fresh local chain (:mod:`cli.contract_local`) and compare what happened with what the file
expects. Fuel is reported, never expected: it follows the protocol's fuel schedule, which
a contract author does not control.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import cbor2

from cli.contract_local import Applied, LocalChain
from cli.contract_scenario import Expect, Scenario, ScenarioError, Step, load_scenario
from cli.contract_values import ValueSyntaxError, asset_bytes, encode_values
from engine.config import Backend
from protocol.contracts.wasm.records import narrow_asset
from protocol.fields import format_token_id
from protocol.state import CUSTODY_PREFIX, STORAGE_PREFIX

Out = Callable[[str], None]


def storage_key(text: str, names: dict[str, bytes]) -> bytes:
    """The SDK's keys: ``slot:N`` (Key.slot: 31 zero bytes, then N), ``map:N:VALUES``
    (Key.map: sha256(N || the values' bytes), e.g. ``map:2:u32:1``) or ``key:<64 hex>``."""
    kind, _, rest = text.partition(":")
    number, _, data = rest.partition(":")
    if kind == "slot" and rest.isdigit() and int(rest) < 256:
        return bytes(31) + bytes([int(rest)])
    if kind == "map" and number.isdigit() and int(number) < 256 and data:
        return hashlib.sha256(bytes([int(number)]) + encode_values(data.split(), names)).digest()
    if kind == "key" and len(rest) == 64:
        try:
            return bytes.fromhex(rest)
        except ValueError:
            pass
    raise ValueSyntaxError(
        f"storage key {text!r} is not slot:N, map:N:VALUES (N 0..255) or key:<64 hex digits>"
    )


class _Run:
    def __init__(self, scenario: Scenario, chain: LocalChain) -> None:
        self.scenario = scenario
        self.chain = chain
        self.names: dict[str, bytes] = {}
        self.contract = b""

    def encode(self, items: Iterable[str]) -> bytes:
        return encode_values(items, self.names)

    def asset(self, name: str) -> bytes:
        return asset_bytes(name, self.names)

    def check(self, step: Step, applied: Applied) -> list[str]:
        """Every way ``applied`` differs from ``step.expect``, in words."""
        e: Expect = step.expect
        problems: list[str] = []
        accepted = e.accepted if e.accepted is not None else e.abort is None and e.reason is None
        got_reason: str | None = None
        if applied.rejected is not None:
            got_reason = str(applied.rejected["reason"]["name"])
        got_detail = None if applied.rejected is None else applied.rejected["detail"]
        if accepted != (applied.rejected is None):
            if applied.rejected is None:
                problems.append("expected a rejection, but it was accepted")
            else:
                why = f"{got_reason}" + ("" if got_detail is None else f", abort code {got_detail}")
                problems.append(f"expected it accepted, but the protocol rejected it: {why}")
            return problems
        if e.abort is not None and (got_reason, got_detail) != ("contract_abort", e.abort):
            problems.append(f"expected abort code {e.abort}, got {got_reason} {got_detail}")
        if e.reason is not None and got_reason != e.reason:
            problems.append(f"expected rejection reason {e.reason}, got {got_reason}")
        result = applied.result or {}
        if e.returns is not None:
            want = self.encode(e.returns).hex()
            got = result.get("return_data") or ""
            if got != want:
                problems.append(f"returned {got or 'nothing'}, expected {want or 'nothing'}")
        if e.logs is not None:
            mine = format_token_id(self.contract)
            got_logs = [
                ev["data"]
                for ev in applied.events
                if ev["type"] == "log" and ev.get("contract") == mine
            ]
            want_logs = [self.encode(log).hex() for log in e.logs]
            if got_logs != want_logs:
                problems.append(f"logged {got_logs}, expected {want_logs}")
        for key, stored in e.storage:
            raw = self.chain.state.get(
                STORAGE_PREFIX + self.contract + storage_key(key, self.names)
            )
            want_raw = None if stored is None else self.encode(stored)
            if raw != want_raw:
                shown = "absent" if raw is None else raw.hex()
                problems.append(
                    f"storage {key} is {shown}, expected "
                    + ("absent" if want_raw is None else want_raw.hex())
                )
        for name, amount in e.custody:
            wide = self.asset(name)
            raw = self.chain.state.get(CUSTODY_PREFIX + self.contract + wide)
            held = 0 if raw is None else int(cbor2.loads(raw))
            if held != amount:
                problems.append(f"the contract holds {held:,} {name}, expected {amount:,}")
        wallet = self.chain.held()
        for name, amount in e.wallet:
            ident = format_token_id(narrow_asset(self.asset(name)))
            if wallet.get(ident, 0) != amount:
                problems.append(
                    f"the wallet holds {wallet.get(ident, 0):,} {name}, expected {amount:,}"
                )
        return problems


def run_scenario(scenario: Scenario, out: Out, backend: Backend = "cranelift") -> int:
    """Runs one scenario, printing a line per step; the number of failed steps."""
    chain = LocalChain(backend)
    run = _Run(scenario, chain)
    for name, supply in scenario.tokens:
        token, applied = chain.deploy_token(name, supply)
        if applied.rejected is not None:
            raise ScenarioError(
                f"{scenario.path}: token {name!r}: the protocol refused the deploy "
                f"({applied.rejected['reason']['name']}); tickers are 1 to 12 letters A-Z"
            )
        run.names[name] = token + bytes(4)
    if not scenario.module.is_file():
        raise ScenarioError(
            f"{scenario.path}: no module {scenario.module}: run `rootstate contract build` first"
        )
    try:
        code = scenario.module.read_bytes()
        init = run.encode(scenario.publish.input)
        contract, published = chain.publish(code, init, scenario.publish.fuel)
        run.contract = contract
        failed = _report(out, scenario.publish, published, run.check(scenario.publish, published))
        if published.rejected is not None:
            return failed + len(scenario.calls)  # nothing to call
        for step in scenario.calls:
            assets = tuple((run.asset(a), n) for a, n in step.send)
            outputs = tuple((v, bytes.fromhex(s)) for v, s in step.outputs)
            kwargs = {} if step.fuel is None else {"fuel": step.fuel}
            applied = chain.call(contract, run.encode(step.input), assets, outputs, **kwargs)
            failed += _report(out, step, applied, run.check(step, applied))
    except ValueSyntaxError as exc:
        raise ScenarioError(f"{scenario.path}: {exc}") from None
    return failed


def _report(out: Out, step: Step, applied: Applied, problems: list[str]) -> int:
    fuel = "" if applied.fuel_used is None else f"  (fuel {applied.fuel_used:,})"
    if applied.rejected is not None:
        detail = applied.rejected["detail"]
        fuel = f"  (rejected: {applied.rejected['reason']['name']}" + (
            ")" if detail is None else f", code {detail})"
        )
    out(f"  {'FAIL' if problems else 'ok  '} {step.name}{fuel}")
    for problem in problems:
        out(f"       {problem}")
    return 1 if problems else 0


def scenario_files(paths: list[Path], project: Path) -> list[Path]:
    """The named files, or every tests/*.toml of the project."""
    if paths:
        return paths
    found = sorted((project / "tests").glob("*.toml"))
    if not found:
        raise ScenarioError(f"no scenario files in {project / 'tests'} (tests/*.toml)")
    return found


def run_tests(paths: list[Path], project: Path, out: Out) -> int:
    """Every scenario; the total number of failed steps (0: all passed)."""
    failed = 0
    for path in scenario_files(paths, project):
        scenario = load_scenario(path)
        out(f"{path}:")
        failed += run_scenario(scenario, out)
    return failed
