"""The host interface: every function of module ``"rootstate"`` (spec/CONTRACTS.md §17).

Each function runs its steps in the order §17.2 fixes: read and check the arguments (a bad
pointer is ``memory_out_of_bounds``, a bad index, length or id ``invalid_host_argument``),
charge its fuel, then act. Any failure raises HostTrap, which traps the call (§19).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from coincurve import PublicKeyXOnly

from protocol.clock import BLOCK_MEDIAN_TIME, BLOCK_TIME
from protocol.contracts.wasm import limits as lim
from protocol.contracts.wasm.records import (
    AssetRecord,
    asset_key,
    custody,
    load_asset,
    narrow_asset,
    set_custody,
    storage_key,
    wide_asset,
)
from protocol.events import BurnCause, Event, EventType, Field
from protocol.machine import outpoint
from protocol.params import U128_MAX
from protocol.reasons import Reason
from protocol.wasm.abi import HOST_FUNCTIONS
from protocol.wasm.engine import HostCaller, HostImport, HostTrap

if TYPE_CHECKING:
    from protocol.contracts.wasm.session import Frame, Session

U32_MASK = 0xFFFFFFFF


def _u32(value: int) -> int:
    """§17.1: i32 arguments are read as unsigned."""
    return value & U32_MASK


def _trap(reason: Reason, detail: str) -> HostTrap:
    return HostTrap(int(reason), detail)


def _amount(caller: HostCaller, ptr: int) -> int:
    """§17.1: a u128, 16 bytes little-endian; zero is invalid_host_argument."""
    amount = int.from_bytes(caller.read(_u32(ptr), lim.AMOUNT_LEN), "little")
    if amount == 0:
        raise _trap(Reason.INVALID_HOST_ARGUMENT, "amount is zero")
    return amount


def bip340_verify(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    """§17.5: BIP340 verification of a 64-byte signature over a message of any length by a
    32-byte x-only public key; a key that is no curve point's x coordinate fails."""
    try:
        key = PublicKeyXOnly(pubkey)
    except ValueError:
        return False
    return key.verify(signature, message)


def _records(entries: list[tuple[bytes, int]]) -> bytes:
    return b"".join(wide_asset(a) + n.to_bytes(lim.AMOUNT_LEN, "little") for a, n in entries)


