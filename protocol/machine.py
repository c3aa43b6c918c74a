"""The core loop: a block's transactions and a state view in, state changes out (spec §7).

Per transaction (spec §7.2): the assets of every spent protocol outpoint pool up, the
message (if any) is applied atomically, and whatever is left settles on the target output.
Contract kinds plug in through protocol.contracts; nothing here knows what a token is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from protocol.carrier import CarrierScan, find_carriers
from protocol.clock import (
    BLOCK_MEDIAN_TIME,
    BLOCK_TIME,
    advance,
    decode_times,
    header_time,
    median_time,
)
from protocol.contract import ContractKind
from protocol.events import (
    BurnCause,
    Event,
    EventType,
    Field,
    balance_event,
    encode_event,
    events_hash,
    rejected_event,
    state_hash,
)
from protocol.message import Message, decode_message
from protocol.overlay import Overlay
from protocol.params import MAX_UTXO_ASSETS
from protocol.reasons import Reason, Rejection
from protocol.records import UtxoAssets
from protocol.state import CLOCK_KEY, UTXO_PREFIX, BlockEffects, TreeStateView, utxo_key
from protocol.tree import update
from protocol.tx import Transaction


def outpoint(txid: bytes, vout: int) -> bytes:
    """spec §9.1: an outpoint is txid (internal order) + vout as u32 big-endian."""
    return txid + vout.to_bytes(4, "big")


@dataclass
class TxContext:
    """What an operation may read and change while its message is applied."""

    height: int
    tx_index: int
    tx: Transaction
    state: Overlay
    pool: dict[bytes, int]
    spent_authorities: tuple[bytes, ...]
    target: int | None
    allocations: dict[int, dict[bytes, int]] = field(default_factory=dict)
    bound_authorities: dict[int, list[bytes]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    #: Per input, the balances its spent outpoint carried (CONTRACTS.md §17, tx_input_assets).
    drained: tuple[tuple[tuple[bytes, int], ...], ...] = ()
    #: Counters a kind keeps for the whole block, e.g. the block fuel budget (CONTRACTS.md §21),
    #: and the block clock (protocol.clock's keys, CONTRACTS.md §17.5).
    block: dict[str, int] = field(default_factory=dict)
    #: The kind that owns an asset, or None (spec §6.0).
    owner: Callable[[Overlay, bytes], ContractKind | None] = lambda _state, _asset: None
    #: Not consensus: where a simulator collects each top-level call's return data (None: no one
    #: listens). Nothing here reaches state, events or the state root.
    returned: list[bytes] | None = None

    @property
    def txid(self) -> bytes:
        return self.tx.txid

    def output(self, index: int | None) -> int:
        """spec §7.4: an operation's output, defaulting to the target; must be spendable."""
        if index is None:
            if self.target is None:
                raise Rejection(Reason.INVALID_OUTPUT, "no spendable output to default to")
            return self.target
        return checked_output(self.tx, index)

    def take(self, asset: bytes, amount: int) -> None:
        """Remove ``amount`` of ``asset`` from the input pool (spec §7.3)."""
        held = self.pool.get(asset, 0)
        if held < amount:
            raise Rejection(Reason.INSUFFICIENT_BALANCE, f"pool holds {held:,}, needs {amount:,}")
        self.pool[asset] = held - amount

    def allocate(self, vout: int, asset: bytes, amount: int) -> None:
        per_output = self.allocations.setdefault(vout, {})
        per_output[asset] = per_output.get(asset, 0) + amount

    def bind_authority(self, vout: int, asset: bytes) -> None:
        self.bound_authorities.setdefault(vout, []).append(asset)

    def emit(self, event: Event) -> None:
        self.events.append(event)


def checked_output(tx: Transaction, index: int) -> int:
    if index >= len(tx.outputs):
        raise Rejection(Reason.INVALID_OUTPUT, f"output {index:,} does not exist")
    if tx.outputs[index].is_op_return:
        raise Rejection(Reason.INVALID_OUTPUT, f"output {index:,} is an OP_RETURN output")
    return index


def default_output(tx: Transaction) -> int | None:
    """spec §7.4: the first output that is not an OP_RETURN output."""
    for index, output in enumerate(tx.outputs):
        if not output.is_op_return:
            return index
    return None


