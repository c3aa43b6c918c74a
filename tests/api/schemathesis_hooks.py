"""Schemathesis hooks for the API's document: its one custom string format.

``bitcoin-address`` (an address of the server's network) has checksums no pattern can state,
so example addresses come from the regtest scripts of tests/api/world.py, as encoded by the
regtest harness (not by the API's own address code).
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from tests.api.world import ALICE, BOB, CAROL, DAVE, ERIN, address

schemathesis.openapi.format(
    "bitcoin-address", st.sampled_from([address(s) for s in (ALICE, BOB, CAROL, DAVE, ERIN)])
)
