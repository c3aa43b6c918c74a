"""Assets and contracts: custody, sends, issuance, burns, and nested calls
(spec/CONTRACTS.md §14.2, §17.4, §18, §19)."""

from __future__ import annotations

from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen.model import Event, Outpoint, Tok
from tests.vectorgen.scenarios.common import deploy_issuer
from tests.vectorgen.scenarios.contract_common import (
    EMPTY_DIGEST,
    KEY0,
    contract_vector,
    digest,
    publish,
    publish_issuer,
    rejected_call,
)
from tests.vectorgen.txbuild import In, Tx, carrier, pay
from tests.vectorgen.vector import Block, Vector

W_DIGEST = digest((KEY0, b"w"))


def request(asset: Tok, amount: int, vout: int) -> bytes:
    """BANK's input: asset (12), amount (16 LE), output index (u32 LE)."""
    return asset.wide() + amount.to_bytes(16, "little") + vout.to_bytes(4, "little")


def spend_call(v: Vector, b: Block, spent: Outpoint, op: p.Op, outputs: int = 2) -> Tx:
    """A call message spending ``spent``, with ``outputs`` spendable outputs, carrier last."""
    return b.tx([In(spent)], [*(pay() for _ in range(outputs)), carrier(p.message(op))])


def bank_setup(
    name: str, description: str, sections: list[str]
) -> tuple[Vector, Block, Tx, Tok, Tok]:
    v = contract_vector(name, description, sections)
    b = v.block()
    _, bank = publish(v, b, wat.BANK)
    deploy, tok = deploy_issuer(v, b, "BANK", 1000, 1000)
    return v, v.block(), deploy, tok, bank


def issuer_sends(v: Vector, b: Block, issuer: Tok, amount: int) -> Tx:
    """ISSUER (holding 1,000 from its init) sends ``amount`` of its asset to output 0."""
    asset = issuer.asset(1)
    request = amount.to_bytes(16, "little") + (0).to_bytes(4, "little")
    sent = b.tx([v.fund()], [pay(), carrier(p.message(p.call(issuer, request)))])
    b.expect(
        ev.send(sent, issuer, asset, amount, 0),
        ev.call(sent, issuer, wat.ISSUER_SEND_FUEL, EMPTY_DIGEST),
        ev.credit(sent, 0, asset, amount),
    )
    v.ledger.contracts[issuer].custody[asset] = 1000 - amount
    return sent


def deposit_send() -> dict[str, Any]:
    v, b, deploy, tok, bank = bank_setup(
        "custody-deposit-send",
        "400 of a 1,000 pool go into the bank's custody; it sends 300 to output 1 (UTXO-bound "
        "at settlement); it keeps 100; the pool's other 600 settle on the target.",
        ["16.3", "16.5", "18.1", "18.2", "7.5"],
    )
    op = p.call(bank, request(tok, 300, 1), assets=[(tok, 400)])
    tx = spend_call(v, b, deploy.out(0), op)
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 1000),
        ev.deposit(tx, bank, tok, 400),
        ev.send(tx, bank, tok, 300, 1),
        ev.call(tx, bank, wat.BANK_SEND_FUEL, EMPTY_DIGEST),
        ev.credit(tx, 0, tok, 600),
        ev.credit(tx, 1, tok, 300),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 600})
    v.ledger.hold(tx.out(1), {tok: 300})
    v.ledger.contracts[bank].custody[tok] = 100
    return v.finish()


def _bank_trap(name: str, what: str, amount: int, vout: int, reason: str) -> dict[str, Any]:
    v, b, deploy, tok, bank = bank_setup(
        f"custody-{name}",
        f"The bank is asked to send {what}: {reason}; the 400 sent in are not lost, the whole "
        "pool settles on the default output as with no message.",
        ["18.2", "19.1", "7.6"],
    )
    op = p.call(bank, request(tok, amount, vout), assets=[(tok, 400)])
    tx = spend_call(v, b, deploy.out(0), op)
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 1000),
        ev.rejected(tx, reason),
        ev.credit(tx, 0, tok, 1000),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.hold(tx.out(0), {tok: 1000})
    return v.finish()


def send_too_much() -> dict[str, Any]:
    return _bank_trap("insufficient", "500 while holding 400", 500, 1, "custody_insufficient")


def send_to_carrier() -> dict[str, Any]:
    return _bank_trap("op-return-output", "to the OP_RETURN output 2", 100, 2, "invalid_output")


def send_zero() -> dict[str, Any]:
    return _bank_trap("zero", "an amount of 0", 0, 1, "invalid_host_argument")


