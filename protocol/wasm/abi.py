"""The host import table (spec §15.4; semantics and costs in spec §17).

The one place the import names and signatures live: the validator checks a module's
imports against it, and the host implementation builds its imports from it.
"""

from __future__ import annotations

from types import MappingProxyType

from protocol.wasm.engine import ValType

IMPORT_MODULE = "rootstate"
MEMORY_EXPORT = "memory"
CALL_EXPORT = "call"
INIT_EXPORT = "init"

I32 = ValType.I32
I64 = ValType.I64

Signature = tuple[tuple[ValType, ...], tuple[ValType, ...]]

HOST_FUNCTIONS: MappingProxyType[str, Signature] = MappingProxyType(
    {
        "input_len": ((), (I32,)),
        "input_read": ((I32,), ()),
        "self_id": ((I32,), ()),
        "caller_id": ((I32,), (I32,)),
        "block_height": ((), (I64,)),
        "tx_id": ((I32,), ()),
        "tx_input_count": ((), (I32,)),
        "tx_input": ((I32, I32), ()),
        "tx_input_assets": ((I32, I32, I32), (I32,)),
        "tx_output_count": ((), (I32,)),
        "tx_output_value": ((I32,), (I64,)),
        "tx_output_script": ((I32, I32, I32), (I32,)),
        "received": ((I32, I32), (I32,)),
        "balance": ((I32, I32), ()),
        "send": ((I32, I32, I32), ()),
        "issue": ((I32, I32), ()),
        "burn": ((I32, I32), ()),
        "storage_get": ((I32, I32, I32), (I32,)),
        "storage_set": ((I32, I32, I32), ()),
        "storage_delete": ((I32,), ()),
        "emit": ((I32, I32), ()),
        "sha256": ((I32, I32, I32), ()),
        "call_contract": ((I32, I32, I32, I32, I32, I64), (I32,)),
        "return_data_read": ((I32,), ()),
        "set_return": ((I32, I32), ()),
        "abort": ((I32,), ()),
        "schnorr_verify": ((I32, I32, I32, I32), (I32,)),
        "block_time": ((), (I64,)),
        "block_median_time": ((), (I64,)),
        "send_to_caller": ((I32, I32), ()),
        "call_view": ((I32, I32, I32, I64), (I32,)),
    }
)
