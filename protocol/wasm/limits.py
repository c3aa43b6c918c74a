"""Consensus limits on a contract module (spec §15.5) and the stack budget (spec §15.6).

Every value here is consensus: changing one changes which modules are accepted or where a
contract traps.
"""

from __future__ import annotations

MAX_MODULE_BYTES = 131_072  # as published, before instrumentation
MAX_TYPES = 256
MAX_PARAMS = 32  # per function type
MAX_FUNCTIONS = 2_048  # defined (non-imported) functions
MAX_GLOBALS = 256  # defined globals, before the one instrumentation adds
MAX_LOCALS = 512  # per function: parameters plus declared locals
MAX_BODY_BYTES = 65_536  # per function body, locals declarations included
MAX_STACK_HEIGHT = 1_024  # operand-stack height at any point of a body
MAX_NESTING = 256  # nested block/loop/if per body, the body itself excluded
MAX_TABLE_ELEMENTS = 4_096  # table minimum, and maximum when declared
MAX_ELEMENT_SEGMENTS = 64
MAX_DATA_SEGMENTS = 1_024
MAX_MEMORY_PAGES = 16  # 64 KiB pages: 1 MiB; memory.grow beyond returns -1

# The call-stack budget in frame-cost units (§15.6): the sum of the frame costs
# (FRAME_BASE + params + locals + max operand height) of the active wasm frames never
# exceeds it. A unit stands for one 8-byte value; FRAME_BASE covers a native frame's fixed
# part (return address, frame pointer, saved registers).
FRAME_BASE = 8
STACK_BUDGET = 65_536