def balance() -> dict[str, Any]:
    v = contract_vector(
        "custody-balance",
        "A contract reads its custody of the asset it was just sent (77, as u128 LE), and of "
        "an asset it does not hold (0).",
        ["17.3", "18.1"],
    )
    b = v.block()
    _, cid = publish(v, b, wat.BALANCE)
    deploy, tok = deploy_issuer(v, b, "BAL", 1000, 77)
    b = v.block()
    tx = spend_call(v, b, deploy.out(0), p.call(cid, tok.wide(), assets=[(tok, 77)]))
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 77),
        ev.deposit(tx, cid, tok, 77),
        ev.log(tx, cid, (77).to_bytes(16, "little")),
        ev.call(tx, cid, wat.BALANCE_FUEL, EMPTY_DIGEST),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.contracts[cid].custody[tok] = 77
    tx = b.tx([v.fund()], [pay(), carrier(p.message(p.call(cid, cid.asset(3).wide())))])
    b.expect(
        ev.log(tx, cid, bytes(16)),
        ev.call(tx, cid, wat.BALANCE_FUEL, EMPTY_DIGEST),
    )
    return v.finish()


def issue_and_move() -> dict[str, Any]:
    v = contract_vector(
        "contract-asset-issue-move",
        "A contract issues 1,000 of its asset H:I:1 at init and sends 300 to an output; the "
        "12-byte asset then moves like a token: transfer and burn name it [h, i, 1], and a spend "
        "without a message moves it to the default output.",
        ["14.2", "18.3", "6.4", "6.5", "7.5"],
    )
    b = v.block()
    _, issuer = publish_issuer(v, b)
    asset = issuer.asset(1)
    b = v.block()
    sent = issuer_sends(v, b, issuer, 300)
    v.ledger.hold(sent.out(0), {asset: 300})
    b = v.block()
    ops = (p.transfer_ref(asset.ref(), 100, 1), p.burn(asset, 50))
    moved = b.tx([In(sent.out(0))], [pay(), pay(), carrier(p.message(*ops))])
    b.expect(
        ev.debit(moved, sent.out(0), asset, 300),
        ev.burn(moved, asset, 50, 0),
        ev.credit(moved, 0, asset, 150),
        ev.credit(moved, 1, asset, 100),
    )
    v.ledger.spend(sent.out(0))
    v.ledger.hold(moved.out(0), {asset: 150})
    v.ledger.hold(moved.out(1), {asset: 100})
    v.ledger.assets[asset] = (1000, 50)
    plain = b.tx([In(moved.out(1))], [pay()])
    b.expect(ev.debit(plain, moved.out(1), asset, 100), ev.credit(plain, 0, asset, 100))
    v.ledger.spend(moved.out(1))
    v.ledger.hold(plain.out(0), {asset: 100})
    b = v.block()
    gone = b.tx([In(plain.out(0))], [b"\x6a\x01\x00"])
    b.expect(ev.debit(gone, plain.out(0), asset, 100), ev.burn(gone, asset, 100, 1))
    v.ledger.spend(plain.out(0))
    v.ledger.assets[asset] = (1000, 150)
    return v.finish()


def asset_refs() -> dict[str, Any]:
    v = contract_vector(
        "asset-reference-checks",
        "Asset references in transfer: sub 0 and four parts are invalid_message, a part above "
        "u32 is integer_out_of_range (after the shape and types), a contract asset never "
        "issued is unknown_token.",
        ["14.2", "6.1", "6.4"],
    )
    b = v.block()
    _, issuer = publish_issuer(v, b)
    b = v.block()
    for ref, reason in (
        ([issuer.height, issuer.index, 0], "invalid_message"),
        ([issuer.height, issuer.index, 1, 2], "invalid_message"),
        ([2**32, issuer.index, "x"], "invalid_message"),
        ([issuer.height, issuer.index, 2**32], "integer_out_of_range"),
        ([issuer.height, issuer.index, 9], "unknown_token"),
    ):
        rejected_call(v, b, p.transfer_ref(ref, 1, 0), reason)
    return v.finish()


