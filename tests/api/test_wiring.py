"""The Config's API settings reach the app's settings and connection limits."""

from __future__ import annotations

from fractions import Fraction

from api.wiring import api_settings
from indexer.config import load_config

CREDS = {"ROOTSTATE_RPC_USER": "u", "ROOTSTATE_RPC_PASSWORD": "p"}


def test_api_limits_reach_the_api_settings() -> None:
    config = load_config(
        environ={
            **CREDS,
            "ROOTSTATE_API_MAX_CONNECTIONS": "300",
            "ROOTSTATE_API_MAX_STREAMS": "100",
            "ROOTSTATE_API_MIN_RELAY_FEE": "0.1",
            "ROOTSTATE_API_HEAD_TIMEOUT": "2.5",
        }
    )
    settings = api_settings(config)
    assert settings.max_streams == 100
    assert settings.min_fee_rate == Fraction(1, 10)
    assert settings.limits.max_connections == 300
    assert settings.limits.head_timeout == 2.5
    assert (settings.limits.max_head_bytes, settings.limits.keep_alive_timeout) == (16_384, 5)
