"""Every host function of the ABI table (spec/CONTRACTS.md §17.3) is implemented, with the
table's signature, and the table is exactly the spec's list."""

from __future__ import annotations

import inspect

from protocol.contracts.wasm.host import Host
from protocol.wasm.abi import HOST_FUNCTIONS

#: CONTRACTS.md §17.3, in table order, then §17.5-§17.7's additions.
SPEC_NAMES = [
    "input_len",
    "input_read",
    "self_id",
    "caller_id",
    "block_height",
    "tx_id",
    "tx_input_count",
    "tx_input",
    "tx_input_assets",
    "tx_output_count",
    "tx_output_value",
    "tx_output_script",
    "received",
    "balance",
    "send",
    "issue",
    "burn",
    "storage_get",
    "storage_set",
    "storage_delete",
    "emit",
    "sha256",
    "call_contract",
    "return_data_read",
    "set_return",
    "abort",
    "schnorr_verify",
    "block_time",
    "block_median_time",
    "send_to_caller",
    "call_view",
]


def test_the_table_is_the_spec_list() -> None:
    assert list(HOST_FUNCTIONS) == SPEC_NAMES


def test_every_function_takes_the_caller_and_its_wasm_parameters() -> None:
    for name, (params, _results) in HOST_FUNCTIONS.items():
        method = getattr(Host, name)
        parameters = list(inspect.signature(method).parameters)
        assert parameters[:2] == ["self", "caller"], name
        assert len(parameters) - 2 == len(params), name
