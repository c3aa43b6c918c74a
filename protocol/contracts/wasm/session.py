"""Running contract code for one message: call frames, fuel, traps (spec/CONTRACTS.md §18-§19).

A Session lives for one message. Every call (top-level, init, nested) is a Frame; a nested
call re-enters the engine from inside the caller's ``call_contract`` host function. Nothing
here needs its own rollback: all state changes go to the message's Overlay and its event and
allocation lists, which the machine drops whole when the message is rejected (§19).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from protocol.contracts.wasm import limits as lim
from protocol.contracts.wasm.host import host_imports
from protocol.contracts.wasm.records import custody, load_contract, set_custody
from protocol.events import Event, EventType, Field
from protocol.machine import TxContext
from protocol.reasons import Reason, Rejection
from protocol.wasm.engine import ContractEngine, ExecutionResult, HostTrap, TrapKind

#: §19.2: each engine trap has its own reason code.
TRAP_REASONS: dict[TrapKind, Reason] = {
    TrapKind.UNREACHABLE: Reason.UNREACHABLE,
    TrapKind.OUT_OF_FUEL: Reason.OUT_OF_FUEL,
    TrapKind.STACK_EXHAUSTED: Reason.STACK_EXHAUSTED,
    TrapKind.MEMORY_OUT_OF_BOUNDS: Reason.MEMORY_OUT_OF_BOUNDS,
    TrapKind.INTEGER_DIVIDE_BY_ZERO: Reason.INTEGER_DIVIDE_BY_ZERO,
    TrapKind.INTEGER_OVERFLOW: Reason.INTEGER_OVERFLOW,
    TrapKind.INDIRECT_CALL_TYPE: Reason.INDIRECT_CALL_TYPE,
    TrapKind.TABLE_OUT_OF_BOUNDS: Reason.TABLE_OUT_OF_BOUNDS,
    TrapKind.UNINITIALIZED_ELEMENT: Reason.UNINITIALIZED_ELEMENT,
}

#: Block-scope counters (TxContext.block): which transaction the fuel count is for, and the
#: fuel that transaction's publishes and calls have consumed so far (§21.2).
TX_FUEL_INDEX = "contract_fuel_tx"
TX_FUEL_USED = "contract_fuel_used"


@dataclass
class Frame:
    """One executing call (§17: what the host functions of a call see)."""

    contract: bytes
    caller: bytes | None
    input: bytes
    received: list[tuple[bytes, int]]
    depth: int
    return_data: bytes = b""
    last_return: bytes = b""
    writes: list[bytes] = field(default_factory=list)
    #: §17.7: a call_view callee, or a call below one: state-changing functions trap.
    read_only: bool = False

    def digest(self) -> bytes:
        """§20.3: SHA-256 over this call's storage writes in order."""
        return hashlib.sha256(b"".join(self.writes)).digest()


#: Loads a contract's prepared module: (code hash, instrumented bytes, published length).
ModuleLoader = Callable[[bytes], tuple[bytes, bytes, int]]


