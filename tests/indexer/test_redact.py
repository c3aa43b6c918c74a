"""Credentials in node URLs are split off for use and starred out for display."""

from __future__ import annotations

import pytest

from indexer.redact import redact_url, split_credentials


@pytest.mark.parametrize(
    ("url", "clean", "user", "password", "shown"),
    [
        ("http://127.0.0.1:8332", "http://127.0.0.1:8332", None, None, "http://127.0.0.1:8332"),
        (
            "http://u:p@127.0.0.1:8332/wallet/x",
            "http://127.0.0.1:8332/wallet/x",
            "u",
            "p",
            "http://***@127.0.0.1:8332/wallet/x",
        ),
        ("https://u%40x:p%3Aw@node:1", "https://node:1", "u@x", "p:w", "https://***@node:1"),
        ("http://only@node", "http://node", "only", None, "http://***@node"),
        ("http://a:b@c@node:2", "http://node:2", "a", "b@c", "http://***@node:2"),
    ],
)
def test_split_and_redact(
    url: str, clean: str, user: str | None, password: str | None, shown: str
) -> None:
    assert split_credentials(url) == (clean, user, password)
    assert redact_url(url) == shown
