"""The test-file format of ``rootstate contract test``: a TOML scenario, parsed into frozen
dataclasses with every mistake reported by its place in the file.

One file is one scenario on a fresh local chain (:mod:`cli.contract_local`): tokens
premined to the wallet, the publish (with its init input), then calls in order, each with
what it must do. The template's ``tests/NAME.toml`` shows every key; contracts/README.md
describes them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.contract_values import ValueSyntaxError, encode_value

MAX_SUPPLY = 2**128 - 1
CALL_KEYS = ("input", "send", "outputs", "fuel", "expect")


class ScenarioError(Exception):
    """The file is not a scenario; the message names the file and the key."""


@dataclass(frozen=True)
class Expect:
    accepted: bool | None = None
    abort: int | None = None
    reason: str | None = None
    returns: tuple[str, ...] | None = None
    logs: tuple[tuple[str, ...], ...] | None = None
    storage: tuple[tuple[str, tuple[str, ...] | None], ...] = ()
    custody: tuple[tuple[str, int], ...] = ()
    wallet: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Step:
    name: str
    input: tuple[str, ...]
    send: tuple[tuple[str, int], ...]
    outputs: tuple[tuple[int, str], ...]
    fuel: int | None
    expect: Expect


@dataclass(frozen=True)
class Scenario:
    path: Path
    module: Path
    tokens: tuple[tuple[str, int], ...]
    publish: Step
    calls: tuple[Step, ...]


class _Reader:
    """Typed access to a TOML table that names the place of every error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, text: str) -> ScenarioError:
        return ScenarioError(f"{self.path}: {where}: {text}")

    def table(self, value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a table")
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise self.fail(where, f"unknown key {unknown[0]!r} (known: {', '.join(keys)})")
        return value

    def int_(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(where, f"must be an integer from {low:,} to {high:,}")
        return value

    def values(self, value: Any, where: str) -> tuple[str, ...]:
        """A list of TYPE:VALUE strings, checked now (asset names are resolved when run)."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, 'must be a list of typed values, e.g. ["u8:1", "u64:5"]')
        for item in value:
            if item.startswith("asset:"):
                continue
            try:
                encode_value(item)
            except ValueSyntaxError as exc:
                raise self.fail(where, str(exc)) from None
        return tuple(value)

    def amounts(self, value: Any, where: str) -> tuple[tuple[str, int], ...]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a table of asset = amount, e.g. { TIP = 40 }")
        table: dict[str, Any] = value
        return tuple(
            (name, self.int_(n, f"{where}.{name}", 0, MAX_SUPPLY)) for name, n in table.items()
        )

    def expect(self, value: Any, where: str) -> Expect:
        keys = ("accepted", "abort", "reason", "returns", "logs", "storage", "custody", "wallet")
        t = self.table(value, where, keys)
        accepted = t.get("accepted")
        if accepted is not None and not isinstance(accepted, bool):
            raise self.fail(f"{where}.accepted", "must be true or false")
        storage = []
        table = t.get("storage", {})
        if not isinstance(table, dict):
            raise self.fail(f"{where}.storage", 'must be a table, e.g. { "slot:1" = ["u64:7"] }')
        for key, stored in table.items():
            spot = f"{where}.storage.{key}"
            storage.append((key, None if stored is False else self.values(stored, spot)))
        logs = t.get("logs")
        if logs is not None and not isinstance(logs, list):
            raise self.fail(f"{where}.logs", "must be a list of lists of typed values")
        reason = t.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise self.fail(
                f"{where}.reason", "must be a rejection reason name, e.g. contract_abort"
            )
        return Expect(
            accepted=accepted,
            abort=None if "abort" not in t else self.int_(t["abort"], f"{where}.abort", 0, 2**32),
            reason=reason,
            returns=None if "returns" not in t else self.values(t["returns"], f"{where}.returns"),
            logs=None
            if logs is None
            else tuple(self.values(x, f"{where}.logs[{n}]") for n, x in enumerate(logs)),
            storage=tuple(storage),
            custody=self.amounts(t.get("custody", {}), f"{where}.custody"),
            wallet=self.amounts(t.get("wallet", {}), f"{where}.wallet"),
        )

    def list_(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "must be a list ([...] or [[...]] tables)")
        return value

    def step(self, value: Any, where: str, default_name: str) -> Step:
        """A call, or (``where`` == "publish") the publish: its input is ``init`` and it
        sends nothing."""
        publishing = where == "publish"
        keys = ("init", "fuel", "expect") if publishing else CALL_KEYS
        t = self.table(value, where, ("name", *keys))
        send = []
        for n, item in enumerate(self.list_(t.get("send", []), f"{where}.send")):
            s = self.table(item, f"{where}.send[{n}]", ("asset", "amount"))
            if not isinstance(s.get("asset"), str):
                raise self.fail(f"{where}.send[{n}].asset", "must be a token name or H:I[:S]")
            amount = self.int_(s.get("amount"), f"{where}.send[{n}].amount", 1, MAX_SUPPLY)
            send.append((s["asset"], amount))
        outputs = []
        for n, item in enumerate(self.list_(t.get("outputs", []), f"{where}.outputs")):
            o = self.table(item, f"{where}.outputs[{n}]", ("value", "script"))
            script = o.get("script")
            if not isinstance(script, str):
                raise self.fail(f"{where}.outputs[{n}].script", "must be hex")
            self.values([f"hex:{script}"], f"{where}.outputs[{n}].script")
            outputs.append(
                (self.int_(o.get("value", 546), f"{where}.outputs[{n}].value", 0, 2**63), script)
            )
        fuel = None if "fuel" not in t else self.int_(t["fuel"], f"{where}.fuel", 1, 2**63)
        return Step(
            name=str(t.get("name", default_name)),
            input=self.values(t.get("init" if publishing else "input", []), f"{where}.input"),
            send=tuple(send),
            outputs=tuple(outputs),
            fuel=fuel,
            expect=self.expect(t.get("expect", {}), f"{where}.expect"),
        )


def load_scenario(path: Path) -> Scenario:
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not TOML: {exc}") from None
    r = _Reader(path)
    top = r.table(raw, "the file", ("module", "tokens", "publish", "calls"))
    if not isinstance(top.get("module"), str):
        raise r.fail("module", "must name the .wasm file, relative to this file")
    tokens = []
    for n, item in enumerate(r.list_(top.get("tokens", []), "tokens")):
        t = r.table(item, f"tokens[{n}]", ("name", "supply"))
        if not isinstance(t.get("name"), str):
            raise r.fail(f"tokens[{n}].name", "must be a ticker, e.g. TIP")
        tokens.append((t["name"], r.int_(t.get("supply"), f"tokens[{n}].supply", 1, MAX_SUPPLY)))
    calls = top.get("calls", [])
    if not isinstance(calls, list) or not calls:
        raise r.fail("calls", "must list at least one [[calls]] table")
    return Scenario(
        path=path,
        module=(path.parent / top["module"]).resolve(),
        tokens=tuple(tokens),
        publish=r.step(top.get("publish", {}), "publish", "publish"),
        calls=tuple(r.step(c, f"calls[{n}]", f"call {n + 1}") for n, c in enumerate(calls)),
    )