def contract_burns() -> dict[str, Any]:
    v = contract_vector(
        "contract-burns",
        "A contract burns what it is sent, a token (token record burned += 40) and a contract "
        "asset (its record's burned += 100): burn events with cause 2 and the contract.",
        ["18.4", "20.2", "14.4"],
    )
    b = v.block()
    _, burner = publish(v, b, wat.BURNER)
    _, issuer = publish_issuer(v, b)
    deploy, tok = deploy_issuer(v, b, "BURNT", 1000, 40)
    asset = issuer.asset(1)
    b = v.block()
    tx = spend_call(v, b, deploy.out(0), p.call(burner, assets=[(tok, 40)]), outputs=1)
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 40),
        ev.deposit(tx, burner, tok, 40),
        ev.contract_burn(tx, burner, tok, 40),
        ev.call(tx, burner, wat.BURNER_FUEL, EMPTY_DIGEST),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.update(tok, burned=40)
    sent = issuer_sends(v, b, issuer, 300)
    burn = spend_call(v, b, sent.out(0), p.call(burner, assets=[(asset, 100)]), outputs=1)
    b.expect(
        ev.debit(burn, sent.out(0), asset, 300),
        ev.deposit(burn, burner, asset, 100),
        ev.contract_burn(burn, burner, asset, 100),
        ev.call(burn, burner, wat.BURNER_FUEL, EMPTY_DIGEST),
        ev.credit(burn, 0, asset, 200),
    )
    v.ledger.hold(burn.out(0), {asset: 200})
    v.ledger.assets[asset] = (1000, 100)
    return v.finish()


def trap_no_output() -> dict[str, Any]:
    v = contract_vector(
        "trap-assets-no-output",
        "A trapping call sent assets from a transaction without a spendable output: the pool is "
        "burned with cause 1 as for any rejected message.",
        ["19.1", "7.5", "7.6"],
    )
    b = v.block()
    _, bad = publish(v, b, wat.UNREACHABLE)
    deploy, tok = deploy_issuer(v, b, "NOOUT", 1000, 90)
    b = v.block()
    op = p.call(bad, assets=[(tok, 90)])
    tx = b.tx([In(deploy.out(0))], [carrier(p.message(op))])
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 90),
        ev.rejected(tx, "unreachable"),
        ev.burn(tx, tok, 90, 1),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.update(tok, burned=90)
    return v.finish()


#: CONTRACTS.md §21.2: chains of nested calls (each with its start and a new storage key)
#: need more block space than the default annex buys: 40,000 bytes, about 10,000,000 fuel.
NESTED_ANNEX = 40_000


def _forwarders(v: Vector, b: Block, count: int) -> list[Tok]:
    _, first = publish(v, b, wat.FORWARD)
    return [first] + [publish(v, b, wat.FORWARD, instance_of=first)[1] for _ in range(count - 1)]


def _chain_events(tx: Tx, chain: list[Tok]) -> list[Event]:
    """Innermost call first; contract k's input holds the ids of k+1..end."""
    events = []
    fuel = wat.FORWARD_LEAF_FUEL
    for depth in range(len(chain) - 1, -1, -1):
        n = 8 * (len(chain) - 1 - depth)
        if n:
            fuel = wat.forward_fuel(n, fuel)
        caller = chain[depth - 1] if depth else None
        events.append(ev.call(tx, chain[depth], fuel, W_DIGEST, caller=caller))
    return events


def nested_chain() -> dict[str, Any]:
    v = contract_vector(
        "nested-depth",
        "Forwarders (one published, the rest instances) call down a chain: depth 8 succeeds "
        "(call events innermost first, each with its caller; every level's write kept); "
        "depth 9 is call_depth_exceeded and keeps nothing.",
        ["16.2", "17.4", "19.1", "21.1"],
    )
    b = v.block()
    chain = _forwarders(v, b, 9)
    b = v.block()
    b.annex = NESTED_ANNEX
    too_deep = p.call(chain[0], b"".join(c.raw() for c in chain[1:]))
    refused = b.tx([v.fund()], [pay(), carrier(p.message(too_deep))])
    b.expect(ev.rejected(refused, "call_depth_exceeded"))
    deep = p.call(chain[0], b"".join(c.raw() for c in chain[1:8]))
    tx = b.tx([v.fund()], [pay(), carrier(p.message(deep))])
    b.expect(*_chain_events(tx, chain[:8]))
    for cid in chain[:8]:
        v.ledger.contracts[cid].storage[KEY0] = b"w"
    return v.finish()


def nested_rollback() -> dict[str, Any]:
    v = contract_vector(
        "nested-rollback",
        "A calls B calls a contract that traps: the whole message is rejected with the "
        "callee's reason and neither A's nor B's storage write survives; A calling B alone "
        "succeeds.",
        ["17.4", "19.1"],
    )
    b = v.block()
    a, inner = _forwarders(v, b, 2)
    _, bad = publish(v, b, wat.UNREACHABLE)
    b = v.block()
    b.annex = NESTED_ANNEX
    rejected_call(v, b, p.call(a, inner.raw() + bad.raw()), "unreachable")
    tx = b.tx([v.fund()], [pay(), carrier(p.message(p.call(a, inner.raw())))])
    b.expect(*_chain_events(tx, [a, inner]))
    v.ledger.contracts[a].storage[KEY0] = b"w"
    v.ledger.contracts[inner].storage[KEY0] = b"w"
    return v.finish()