class Machine:
    """Applies blocks with a fixed set of contract kinds."""

    def __init__(self, kinds: Iterable[ContractKind]) -> None:
        self._kinds = tuple(kinds)
        self._by_opcode: dict[int, ContractKind] = {}
        for kind in self._kinds:
            for opcode in sorted(kind.opcodes):
                if opcode in self._by_opcode:
                    raise ValueError(f"operation code {opcode} is claimed twice")
                self._by_opcode[opcode] = kind

    @property
    def opcodes(self) -> Mapping[int, ContractKind]:
        return self._by_opcode

    def apply_block(
        self,
        view: TreeStateView,
        previous_state_hash: bytes,
        height: int,
        block_hash: bytes,
        transactions: Iterable[tuple[int, Transaction]],
        *,
        header: bytes | None = None,
    ) -> BlockEffects:
        """spec §7.1: apply ``transactions`` (index in block, tx) in block order; spec §11.2:
        commit to the events and to the state root after the block (``view``'s tree nodes
        are the tree of ``view``'s state). ``header``: the block's 80 bytes, which set the
        block clock (CONTRACTS.md §17.5); None (simulations only) leaves the clock as the
        state has it and records no time."""
        application = self.begin_block(view, previous_state_hash, height, block_hash, header=header)
        for tx_index, tx in transactions:
            application.apply(tx_index, tx)
        return application.finish()

    def begin_block(
        self,
        view: TreeStateView,
        previous_state_hash: bytes,
        height: int,
        block_hash: bytes,
        *,
        header: bytes | None = None,
    ) -> BlockApplication:
        """:meth:`apply_block` one transaction at a time, for a caller that decides which
        transactions to give while the block is applied (spec §7.1)."""
        return BlockApplication(self, view, previous_state_hash, height, block_hash, header=header)

    def apply_transaction(
        self,
        state: Overlay,
        height: int,
        tx_index: int,
        tx: Transaction,
        *,
        scripts: dict[bytes, bytes] | None = None,
        block: dict[str, int] | None = None,
        returned: list[bytes] | None = None,
    ) -> list[Event]:
        """spec §7.2: apply ``tx``, the ``tx_index``-th transaction of the block at ``height``,
        to ``state`` in place and return its events in the order of spec §7.8. Pure like the
        rest of the machine: it changes nothing but ``state`` and the keyword collectors.

        This is the step :meth:`apply_block` takes per transaction (spec §7.1), so applying a
        block's transactions one by one here over one ``state`` with shared ``scripts`` and
        ``block`` changes the state exactly as ``apply_block`` does; the block commitment
        (spec §11) is ``apply_block``'s alone. A caller that applies one transaction on its
        own (a simulation, a compose check) leaves the keywords at their defaults:

        - ``block``: the counters a contract kind keeps for the whole block, e.g. the block
          fuel budget (CONTRACTS.md §21.2); None starts fresh ones, as for a block holding
          only ``tx``.
        - ``scripts``: where each outpoint this transaction credits gets its output script
          (not state: apply_block hands them to the store); None collects nothing.
        - ``returned``: not consensus; where each top-level contract call's return data is
          appended for a simulator (``set_return``, CONTRACTS.md §17.3); None: no one listens.
        """
        if scripts is None:
            scripts = {}
        if block is None:
            block = {}
        if tx.is_coinbase:
            return []  # spec §3.5
        carriers = find_carriers(tx)
        events: list[Event] = []
        pool: dict[bytes, int] = {}
        spent_authorities: list[bytes] = []
        drained: list[tuple[tuple[bytes, int], ...]] = []
        for txin in tx.inputs:  # spec §7.3: inputs drain in input order
            key = utxo_key(txin.prev_txid, txin.prev_vout)
            raw = state.get(key)
            if raw is None:
                drained.append(())
                continue
            state.put(key, None)
            assets = UtxoAssets.decode(raw)
            drained.append(assets.balances)
            for asset, amount in assets.balances:
                pool[asset] = pool.get(asset, 0) + amount
                events.append(balance_event(EventType.DEBIT, tx.txid, txin.prevout, asset, amount))
            spent_authorities.extend(assets.authorities)
        if not carriers.has_message and not pool and not spent_authorities:
            return []
        ctx = self._context(
            state, height, tx_index, tx, pool=dict(pool), spent_authorities=spent_authorities
        )
        ctx.drained, ctx.block, ctx.returned = tuple(drained), block, returned
        if carriers.has_message:
            try:
                self._apply_message(ctx, carriers)
            except Rejection as rejection:
                # spec §7.4 (b): a rejected message's pointer is ignored at settlement.
                events.append(rejected_event(tx.txid, rejection.reason, rejection.code))
                ctx = self._context(
                    state, height, tx_index, tx, pool=pool, spent_authorities=spent_authorities
                )
        if ctx.target is None:
            ctx.target = default_output(tx)
        ctx.state.merge_into(state)
        events.extend(ctx.events)
        events.extend(self._settle(state, ctx, scripts))
        return events

    def _context(
        self,
        state: Overlay,
        height: int,
        tx_index: int,
        tx: Transaction,
        *,
        pool: dict[bytes, int],
        spent_authorities: list[bytes],
    ) -> TxContext:
        ctx = TxContext(height, tx_index, tx, Overlay(state), pool, tuple(spent_authorities), None)
        ctx.owner = self._find_owner
        return ctx

    def _find_owner(self, state: Overlay, asset: bytes) -> ContractKind | None:
        for kind in self._kinds:
            if kind.owns(state, asset):
                return kind
        return None

    def _apply_message(self, ctx: TxContext, carriers: CarrierScan) -> None:
        """spec §7.2: decode, then apply every operation or none."""
        if carriers.rejection is not None:
            raise Rejection(carriers.rejection)
        message: Message = decode_message(carriers.payload)
        kinds = []
        for position, operation in enumerate(message.operations):
            kind = self._by_opcode.get(operation.opcode)
            if kind is None:
                raise Rejection(Reason.UNKNOWN_OPERATION, f"operation {position}")
            kinds.append(kind)
        ctx.target = (  # spec §7.4 (a): the target while operations are applied
            checked_output(ctx.tx, message.pointer)
            if message.pointer is not None
            else default_output(ctx.tx)
        )
        for kind, operation in zip(kinds, message.operations, strict=True):
            kind.apply(operation, ctx)

    def _owner(self, state: Overlay, asset: bytes) -> ContractKind:
        kind = self._find_owner(state, asset)
        if kind is None:
            raise AssertionError(f"asset {asset.hex()} has no owning contract kind")
        return kind

    def _settle(self, state: Overlay, ctx: TxContext, scripts: dict[bytes, bytes]) -> list[Event]:
        """spec §7.5-§7.7: leftovers to the target, credits, then authorities."""
        events: list[Event] = []
        txid = ctx.txid
        for asset in sorted(ctx.pool):
            left = ctx.pool[asset]
            if not left:
                continue
            if ctx.target is None:
                self._owner(state, asset).record_burn(state, asset, left)
                events.append(
                    {
                        Field.TYPE: EventType.BURN,
                        Field.TXID: txid,
                        Field.TOKEN: asset,
                        Field.AMOUNT: left,
                        Field.CAUSE: BurnCause.NO_SPENDABLE_OUTPUT,
                    }
                )
            else:
                ctx.allocate(ctx.target, asset, left)
        moved: dict[int, list[bytes]] = {v: list(a) for v, a in ctx.bound_authorities.items()}
        bound = {a: v for v, assets in ctx.bound_authorities.items() for a in assets}
        if ctx.target is not None:
            moved.setdefault(ctx.target, []).extend(ctx.spent_authorities)
        homes, burned = _bound_entries(ctx.tx, ctx.allocations, moved, frozenset(bound))
        for asset, amount in burned:
            self._owner(state, asset).record_burn(state, asset, amount)
            events.append(
                {
                    Field.TYPE: EventType.BURN,
                    Field.TXID: txid,
                    Field.TOKEN: asset,
                    Field.AMOUNT: amount,
                    Field.CAUSE: BurnCause.NO_SPENDABLE_OUTPUT,
                }
            )
        authority_events: list[Event] = []
        for asset in ctx.spent_authorities:
            vout = homes.get(asset)
            new_home = None if vout is None else outpoint(txid, vout)
            self._owner(state, asset).record_authority(state, asset, new_home)
            authority_events.append(_authority_event(txid, asset, new_home))
        moved = {}
        for asset, vout in homes.items():
            moved.setdefault(vout, []).append(asset)
        for vout in sorted(set(ctx.allocations) | set(moved)):
            balances = {a: n for a, n in ctx.allocations.get(vout, {}).items() if n}
            assets = UtxoAssets.build(balances, moved.get(vout, []))
            if assets.empty:
                continue
            point = outpoint(txid, vout)
            state.put(utxo_key(txid, vout), assets.encode())
            scripts[point] = ctx.tx.outputs[vout].script
            for asset, amount in assets.balances:
                events.append(balance_event(EventType.CREDIT, txid, point, asset, amount))
        return events + authority_events


