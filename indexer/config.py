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

from engine.config import BACKENDS, WasmtimeConfig
from indexer.module_cache import ModuleCacheConfig
from indexer.redact import redact_url
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
    rpc_url: str = field(default="", repr=False)  # may carry user:password@
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
    wasm_backend: str = "winch"  # winch (baseline compiler) | cranelift | pulley (interpreter)
    module_cache_bytes: int = 4 << 30  # on-disk compiled contract modules; 0 turns it off
    api_workers: int = 1  # processes `serve` runs, sharing the listening socket
    api_max_connections: int = 1000  # open connections per worker; past it: 503
    api_max_streams: int = 500  # open /v1/stream connections per worker; past it: 503
    api_max_head_bytes: int = 16 * 1024  # request line and headers; past it: 431
    api_max_url_bytes: int = 8 * 1024  # past it: 414
    api_head_timeout: float = 10.0  # seconds to send a whole request head; past it: 408
    api_keep_alive_seconds: int = 5  # an idle kept-alive connection is closed after this
    api_heavy_processes: int = 1  # per worker: processes for compose and large batches
    api_heavy_queue: int = 16  # per worker: heavy requests waiting; past it: 503
    api_min_relay_fee: float = 1.0  # sat/vB: compose refuses lower fee rates

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
        _check(
            self.wasm_backend in BACKENDS,
            "wasm_backend",
            self.wasm_backend,
            "winch, cranelift or pulley",
        )
        _check(
            self.module_cache_bytes == 0 or self.module_cache_bytes >= 1 << 20,
            "module_cache_bytes",
            self.module_cache_bytes,
            "0 (off) or at least 1 MiB (1048576)",
        )
        for name, value, low, high in (
            ("api_workers", self.api_workers, 1, 64),
            ("api_max_connections", self.api_max_connections, 16, 100_000),
            ("api_max_streams", self.api_max_streams, 1, self.api_max_connections - 1),
            ("api_max_head_bytes", self.api_max_head_bytes, 2048, 1 << 20),
            ("api_max_url_bytes", self.api_max_url_bytes, 1024, self.api_max_head_bytes),
            ("api_keep_alive_seconds", self.api_keep_alive_seconds, 1, 3600),
            ("api_heavy_processes", self.api_heavy_processes, 1, 64),
            ("api_heavy_queue", self.api_heavy_queue, 0, 10_000),
        ):
            _check(low <= value <= high, name, value, f"{low:,} to {high:,}")
        _check(
            0 < self.api_head_timeout <= 600,
            "api_head_timeout",
            self.api_head_timeout,
            "above 0 and at most 600 seconds",
        )
        _check(
            0 < self.api_min_relay_fee <= 1000,
            "api_min_relay_fee",
            self.api_min_relay_fee,
            "above 0 and at most 1000 sat/vB",
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
            redact_url(self.rpc_url),
            "an http:// or https:// URL such as http://127.0.0.1:8332",
        )
        in_url = url.username is not None and url.password is not None
        if (
            self.rpc_cookie_file is None
            and (self.rpc_user is None or self.rpc_password is None)
            and not in_url
        ):
            raise ConfigError(
                "no RPC credentials: set rpc_cookie_file (Bitcoin Core's .cookie), "
                "both rpc_user and rpc_password, or put them in rpc_url (USER:PASSWORD@HOST)"
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

    @property
    def engine_config(self) -> WasmtimeConfig:
        """How contracts run (no setting here changes a result, only speed)."""
        backend = next(b for b in BACKENDS if b == self.wasm_backend)  # checked in __post_init__
        return WasmtimeConfig(backend=backend)

    @property
    def module_cache(self) -> ModuleCacheConfig:
        """Compiled modules on disk, shared by the networks of one data directory (the
        engine fingerprint in each key keeps different engines apart)."""
        return ModuleCacheConfig(self.data_dir / "modules", self.module_cache_bytes)


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
    "module_cache_bytes": int,
    "api_workers": int,
    "api_max_connections": int,
    "api_max_streams": int,
    "api_max_head_bytes": int,
    "api_max_url_bytes": int,
    "api_head_timeout": float,
    "api_keep_alive_seconds": int,
    "api_heavy_processes": int,
    "api_heavy_queue": int,
    "api_min_relay_fee": float,
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
