"""Validated configuration: TOML file, then environment, then flags (later wins).

Everything is checked once at start so a typo fails with a message that names the
setting, where it came from, and what would be accepted, never with a traceback mid-sync.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from protocol.params import ACTIVATION_HEIGHTS, Network

ENV_PREFIX = "ROOTSTATE_"
#: ``ROOTSTATE_*`` names that are not settings: the regtest harness's node binaries
#: (regtest/README.md). Commands run beside them (the demo, the tests) must not refuse them.
ENV_NOT_SETTINGS = frozenset({"ROOTSTATE_BTCD", "ROOTSTATE_BITCOIND"})
DEFAULT_RPC_PORTS = {
    Network.MAINNET: 8332,
    Network.TESTNET4: 48332,
    Network.SIGNET: 38332,
    Network.REGTEST: 18443,
}


class ConfigError(ValueError):
    """A setting is missing, malformed or inconsistent; the message says which and why."""


@dataclass(frozen=True)
class Config:
    network: Network = Network.MAINNET
    data_dir: Path = field(default_factory=lambda: Path("~/.rootstate").expanduser())
    rpc_url: str = ""
    rpc_user: str | None = None
    rpc_password: str | None = field(default=None, repr=False)
    rpc_cookie_file: Path | None = None
    rest: str = "auto"  # auto | on | off
    zmq_url: str | None = None
    rpc_timeout: float = 60.0
    prefetch: int = 8
    batch_blocks: int = 50
    poll_seconds: float = 2.0
    undo_depth: int = 1000
    activation_height: int | None = None  # overrides the network's (private chains, tests)
    api_host: str = "127.0.0.1"
    api_port: int = 8432
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API ("*": any)
    api_max_page_size: int = 1000  # most items one page of a listing holds
    api_max_body_bytes: int = 1 << 20  # largest request body accepted
    api_ready_lag_blocks: int = 2  # /readyz fails when further behind the node than this

    def __post_init__(self) -> None:
        _check(self.rest in ("auto", "on", "off"), "rest", self.rest, "one of auto, on, off")
        _check(self.rpc_timeout > 0, "rpc_timeout", self.rpc_timeout, "a positive number")
        _check(1 <= self.prefetch <= 256, "prefetch", self.prefetch, "1 to 256 blocks")
        _check(1 <= self.batch_blocks <= 10_000, "batch_blocks", self.batch_blocks, "1 to 10000")
        _check(self.poll_seconds > 0, "poll_seconds", self.poll_seconds, "a positive number")
        _check(self.undo_depth >= 10, "undo_depth", self.undo_depth, "at least 10 blocks")
        _check(0 < self.api_port < 65536, "api_port", self.api_port, "a TCP port")
        _check(
            10 <= self.api_max_page_size <= 10_000,
            "api_max_page_size",
            self.api_max_page_size,
            "10 to 10000 items",
        )
        _check(
            1024 <= self.api_max_body_bytes <= 64 << 20,
            "api_max_body_bytes",
            self.api_max_body_bytes,
            "1024 bytes to 64 MiB (a batch of 1,000 outpoints is about 70 KiB)",
        )
        _check(
            self.api_ready_lag_blocks >= 0,
            "api_ready_lag_blocks",
            self.api_ready_lag_blocks,
            "0 or more blocks",
        )
        for origin in self.cors_origins:
            parts = urlsplit(origin)
            _check(
                origin == "*"
                or (parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.path),
                "cors_origins",
                origin,
                '"*" or origins such as https://wallet.example (scheme and host, no path)',
            )
        if self.activation_height is not None:
            _check(self.activation_height >= 1, "activation_height", self.activation_height, ">= 1")
        url = urlsplit(self.rpc_url)
        _check(
            url.scheme in ("http", "https") and bool(url.hostname),
            "rpc_url",
            self.rpc_url,
            "an http:// or https:// URL such as http://127.0.0.1:8332",
        )
        if self.rpc_cookie_file is None and (self.rpc_user is None or self.rpc_password is None):
            raise ConfigError(
                "no RPC credentials: set rpc_cookie_file (Bitcoin Core's .cookie) "
                "or both rpc_user and rpc_password"
            )
        if self.zmq_url is not None:
            _check(self.zmq_url.startswith("tcp://"), "zmq_url", self.zmq_url, "tcp://HOST:PORT")

    @property
    def start_height(self) -> int:
        """The first block the indexer applies."""
        if self.activation_height is not None:
            return self.activation_height
        return ACTIVATION_HEIGHTS[self.network]

    @property
    def store_path(self) -> Path:
        return self.data_dir / self.network.value


def _check(ok: bool, name: str, value: object, expected: str) -> None:
    if not ok:
        raise ConfigError(f"setting {name}={value!r} is invalid: expected {expected}")


_CONVERTERS: dict[str, Any] = {
    "data_dir": lambda v: Path(str(v)).expanduser(),
    "rpc_cookie_file": lambda v: Path(str(v)).expanduser(),
    "rpc_timeout": float,
    "poll_seconds": float,
    "prefetch": int,
    "batch_blocks": int,
    "undo_depth": int,
    "activation_height": int,
    "api_port": int,
    "api_max_page_size": int,
    "api_max_body_bytes": int,
    "api_ready_lag_blocks": int,
    "cors_origins": lambda v: (
        tuple(str(o) for o in v)
        if isinstance(v, list)
        else tuple(o.strip() for o in str(v).split(",") if o.strip())
    ),
}


def _network(value: object) -> Network:
    try:
        return Network(str(value))
    except ValueError:
        names = ", ".join(n.value for n in Network)
        raise ConfigError(
            f"setting network={value!r} is invalid: expected one of {names}"
        ) from None


def _convert(name: str, value: object, source: str) -> object:
    converter = _network if name == "network" else _CONVERTERS.get(name, str)
    try:
        return converter(value)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"setting {name}={value!r} from {source} is invalid: {exc}") from None


def load_config(
    toml_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, object] | None = None,
) -> Config:
    """Merge the three sources; unknown keys are errors, not silently ignored."""
    known = {f.name for f in fields(Config)}
    values: dict[str, object] = {}
    if toml_file is not None:
        try:
            raw = tomllib.loads(toml_file.read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read config file {toml_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {toml_file} is not valid TOML: {exc}") from None
        for key, value in raw.items():
            if key not in known:
                raise ConfigError(f"config file {toml_file}: unknown setting {key!r}")
            values[key] = _convert(key, value, str(toml_file))
    for env_key, value in sorted((environ if environ is not None else os.environ).items()):
        if env_key.startswith(ENV_PREFIX) and env_key not in ENV_NOT_SETTINGS:
            key = env_key[len(ENV_PREFIX) :].lower()
            if key not in known:
                raise ConfigError(f"environment: unknown setting {env_key}")
            values[key] = _convert(key, value, env_key)
    for key, value in (flags or {}).items():
        if value is not None:
            values[key] = _convert(key, value, f"--{key.replace('_', '-')}")
    network = values.get("network", Network.MAINNET)
    assert isinstance(network, Network)
    if not values.get("rpc_url"):
        values["rpc_url"] = f"http://127.0.0.1:{DEFAULT_RPC_PORTS[network]}"
    try:
        return Config(**values)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ConfigError(str(exc)) from None
