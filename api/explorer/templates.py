"""Jinja2 over the package's templates, with the filters the pages share.

Jinja2 escapes every value it puts in HTML (autoescape), so names chosen by users — tickers,
contract log data, addresses typed in a search — can never become markup or script.
"""

from __future__ import annotations

from typing import Any

import jinja2
from starlette.responses import HTMLResponse

#: No inline script or style, and nothing from another origin: the pages need neither, and
#: a page that someone managed to inject markup into still cannot run code.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def short(text: object, keep: int = 10) -> str:
    """A long hash as its first ``keep`` and last 6 characters (the page shows it whole in
    the link's title)."""
    value = "" if text is None else str(text)
    return value if len(value) <= keep + 8 else f"{value[:keep]}…{value[-6:]}"


def amount(units: object, decimals: object = 0) -> str:
    """Base units (a decimal string: they exceed 2^53) in the token's decimals, grouped."""
    text = str(units)
    if not text.isdigit():
        return text
    places = decimals if isinstance(decimals, int) and 0 <= decimals <= 38 else 0
    whole, frac = (
        (text[:-places] or "0", text[-places:].rjust(places, "0")) if places else (text, "")
    )
    grouped = f"{int(whole):,}"
    frac = frac.rstrip("0")
    return f"{grouped}.{frac}" if frac else grouped


def count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


ENV = jinja2.Environment(
    # This package by its own name, wherever the distribution maps it.
    loader=jinja2.PackageLoader(__name__.rpartition(".")[0], "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(short=short, amount=amount, count=count)


def page(name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """The template ``name`` rendered with ``values``, with the pages' security headers."""
    html = ENV.get_template(name).render(**values)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )
