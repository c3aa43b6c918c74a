"""Configuration: sources merge in order and every bad setting names itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.config import Config, ConfigError, load_config
from protocol.params import Network

CREDS = {"ROOTSTATE_RPC_USER": "u", "ROOTSTATE_RPC_PASSWORD": "p"}


def test_defaults_follow_the_network() -> None:
    config = load_config(environ={**CREDS, "ROOTSTATE_NETWORK": "regtest"})
    assert config.network is Network.REGTEST
    assert config.rpc_url == "http://127.0.0.1:18443"
    assert config.start_height == 1
    assert config.store_path.name == "regtest"


def test_flags_override_environment_which_overrides_file(tmp_path: Path) -> None:
    toml = tmp_path / "rootstate.toml"
    toml.write_text('network = "signet"\nprefetch = 3\nbatch_blocks = 7\nundo_depth = 500\n')
    env = {**CREDS, "ROOTSTATE_PREFETCH": "5", "ROOTSTATE_BATCH_BLOCKS": "9"}
    config = load_config(toml, environ=env, flags={"batch_blocks": 11, "prefetch": None})
    assert (config.network, config.prefetch, config.batch_blocks, config.undo_depth) == (
        Network.SIGNET,
        5,
        11,
        500,
    )
    assert config.rpc_url == "http://127.0.0.1:38332"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ROOTSTATE_NETWORK": "testnet3"}, "network='testnet3' is invalid"),
        ({"ROOTSTATE_PREFETCH": "0"}, "prefetch=0 is invalid"),
        ({"ROOTSTATE_PREFETCH": "many"}, "prefetch='many' from ROOTSTATE_PREFETCH"),
        ({"ROOTSTATE_RPC_URL": "127.0.0.1:8332"}, "rpc_url='127.0.0.1:8332' is invalid"),
        ({"ROOTSTATE_REST": "maybe"}, "rest='maybe' is invalid"),
        ({"ROOTSTATE_UNDO_DEPTH": "3"}, "undo_depth=3 is invalid"),
        ({"ROOTSTATE_ZMQ_URL": "ipc:///x"}, "zmq_url='ipc:///x' is invalid"),
        ({"ROOTSTATE_COLOUR": "red"}, "unknown setting ROOTSTATE_COLOUR"),
        ({"ROOTSTATE_API_MAX_PAGE_SIZE": "5"}, "api_max_page_size=5 is invalid"),
        ({"ROOTSTATE_API_MAX_BODY_BYTES": "100"}, "api_max_body_bytes=100 is invalid"),
        ({"ROOTSTATE_API_READY_LAG_BLOCKS": "-1"}, "api_ready_lag_blocks=-1 is invalid"),
        ({"ROOTSTATE_CORS_ORIGINS": "wallet.example"}, "cors_origins='wallet.example'"),
        ({"ROOTSTATE_CORS_ORIGINS": "https://a.example/app"}, "no path"),
    ],
)
def test_bad_settings_name_themselves(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={**CREDS, **env})
    assert message in str(caught.value)


def test_credentials_are_required() -> None:
    with pytest.raises(ConfigError, match="no RPC credentials"):
        load_config(environ={"ROOTSTATE_RPC_USER": "only-user"})
    cookie = load_config(environ={"ROOTSTATE_RPC_COOKIE_FILE": "/tmp/.cookie"})
    assert cookie.rpc_cookie_file == Path("/tmp/.cookie")


def test_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.toml", environ=CREDS)
    broken = tmp_path / "broken.toml"
    broken.write_text("network = \n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(broken, environ=CREDS)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('netwrok = "regtest"\n')
    with pytest.raises(ConfigError, match="unknown setting 'netwrok'"):
        load_config(unknown, environ=CREDS)


def test_config_is_frozen() -> None:
    config = load_config(environ=CREDS)
    with pytest.raises(AttributeError):
        config.prefetch = 1  # type: ignore[misc]
    assert isinstance(config, Config)


def test_password_is_not_printed() -> None:
    config = load_config(environ={**CREDS, "ROOTSTATE_RPC_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(config)


def test_api_settings_from_every_source(tmp_path: Path) -> None:
    toml = tmp_path / "rootstate.toml"
    toml.write_text('cors_origins = ["https://a.example", "http://localhost:3000"]\n')
    config = load_config(
        toml,
        environ={**CREDS, "ROOTSTATE_API_MAX_PAGE_SIZE": "250"},
        flags={"api_max_body_bytes": 4096, "api_ready_lag_blocks": 0},
    )
    assert config.cors_origins == ("https://a.example", "http://localhost:3000")
    assert (config.api_max_page_size, config.api_max_body_bytes) == (250, 4096)
    assert config.api_ready_lag_blocks == 0
    listed = load_config(environ={**CREDS, "ROOTSTATE_CORS_ORIGINS": "*, https://b.example"})
    assert listed.cors_origins == ("*", "https://b.example")


def test_the_harness_node_binaries_are_not_settings() -> None:
    """regtest/README.md documents ROOTSTATE_BTCD and ROOTSTATE_BITCOIND; a command started
    beside them (the demo's `rootstate run`) must not refuse them as unknown settings."""
    harness = {"ROOTSTATE_BTCD": "/opt/btcd", "ROOTSTATE_BITCOIND": "/opt/bitcoind"}
    config = load_config(environ={**CREDS, **harness})
    assert config == load_config(environ=CREDS)
    with pytest.raises(ConfigError, match="unknown setting ROOTSTATE_BTCD_PATH"):
        load_config(environ={**CREDS, "ROOTSTATE_BTCD_PATH": "/opt/btcd"})
