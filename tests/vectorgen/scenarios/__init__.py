"""All scenarios, in the order their vectors are numbered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen.scenarios import (
    allocation,
    authority,
    carriers,
    cbor,
    chain,
    clarify,
    contract_assets,
    contract_calls,
    contract_metering,
    contract_publish,
    deploy,
    fuel_space,
    host_additions,
    message,
    mint,
    readings,
    readings_module,
    readings_v1,
    transfer_burn,
    utxo_bound,
)

ALL: list[Callable[[], dict[str, Any]]] = [
    *carriers.VECTORS,
    *cbor.VECTORS,
    *message.VECTORS,
    *deploy.VECTORS,
    *mint.VECTORS,
    *transfer_burn.VECTORS,
    *allocation.VECTORS,
    *authority.VECTORS,
    *chain.VECTORS,
    *contract_publish.VECTORS,
    *contract_calls.VECTORS,
    *contract_assets.VECTORS,
    *clarify.VECTORS,
    *contract_metering.VECTORS,
    *readings_v1.VECTORS,
    *readings.VECTORS,
    *readings_module.VECTORS,
    *fuel_space.VECTORS,
    *utxo_bound.VECTORS,
    *host_additions.VECTORS,
]