def _bound_entries(
    tx: Transaction,
    allocations: dict[int, dict[bytes, int]],
    authorities: dict[int, list[bytes]],
    fixed: frozenset[bytes],
) -> tuple[dict[bytes, int], list[tuple[bytes, int]]]:
    """spec §7.5.1: at most MAX_UTXO_ASSETS entries per output. Spendable outputs in
    ascending order each keep the first MAX_UTXO_ASSETS of their entries (a deploy-bound
    authority, ``fixed``, first: it never moves, §7.7; then balances in ascending asset-id
    order, then authorities likewise); the rest move on to the next spendable output, and
    past the last one the balances are burned and the authorities lose their home. Changes
    ``allocations`` in place; returns (each authority's output, the burned balances in
    asset-id order)."""
    carried: dict[bytes, int] = {}
    carried_authorities: set[bytes] = set()
    homes: dict[bytes, int] = {}
    touched = set(allocations) | set(authorities)
    for vout, output in enumerate(tx.outputs):
        if output.is_op_return or (vout not in touched and not carried and not carried_authorities):
            continue
        balances = {a: n for a, n in allocations.get(vout, {}).items() if n}
        for asset, amount in carried.items():
            balances[asset] = balances.get(asset, 0) + amount
        held = set(authorities.get(vout, ())) | carried_authorities
        entries = [(1, a) for a in sorted(held & fixed)] + [(0, a) for a in sorted(balances)]
        entries += [(1, a) for a in sorted(held - fixed)]
        keep, spill = entries[:MAX_UTXO_ASSETS], entries[MAX_UTXO_ASSETS:]
        allocations[vout] = {a: balances[a] for kind, a in keep if kind == 0}
        homes.update((a, vout) for kind, a in keep if kind == 1)
        carried = {a: balances[a] for kind, a in spill if kind == 0}
        carried_authorities = {a for kind, a in spill if kind == 1}
    return homes, sorted(carried.items())