def nested_refusals() -> dict[str, Any]:
    v = contract_vector(
        "nested-refusals",
        "call_contract to an id that is no contract is unknown_contract; A calling B calling "
        "A is reentrant_call.",
        ["17.4", "19.3"],
    )
    b = v.block()
    a, other = _forwarders(v, b, 2)
    b = v.block()
    b.annex = NESTED_ANNEX
    rejected_call(v, b, p.call(a, Tok(b.height, 77).raw()), "unknown_contract")
    rejected_call(v, b, p.call(a, other.raw() + a.raw()), "reentrant_call")
    return v.finish()


def nested_assets() -> dict[str, Any]:
    v = contract_vector(
        "nested-assets",
        "A contract passes 30 of the 100 it was sent to a bank by call_contract (deposit "
        "with key 16 = the sender); passing 200 is custody_insufficient and the 100 return "
        "to the default output.",
        ["17.4", "18.1", "19.1"],
    )
    b = v.block()
    _, payer = publish(v, b, wat.PAYFORWARD)
    _, bank = publish(v, b, wat.BANK)
    deploy, tok = deploy_issuer(v, b, "NEST", 1000, 100)
    b = v.block()
    record = bank.raw() + tok.wide()
    too_much = p.call(payer, record + (200).to_bytes(16, "little"), assets=[(tok, 100)])
    tx = spend_call(v, b, deploy.out(0), too_much, outputs=1)
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 100),
        ev.rejected(tx, "custody_insufficient"),
        ev.credit(tx, 0, tok, 100),
    )
    ok = p.call(payer, record + (30).to_bytes(16, "little"), assets=[(tok, 100)])
    tx2 = spend_call(v, b, tx.out(0), ok, outputs=1)
    b.expect(
        ev.debit(tx2, tx.out(0), tok, 100),
        ev.deposit(tx2, payer, tok, 100),
        ev.deposit(tx2, bank, tok, 30, caller=payer),
        ev.call(tx2, bank, wat.BANK_DEPOSIT_FUEL, EMPTY_DIGEST, caller=payer),
        ev.call(tx2, payer, wat.payforward_fuel(wat.BANK_DEPOSIT_FUEL, wat.BANK), EMPTY_DIGEST),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.contracts[payer].custody[tok] = 70
    v.ledger.contracts[bank].custody[tok] = 30
    return v.finish()


def caller_info() -> dict[str, Any]:
    v = contract_vector(
        "contract-caller-and-outputs",
        "caller_id is 0 (nothing written) for the transaction and the caller's id in a nested "
        "call; tx_output_script returns the length without writing when the buffer is too "
        "small; received lists the record a calling contract sent.",
        ["17.1", "17.3", "17.4"],
    )
    b = v.block()
    _, info = publish(v, b, wat.CALLER_INFO)
    _, payer = publish(v, b, wat.PAYFORWARD)
    deploy, tok = deploy_issuer(v, b, "INFO", 1000, 50)
    b = v.block()
    script = pay()
    top = b.tx([v.fund()], [pay(), carrier(p.message(p.call(info)))])
    data = bytes(8) + bytes(4) + (34).to_bytes(4, "little") + script + bytes(28)
    b.expect(ev.log(top, info, data), ev.call(top, info, wat.caller_info_fuel(0), EMPTY_DIGEST))
    record = tok.wide() + (20).to_bytes(16, "little")
    op = p.call(payer, info.raw() + record, assets=[(tok, 50)])
    tx = spend_call(v, b, deploy.out(0), op, outputs=1)
    data = payer.raw() + (1).to_bytes(4, "little") + (34).to_bytes(4, "little") + script + record
    fuel = wat.caller_info_fuel(28)
    b.expect(
        ev.debit(tx, deploy.out(0), tok, 50),
        ev.deposit(tx, payer, tok, 50),
        ev.deposit(tx, info, tok, 20, caller=payer),
        ev.log(tx, info, data),
        ev.call(tx, info, fuel, EMPTY_DIGEST, caller=payer),
        ev.call(tx, payer, wat.payforward_fuel(fuel, wat.CALLER_INFO), EMPTY_DIGEST),
    )
    v.ledger.spend(deploy.out(0))
    v.ledger.contracts[payer].custody[tok] = 30
    v.ledger.contracts[info].custody[tok] = 20
    return v.finish()


VECTORS = [
    deposit_send,
    send_too_much,
    send_to_carrier,
    send_zero,
    balance,
    issue_and_move,
    asset_refs,
    contract_burns,
    trap_no_output,
    nested_chain,
    nested_rollback,
    nested_refusals,
    nested_assets,
    caller_info,
]