class Session:
    """The contract execution of one message."""

    def __init__(self, ctx: TxContext, engine: ContractEngine, load: ModuleLoader) -> None:
        self.ctx = ctx
        self.engine = engine
        self.load = load
        self.stack: list[Frame] = []
        self.abort_code: int | None = None
        #: tx_input_assets' records per input index, built on first use (§17.3).
        self.input_records: dict[int, bytes] = {}

    # -- the transaction's fuel (§21.2) ---------------------------------------------------

    def fuel_left(self) -> int:
        """§21.2: FUEL_PER_VBYTE x the transaction's vsize, less what its message used."""
        return lim.FUEL_PER_VBYTE * self.ctx.tx.vsize - self._used()

    def spend(self, fuel: int) -> None:
        self.ctx.block[TX_FUEL_USED] = self._used() + fuel

    def _used(self) -> int:
        if self.ctx.block.get(TX_FUEL_INDEX) != self.ctx.tx_index:
            self.ctx.block[TX_FUEL_INDEX] = self.ctx.tx_index
            self.ctx.block[TX_FUEL_USED] = 0
        return self.ctx.block[TX_FUEL_USED]

    def start_fuel(self, contract: bytes, *, read_only: bool = False) -> int:
        """§16.5 step 1, §17.4 step 5, §17.7: what starting a call of ``contract`` costs."""
        _, _, size = self.load(contract)
        base = lim.VIEW_START_FUEL if read_only else lim.CALL_START_FUEL
        return base + lim.CALL_FUEL_PER_CODE_BYTE * size

    # -- calls ----------------------------------------------------------------------------

    def run_top(
        self,
        contract: bytes,
        export: str,
        data: bytes,
        sent: list[tuple[bytes, int]],
        fuel: int,
    ) -> None:
        """§16.5: charge the start, deposit ``sent`` from the pool, run ``export``, charge
        the transaction.

        A trap raises Rejection with the trap's reason; the transaction is charged the whole
        fuel limit then, the fuel used otherwise (§21.2)."""
        start = self.start_fuel(contract)
        left = self.fuel_left() - start
        if left <= 0:
            raise Rejection(Reason.BLOCK_FUEL_EXHAUSTED, "the transaction's fuel is spent")
        self.spend(start)
        limit = min(fuel, left)
        for asset, amount in sent:
            self.ctx.take(asset, amount)
            self.deposit(contract, None, asset, amount)
        frame = Frame(contract, None, data, list(sent), depth=1)
        try:
            used = self.execute(frame, export, limit)
        except Rejection:
            self.spend(limit)
            raise
        self.spend(used)
        if self.ctx.returned is not None:
            self.ctx.returned.append(frame.return_data)

    def execute(self, frame: Frame, export: str, fuel: int) -> int:
        """Run one call to completion; its fuel used, or Rejection on any trap (§19)."""
        code_hash, module, _ = self.load(frame.contract)
        self.stack.append(frame)
        try:
            result = self.engine.execute(code_hash, module, export, host_imports(self, frame), fuel)
        finally:
            self.stack.pop()
        self.raise_trap(result, fuel)
        if not frame.read_only:  # §17.7: a read-only call leaves no event
            self.emit_call(frame, result.fuel_used)
        return result.fuel_used

    def raise_trap(self, result: ExecutionResult, fuel: int) -> None:
        if result.trap is None and result.fuel_used > fuel:
            raise Rejection(Reason.OUT_OF_FUEL, f"used {result.fuel_used:,} of {fuel:,}")
        if result.trap is None:
            return
        if result.trap is TrapKind.HOST and result.host_trap is not None:
            reason = Reason(result.host_trap.reason)
            code = self.abort_code if reason is Reason.CONTRACT_ABORT else None
            raise Rejection(reason, result.host_trap.detail, code)
        trap_reason = TRAP_REASONS.get(result.trap)
        if trap_reason is None:  # an engine trap the spec has no class for is an engine bug
            raise AssertionError(f"unclassified trap {result.trap!r}")
        raise Rejection(trap_reason, result.trap.label)

    def nested(
        self,
        caller: Frame,
        callee: bytes,
        data: bytes,
        sent: list[tuple[bytes, int]],
        fuel: int,
        *,
        read_only: bool = False,
    ) -> tuple[int, bytes]:
        """§17 call_contract after its checks: move custody, run, and hand back (fuel used,
        return data). A callee trap becomes a HostTrap of the same reason in the caller."""
        for asset, amount in sent:
            held = custody(self.ctx.state, caller.contract, asset)
            set_custody(self.ctx.state, caller.contract, asset, held - amount)
            self.deposit(callee, caller.contract, asset, amount)
        frame = Frame(
            callee,
            caller.contract,
            data,
            list(sent),
            caller.depth + 1,
            read_only=read_only or caller.read_only,
        )
        try:
            used = self.execute(frame, "call", fuel)
        except Rejection as rejection:
            raise HostTrap(int(rejection.reason), rejection.detail) from None
        return used, frame.return_data

    def deposit(self, contract: bytes, source: bytes | None, asset: bytes, amount: int) -> None:
        """§18.1: ``amount`` of ``asset`` enters ``contract``'s custody."""
        held = custody(self.ctx.state, contract, asset)
        set_custody(self.ctx.state, contract, asset, held + amount)
        event = self.event(EventType.DEPOSIT, contract)
        event[Field.TOKEN] = asset
        event[Field.AMOUNT] = amount
        if source is not None:
            event[Field.FROM_CONTRACT] = source
        self.ctx.emit(event)

    def emit_call(self, frame: Frame, fuel_used: int) -> None:
        event = self.event(EventType.CALL, frame.contract)
        event[Field.FUEL] = fuel_used
        event[Field.STORAGE_DIGEST] = frame.digest()
        if frame.caller is not None:
            event[Field.FROM_CONTRACT] = frame.caller
        self.ctx.emit(event)

    def event(self, kind: EventType, contract: bytes) -> Event:
        return {Field.TYPE: kind, Field.TXID: self.ctx.txid, Field.CONTRACT: contract}

    def exists(self, contract: bytes) -> bool:
        return load_contract(self.ctx.state, contract) is not None
