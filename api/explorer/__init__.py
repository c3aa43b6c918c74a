"""The HTML explorer: server-rendered pages over the JSON API, at ``/``.

Every page is drawn from the JSON routes it links to (:mod:`api.explorer.source` calls them
in-process), so a page never shows what the API would not answer. Scripts add only the live
feed (``/v1/stream``) and the in-browser proof check (``static/proof.js``, spec §25.2).
"""
