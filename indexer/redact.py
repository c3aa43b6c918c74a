"""Credentials in node URLs (``http://user:password@host:port``): split off, never shown."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(the URL without user and password, the user, the password), decoded."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    clean = urlunsplit(parts._replace(netloc=host))
    return clean, unquote(user) or None, unquote(password) if colon else None


def redact_url(url: str) -> str:
    """``url`` fit for logs and responses: any user and password replaced by ``***``."""
    clean, user, password = split_credentials(url)
    if user is None and password is None:
        return clean
    parts = urlsplit(clean)
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc))
