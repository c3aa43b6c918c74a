"""The explorer's routes: HTML pages at the top level, beside the JSON API under ``/v1``.

They are served by the same app as the JSON routes, so the same connection guard, readiness
gate, request metrics and body limit apply to them; each page reads only bounded pages of
the routes it shows (see :mod:`api.explorer.common`).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from api.explorer import pages_chain, pages_proof, pages_state
from api.explorer.static import static

ROUTES: list[BaseRoute] = [
    Route("/", pages_chain.home, methods=["GET"]),
    Route("/blocks/{block}", pages_chain.block, methods=["GET"]),
    Route("/txs/{txid}", pages_chain.transaction, methods=["GET"]),
    Route("/search", pages_chain.search, methods=["GET"]),
    Route("/tokens", pages_state.tokens, methods=["GET"]),
    Route("/tokens/{token}", pages_state.token, methods=["GET"]),
    Route("/contracts", pages_state.contracts, methods=["GET"]),
    Route("/contracts/{contract}", pages_state.contract, methods=["GET"]),
    Route("/addresses/{address}", pages_state.address, methods=["GET"]),
    Route("/outpoints/{outpoint}", pages_state.outpoint, methods=["GET"]),
    Route("/state/{key}", pages_proof.state, methods=["GET"]),
    Route("/verify", pages_proof.verify, methods=["GET"]),
    Route("/static/{name}", static, methods=["GET"]),
]