def _authority_event(txid: bytes, asset: bytes, home: bytes | None) -> Event:
    event: Event = {Field.TYPE: EventType.AUTHORITY, Field.TXID: txid, Field.TOKEN: asset}
    if home is not None:
        event[Field.OUTPOINT] = home
    return event


class BlockApplication:
    """One block being applied (spec §7.1): transactions in block order, then the effects.

    Between two transactions, :meth:`credited` tells which outpoints this block has bound
    assets to so far: an indexer that applies only the transactions that can matter (those
    spending protocol outpoints) learns here which later spenders in the same block do.
    """

    def __init__(
        self,
        machine: Machine,
        view: TreeStateView,
        previous_state_hash: bytes,
        height: int,
        block_hash: bytes,
        *,
        header: bytes | None = None,
    ) -> None:
        self._machine = machine
        self._view = view
        self._previous_state_hash = previous_state_hash
        self._height = height
        self._block_hash = block_hash
        self._state = Overlay(view)
        self._events: list[Event] = []
        self._scripts: dict[bytes, bytes] = {}  # outpoint -> script, every output bound here
        self._block: dict[str, int] = {}
        self._clock: bytes | None = None
        stored = self._state.get(CLOCK_KEY)
        if header is not None:
            time = header_time(header)
            median, self._clock = advance(stored, time)
            self._block[BLOCK_TIME], self._block[BLOCK_MEDIAN_TIME] = time, median
        elif stored is not None:  # a simulation: the clock of the last block applied
            times = decode_times(stored)
            self._block[BLOCK_TIME], self._block[BLOCK_MEDIAN_TIME] = times[-1], median_time(times)
        self._last_index = -1
        self._finished = False

    def apply(self, tx_index: int, tx: Transaction) -> None:
        """spec §7.2: apply one transaction; ``tx_index`` must exceed the previous one's."""
        if self._finished:
            raise RuntimeError("the block's effects were already taken")
        if tx_index <= self._last_index:
            raise ValueError(f"transaction {tx_index:,} after {self._last_index:,}: not in order")
        self._last_index = tx_index
        self._events.extend(
            self._machine.apply_transaction(
                self._state,
                self._height,
                tx_index,
                tx,
                scripts=self._scripts,
                block=self._block,
            )
        )

    def credited(self, point: bytes) -> bool:
        """Whether a transaction applied so far bound assets or authorities to ``point``
        (txid + vout u32 big-endian, spec §9.1), spent since or not."""
        return point in self._scripts

    def finish(self) -> BlockEffects:
        """spec §11.2: the block's events, state changes and commitments."""
        self._finished = True
        state, scripts = self._state, self._scripts
        if self._clock is not None:  # CONTRACTS.md §17.5: after the block's transactions
            state.put(CLOCK_KEY, self._clock)
        encoded = tuple(encode_event(event) for event in self._events)
        block_events_hash = events_hash(encoded)
        writes, undo = state.diff()
        tree = update(self._view, ((write.key, write.value) for write in writes))
        live = {w.key[1:] for w in writes if w.value is not None and w.key[:1] == UTXO_PREFIX}
        outputs = tuple((op, scripts[op]) for op in sorted(scripts) if op in live)
        return BlockEffects(
            height=self._height,
            block_hash=self._block_hash,
            events=encoded,
            events_hash=block_events_hash,
            state_hash=state_hash(
                self._previous_state_hash, self._block_hash, block_events_hash, tree.root
            ),
            state_root=tree.root,
            writes=writes,
            undo=undo,
            nodes=tree.writes,
            outputs=outputs,
        )
