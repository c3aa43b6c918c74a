"""Every module rejection reason of spec/CONTRACTS_WASM.md §15.3 in words a contract author
can act on: what the protocol refused, and what usually causes it in an AssemblyScript
build. A test keeps this table complete."""

from __future__ import annotations

from types import MappingProxyType

from protocol.wasm import limits
from protocol.wasm.reasons import WasmReason as R

_FLAGS = "build with the project's build.sh (its flags keep the module inside the subset)"

EXPLANATIONS = MappingProxyType(
    {
        R.MODULE_TOO_LARGE: f"the module is over {limits.MAX_MODULE_BYTES:,} bytes; split it "
        "into contracts that call each other, or drop unused code",
        R.BAD_HEADER: "the file does not start with the WebAssembly magic and version 1: "
        "is it a .wasm binary (not .wat text)?",
        R.MALFORMED: "the binary is truncated or not valid WebAssembly encoding",
        R.UNSUPPORTED_SECTION: "a section the subset does not allow (custom sections "
        "such as names or source maps, or a post-MVP section): build without --debug or "
        f"--sourceMap; {_FLAGS}",
        R.FLOAT_TYPE: "the module uses f32 or f64 values: contracts are integer-only, so "
        "replace f64/f32 and Math.* with integers (u64, the SDK's U128)",
        R.UNSUPPORTED_TYPE: "a value type outside i32/i64 (v128, references)",
        R.MULTI_VALUE: "a function or block returns more than one value (multi-value)",
        R.FLOAT_INSTRUCTION: "a floating-point instruction: contracts are integer-only "
        "(a float literal, division producing f64, Math.*)",
        R.UNSUPPORTED_INSTRUCTION: "an instruction outside the WebAssembly MVP (sign "
        "extension, bulk memory, saturating conversions): " + _FLAGS,
        R.IMPORT_NOT_ALLOWED: 'an import outside module "rootstate" or not a host '
        "function of spec §17.3 (an env.abort means the build lacks "
        "--use abort=...runtimeAbort; console.log or Date are not available)",
        R.IMPORT_SIGNATURE: "a rootstate host function imported with the wrong signature: "
        "use the SDK's bindings rather than declaring your own",
        R.MEMORY: f"memory must be one memory of at most {limits.MAX_MEMORY_PAGES} pages "
        "(64 KiB each), not imported and not shared",
        R.TABLE: f"at most one table of at most {limits.MAX_TABLE_ELEMENTS:,} function references",
        R.GLOBAL: "a global that is imported, or initialised by other than a constant",
        R.EXPORT: "exports must be the functions init and call (and the memory); rename or "
        "drop other exports (AssemblyScript exports every top-level `export`)",
        R.ENTRY_TYPE: "init and call take no parameters and return nothing: "
        "`export function call(): void`",
        R.START: "a start function with parameters or results",
        R.INVALID_INDEX: "an index (function, type, global, table, memory) out of range",
        R.DATA_SEGMENT: "a data segment outside memory or with a non-constant offset",
        R.ELEMENT_SEGMENT: "an element segment outside the table or with a non-constant offset",
        R.INVALID_CODE: "a function body does not type-check or is malformed",
        R.TOO_MANY_TYPES: f"more than {limits.MAX_TYPES:,} function types",
        R.TOO_MANY_FUNCTIONS: f"more than {limits.MAX_FUNCTIONS:,} functions",
        R.TOO_MANY_GLOBALS: f"more than {limits.MAX_GLOBALS:,} globals",
        R.TOO_MANY_LOCALS: f"a function with more than {limits.MAX_LOCALS:,} locals "
        "and parameters: split it",
        R.BODY_TOO_LARGE: f"a function body over {limits.MAX_BODY_BYTES:,} bytes: split it",
        R.STACK_TOO_HIGH: f"an operand stack deeper than {limits.MAX_STACK_HEIGHT:,} "
        "values in one function: split the expression",
        R.NESTING_TOO_DEEP: f"blocks, loops and ifs nested over {limits.MAX_NESTING:,} "
        "deep in one function",
        R.TOO_MANY_DATA_SEGMENTS: f"more than {limits.MAX_DATA_SEGMENTS:,} data segments",
        R.TOO_MANY_ELEMENTS: f"more than {limits.MAX_ELEMENT_SEGMENTS:,} element segments",
        R.TOO_MANY_PARAMS: f"a function type with more than {limits.MAX_PARAMS:,} parameters",
    }
)


def explain(reason: R) -> str:
    return EXPLANATIONS[reason]
