"""The explorer's CSS, scripts and icon, read once from the package and served from memory.

They are small and change only with a release, so each answer carries a strong ETag; the
pages ask for them by name under ``/static/``.
"""

from __future__ import annotations

import hashlib
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from api.errors import not_found

TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _load() -> dict[str, tuple[bytes, str, str]]:
    files: dict[str, tuple[bytes, str, str]] = {}
    for item in resources.files(__name__.rpartition(".")[0]).joinpath("static").iterdir():
        suffix = item.name[item.name.rfind(".") :]
        if item.is_file() and suffix in TYPES:
            data = item.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
            files[item.name] = (data, TYPES[suffix], etag)
    return files


FILES = _load()


async def static(request: Request) -> Response:
    found = FILES.get(request.path_params["name"])
    if found is None:
        raise not_found("not_found", f"no static file {request.path_params['name'][:80]}")
    data, media_type, etag = found
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)