class Host:
    """The host functions as seen by one call frame."""

    def __init__(self, session: Session, frame: Frame) -> None:
        self.s = session
        self.f = frame
        self.ctx = session.ctx

    # -- helpers --------------------------------------------------------------------------

    def _asset(self, caller: HostCaller, ptr: int) -> bytes:
        """§17.1: a 12-byte asset id in memory; sub 0 names a token."""
        return narrow_asset(caller.read(_u32(ptr), lim.ASSET_LEN))

    def _copy_out(
        self,
        caller: HostCaller,
        ptr: int,
        data: bytes,
        cap: int,
        base: int = lim.COST_BASE,
        *,
        scanned: bool = False,
    ) -> int:
        """The `(ptr, cap) -> length` pattern: write only when it fits; charge what is
        written, or (``scanned``: the result is built anew per call) its length either way."""
        fits = len(data) <= _u32(cap)
        if fits:
            caller.read(_u32(ptr), len(data))
        caller.charge(base + (lim.COST_PER_BYTE * len(data) if fits or scanned else 0))
        if fits:
            caller.write(_u32(ptr), data)
        return len(data)

    def _input_index(self, index: int) -> int:
        index = _u32(index)
        if index >= len(self.ctx.tx.inputs):
            raise _trap(Reason.INVALID_HOST_ARGUMENT, f"input {index:,} does not exist")
        return index

    def _output_index(self, index: int) -> int:
        index = _u32(index)
        if index >= len(self.ctx.tx.outputs):
            raise _trap(Reason.INVALID_HOST_ARGUMENT, f"output {index:,} does not exist")
        return index

    def _writable(self, name: str) -> None:
        """§17.7: in a read-only call a state-changing function traps before any check."""
        if self.f.read_only:
            raise _trap(Reason.READ_ONLY_CALL, f"{name} changes state in a read-only call")

    def _event(self, kind: EventType) -> Event:
        return self.s.event(kind, self.f.contract)

    # -- the call ---------------------------------------------------------------------------

    def input_len(self, caller: HostCaller) -> int:
        caller.charge(lim.COST_BASE)
        return len(self.f.input)

    def input_read(self, caller: HostCaller, ptr: int) -> None:
        caller.read(_u32(ptr), len(self.f.input))
        caller.charge(lim.COST_BASE + lim.COST_PER_BYTE * len(self.f.input))
        caller.write(_u32(ptr), self.f.input)

    def self_id(self, caller: HostCaller, ptr: int) -> None:
        caller.read(_u32(ptr), 8)
        caller.charge(lim.COST_BASE)
        caller.write(_u32(ptr), self.f.contract)

    def caller_id(self, caller: HostCaller, ptr: int) -> int:
        if self.f.caller is None:
            caller.charge(lim.COST_BASE)
            return 0
        caller.read(_u32(ptr), 8)
        caller.charge(lim.COST_BASE)
        caller.write(_u32(ptr), self.f.caller)
        return 1

    def received(self, caller: HostCaller, ptr: int, cap: int) -> int:
        return self._copy_out(caller, ptr, _records(self.f.received), cap, scanned=True)

    def return_data_read(self, caller: HostCaller, ptr: int) -> None:
        data = self.f.last_return
        caller.read(_u32(ptr), len(data))
        caller.charge(lim.COST_BASE + lim.COST_PER_BYTE * len(data))
        caller.write(_u32(ptr), data)

    def set_return(self, caller: HostCaller, ptr: int, length: int) -> None:
        length = _u32(length)
        if length > lim.MAX_RETURN:
            raise _trap(Reason.INVALID_HOST_ARGUMENT, f"return data over {lim.MAX_RETURN:,}")
        data = caller.read(_u32(ptr), length)
        caller.charge(lim.COST_BASE + lim.COST_PER_BYTE * length)
        self.f.return_data = data

    def abort(self, caller: HostCaller, code: int) -> None:
        self.s.abort_code = _u32(code)
        raise _trap(Reason.CONTRACT_ABORT, f"code {_u32(code):,}")

    # -- the transaction and block ------------------------------------------------------------

    def block_height(self, caller: HostCaller) -> int:
        caller.charge(lim.COST_BASE)
        return self.ctx.height

    def tx_id(self, caller: HostCaller, ptr: int) -> None:
        caller.read(_u32(ptr), 32)
        caller.charge(lim.COST_BASE)
        caller.write(_u32(ptr), self.ctx.txid)

    def tx_input_count(self, caller: HostCaller) -> int:
        caller.charge(lim.COST_BASE)
        return len(self.ctx.tx.inputs)

    def tx_input(self, caller: HostCaller, index: int, ptr: int) -> None:
        txin = self.ctx.tx.inputs[self._input_index(index)]
        caller.read(_u32(ptr), lim.OUTPOINT_LEN)
        caller.charge(lim.COST_BASE)
        caller.write(_u32(ptr), txin.prev_txid + txin.prev_vout.to_bytes(4, "little"))

    def tx_input_assets(self, caller: HostCaller, index: int, ptr: int, cap: int) -> int:
        index = self._input_index(index)
        records = self.s.input_records.get(index)
        if records is None:  # built once per message and input: a UTXO may carry many
            drained = self.ctx.drained[index] if index < len(self.ctx.drained) else ()
            records = self.s.input_records[index] = _records(list(drained))
        return self._copy_out(caller, ptr, records, cap, scanned=True)

    def tx_output_count(self, caller: HostCaller) -> int:
        caller.charge(lim.COST_BASE)
        return len(self.ctx.tx.outputs)

    def tx_output_value(self, caller: HostCaller, index: int) -> int:
        value = self.ctx.tx.outputs[self._output_index(index)].value
        caller.charge(lim.COST_BASE)
        return value

    def tx_output_script(self, caller: HostCaller, index: int, ptr: int, cap: int) -> int:
        script = self.ctx.tx.outputs[self._output_index(index)].script
        return self._copy_out(caller, ptr, script, cap)

    # -- assets (§18) -------------------------------------------------------------------------

    def balance(self, caller: HostCaller, asset_ptr: int, out_ptr: int) -> None:
        asset = self._asset(caller, asset_ptr)
        caller.read(_u32(out_ptr), lim.AMOUNT_LEN)
        caller.charge(lim.COST_BALANCE)
        held = custody(self.ctx.state, self.f.contract, asset)
        caller.write(_u32(out_ptr), held.to_bytes(lim.AMOUNT_LEN, "little"))

    def send(self, caller: HostCaller, asset_ptr: int, amount_ptr: int, vout: int) -> None:
        self._writable("send")
        asset = self._asset(caller, asset_ptr)
        amount = _amount(caller, amount_ptr)
        vout = _u32(vout)
        if vout >= len(self.ctx.tx.outputs) or self.ctx.tx.outputs[vout].is_op_return:
            raise _trap(Reason.INVALID_OUTPUT, f"output {vout:,} is not spendable")
        caller.charge(lim.COST_SEND)
        self._take(asset, amount)
        self.ctx.allocate(vout, asset, amount)
        event = self._event(EventType.SEND)
        event.update({Field.TOKEN: asset, Field.AMOUNT: amount})
        event[Field.OUTPOINT] = outpoint(self.ctx.txid, vout)
        self.ctx.emit(event)

    def issue(self, caller: HostCaller, sub: int, amount_ptr: int) -> None:
        self._writable("issue")
        sub = _u32(sub)
        if sub == 0:
            raise _trap(Reason.INVALID_HOST_ARGUMENT, "sub id 0 names no contract asset")
        amount = _amount(caller, amount_ptr)
        asset = self.f.contract + sub.to_bytes(4, "big")
        existing = load_asset(self.ctx.state, asset)
        caller.charge(lim.COST_ASSET_MOVE + (0 if existing else lim.COST_NEW_ASSET))
        record = existing or AssetRecord(0, 0)
        if record.minted + amount > U128_MAX:
            raise _trap(Reason.SUPPLY_EXCEEDED, "minted would pass 2^128 - 1")
        self.ctx.state.put(
            asset_key(asset), AssetRecord(record.minted + amount, record.burned).encode()
        )
        held = custody(self.ctx.state, self.f.contract, asset)
        set_custody(self.ctx.state, self.f.contract, asset, held + amount)
        event = self._event(EventType.ISSUE)
        event.update({Field.TOKEN: asset, Field.AMOUNT: amount})
        self.ctx.emit(event)

    def burn(self, caller: HostCaller, asset_ptr: int, amount_ptr: int) -> None:
        self._writable("burn")
        asset = self._asset(caller, asset_ptr)
        amount = _amount(caller, amount_ptr)
        caller.charge(lim.COST_ASSET_MOVE)
        self._take(asset, amount)
        owner = self.ctx.owner(self.ctx.state, asset)
        if owner is None:  # custody > 0 implies the asset exists
            raise AssertionError(f"held asset {asset.hex()} has no owner")
        owner.record_burn(self.ctx.state, asset, amount)
        event = self._event(EventType.BURN)
        event.update({Field.TOKEN: asset, Field.AMOUNT: amount, Field.CAUSE: BurnCause.CONTRACT})
        self.ctx.emit(event)

    def _take(self, asset: bytes, amount: int) -> None:
        held = custody(self.ctx.state, self.f.contract, asset)
        if held < amount:
            raise _trap(Reason.CUSTODY_INSUFFICIENT, f"holds {held:,}, needs {amount:,}")
        set_custody(self.ctx.state, self.f.contract, asset, held - amount)

    # -- storage (§17.4) ----------------------------------------------------------------------

    def storage_get(self, caller: HostCaller, key_ptr: int, val_ptr: int, cap: int) -> int:
        key = caller.read(_u32(key_ptr), lim.STORAGE_KEY_LEN)
        value = self.ctx.state.get(storage_key(self.f.contract, key))
        if value is None:
            caller.charge(lim.COST_STORAGE_GET)
            return -1
        return self._copy_out(caller, val_ptr, value, cap, lim.COST_STORAGE_GET)

    def storage_set(self, caller: HostCaller, key_ptr: int, val_ptr: int, length: int) -> None:
        self._writable("storage_set")
        length = _u32(length)
        if length > lim.MAX_VALUE:
            raise _trap(Reason.STORAGE_LIMIT, f"value of {length:,} bytes over {lim.MAX_VALUE:,}")
        key = caller.read(_u32(key_ptr), lim.STORAGE_KEY_LEN)
        value = caller.read(_u32(val_ptr), length)
        state_key = storage_key(self.f.contract, key)
        old = self.ctx.state.get(state_key)
        grown = length if old is None else max(0, length - len(old))
        new = (lim.COST_NEW_KEY if old is None else 0) + lim.COST_NEW_BYTE * grown
        caller.charge(lim.COST_STORAGE_SET + lim.COST_STORAGE_SET_PER_BYTE * length + new)
        self.ctx.state.put(state_key, value)
        self.f.writes.append(key + b"\x01" + length.to_bytes(4, "big") + value)

    def storage_delete(self, caller: HostCaller, key_ptr: int) -> None:
        self._writable("storage_delete")
        key = caller.read(_u32(key_ptr), lim.STORAGE_KEY_LEN)
        caller.charge(lim.COST_STORAGE_DELETE)
        self.ctx.state.put(storage_key(self.f.contract, key), None)
        self.f.writes.append(key + b"\x00")

    # -- misc -----------------------------------------------------------------------------------

    def emit(self, caller: HostCaller, ptr: int, length: int) -> None:
        self._writable("emit")
        length = _u32(length)
        if length > lim.MAX_LOG:
            raise _trap(
                Reason.INVALID_HOST_ARGUMENT, f"log of {length:,} bytes over {lim.MAX_LOG:,}"
            )
        data = caller.read(_u32(ptr), length)
        caller.charge(lim.COST_EMIT + lim.COST_EMIT_PER_BYTE * length)
        event = self._event(EventType.LOG)
        event[Field.DATA] = data
        self.ctx.emit(event)

    def sha256(self, caller: HostCaller, ptr: int, length: int, out_ptr: int) -> None:
        data = caller.read(_u32(ptr), _u32(length))
        caller.read(_u32(out_ptr), 32)
        caller.charge(lim.COST_SHA256 + lim.COST_SHA256_PER_BYTE * len(data))
        caller.write(_u32(out_ptr), hashlib.sha256(data).digest())

    def call_contract(  # noqa: PLR0917 - the engine passes wasm arguments positionally
        self,
        caller: HostCaller,
        id_ptr: int,
        input_ptr: int,
        input_len: int,
        assets_ptr: int,
        assets_count: int,
        fuel: int,
    ) -> int:
        self._writable("call_contract")
        input_len, assets_count = _u32(input_len), _u32(assets_count)
        if input_len > lim.MAX_INPUT:
            raise _trap(Reason.INVALID_HOST_ARGUMENT, f"input over {lim.MAX_INPUT:,} bytes")
        if assets_count > lim.MAX_SENT_ASSETS:
            raise _trap(Reason.INVALID_HOST_ARGUMENT, f"over {lim.MAX_SENT_ASSETS} assets")
        callee = caller.read(_u32(id_ptr), 8)
        data = caller.read(_u32(input_ptr), input_len)
        raw = caller.read(_u32(assets_ptr), assets_count * lim.RECORD_LEN)
        sent = self._sent(raw, assets_count)
        self._callee(callee)
        start = self.s.start_fuel(callee)
        caller.charge(lim.COST_CALL + lim.COST_PER_BYTE * input_len + start)
        for asset, amount in sent:
            if custody(self.ctx.state, self.f.contract, asset) < amount:
                raise _trap(Reason.CUSTODY_INSUFFICIENT, "cannot send what it does not hold")
        left = caller.fuel_left()
        limit = left if fuel <= 0 or fuel > left else fuel
        used, returned = self.s.nested(self.f, callee, data, sent, limit)
        caller.charge(used)
        self.f.last_return = returned
        return len(returned)

    def _callee(self, callee: bytes) -> None:
        """§17.4 step 4: the callee exists, is not executing, and the depth allows a call."""
        if not self.s.exists(callee):
            raise _trap(Reason.UNKNOWN_CONTRACT, "callee is no contract")
        if any(frame.contract == callee for frame in self.s.stack):
            raise _trap(Reason.REENTRANT_CALL, "callee is already executing")
        if self.f.depth >= lim.MAX_CALL_DEPTH:
            raise _trap(Reason.CALL_DEPTH_EXCEEDED, f"depth {lim.MAX_CALL_DEPTH} reached")

    def call_view(
        self, caller: HostCaller, id_ptr: int, input_ptr: int, input_len: int, fuel: int
    ) -> int:
        """§17.7: a read-only nested call: call_contract's steps without assets, the callee
        (and anything it calls) unable to change state, and no ``call`` event."""
        input_len = _u32(input_len)
        if input_len > lim.MAX_INPUT:
            raise _trap(Reason.INVALID_HOST_ARGUMENT, f"input over {lim.MAX_INPUT:,} bytes")
        callee = caller.read(_u32(id_ptr), 8)
        data = caller.read(_u32(input_ptr), input_len)
        self._callee(callee)
        start = self.s.start_fuel(callee, read_only=True)
        caller.charge(lim.COST_VIEW + lim.COST_PER_BYTE * input_len + start)
        left = caller.fuel_left()
        limit = fuel if 0 < fuel <= left else left  # §17.4 step 7's callee limit
        used, returned = self.s.nested(self.f, callee, data, [], limit, read_only=True)
        caller.charge(used)
        self.f.last_return = returned
        return len(returned)

    # -- signatures, the clock, returning assets (§17.5, §17.6) -----------------------------

    def schnorr_verify(
        self, caller: HostCaller, pubkey_ptr: int, msg_ptr: int, msg_len: int, sig_ptr: int
    ) -> int:
        """§17.5: 1 when the signature is a valid BIP340 signature of the message by the
        key, else 0; a message over MAX_SIGNED_MESSAGE bytes is invalid_host_argument."""
        msg_len = _u32(msg_len)
        if msg_len > lim.MAX_SIGNED_MESSAGE:
            raise _trap(
                Reason.INVALID_HOST_ARGUMENT,
                f"message of {msg_len:,} bytes over {lim.MAX_SIGNED_MESSAGE:,}",
            )
        pubkey = caller.read(_u32(pubkey_ptr), 32)
        message = caller.read(_u32(msg_ptr), msg_len)
        signature = caller.read(_u32(sig_ptr), 64)
        caller.charge(lim.COST_SCHNORR + lim.COST_SCHNORR_PER_BYTE * msg_len)
        return 1 if bip340_verify(pubkey, message, signature) else 0

    def block_time(self, caller: HostCaller) -> int:
        """§17.5: the block header's time field."""
        caller.charge(lim.COST_BASE)
        return self.ctx.block.get(BLOCK_TIME, 0)

    def block_median_time(self, caller: HostCaller) -> int:
        """§17.5: the median of the header times of this block and the 10 before it."""
        caller.charge(lim.COST_BASE)
        return self.ctx.block.get(BLOCK_MEDIAN_TIME, 0)

    def send_to_caller(self, caller: HostCaller, asset_ptr: int, amount_ptr: int) -> None:
        """§17.6, §18.6: move the amount from this contract's custody to its calling
        contract's, with event ``return``."""
        self._writable("send_to_caller")
        to = self.f.caller
        if to is None:
            raise _trap(Reason.NO_CALLING_CONTRACT, "called by the transaction, not a contract")
        asset = self._asset(caller, asset_ptr)
        amount = _amount(caller, amount_ptr)
        new = custody(self.ctx.state, to, asset) == 0
        caller.charge(lim.COST_RETURN + (lim.COST_NEW_KEY if new else 0))
        self._take(asset, amount)
        set_custody(self.ctx.state, to, asset, custody(self.ctx.state, to, asset) + amount)
        event = self._event(EventType.RETURN)
        event.update({Field.TOKEN: asset, Field.AMOUNT: amount, Field.FROM_CONTRACT: to})
        self.ctx.emit(event)

    def _sent(self, raw: bytes, count: int) -> list[tuple[bytes, int]]:
        """§17.4 step 3: asset records to send; each amount >= 1 and each asset once."""
        sent: list[tuple[bytes, int]] = []
        for i in range(count):
            record = raw[i * lim.RECORD_LEN : (i + 1) * lim.RECORD_LEN]
            asset = narrow_asset(record[: lim.ASSET_LEN])
            amount = int.from_bytes(record[lim.ASSET_LEN :], "little")
            if amount == 0 or any(asset == seen for seen, _ in sent):
                raise _trap(Reason.INVALID_HOST_ARGUMENT, "zero or repeated asset in a call")
            sent.append((asset, amount))
        return sent


class _Imports(Mapping[str, HostImport]):
    """The import table of one call, built per name on demand: the engine asks only for the
    names its module imports, and a call is too short to spend 26 bindings on."""

    def __init__(self, host: Host) -> None:
        self._host = host

    def __getitem__(self, name: str) -> HostImport:
        params, results = HOST_FUNCTIONS[name]
        func: Callable[..., int | None] = getattr(self._host, name)
        return HostImport(name, params, results, func)

    def get(self, name: str, default: HostImport | None = None) -> HostImport | None:  # type: ignore[override]
        # The engine looks every import up per call: skip Mapping.get's KeyError round trip.
        return self[name] if name in HOST_FUNCTIONS else default

    def __iter__(self) -> Iterator[str]:
        return iter(HOST_FUNCTIONS)

    def __len__(self) -> int:
        return len(HOST_FUNCTIONS)


def host_imports(session: Session, frame: Frame) -> Mapping[str, HostImport]:
    return _Imports(Host(session, frame))
