"""Publishing and instantiating contracts (spec/CONTRACTS.md §16.1, §16.2, §16.4, §15)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.vectorgen import events as ev
from tests.vectorgen import payloads as p
from tests.vectorgen import wat
from tests.vectorgen.model import ContractState, Terms, TokenState
from tests.vectorgen.scenarios.common import next_tok
from tests.vectorgen.scenarios.contract_common import (
    EMPTY_DIGEST,
    KEY0,
    code_hash,
    contract_vector,
    digest,
    message_tx,
    op_return_tx,
    publish,
    publish_store,
    rejected_call,
)


def publish_call() -> dict[str, Any]:
    v = contract_vector(
        "contract-publish-call",
        "A module without init published from an envelope (event publish; code and record in "
        "state), then called: its log, then the call event with 113 fuel and an empty digest.",
        ["16.1", "16.3", "16.5", "17.3", "20.2"],
    )
    b = v.block()
    _, cid = publish(v, b, wat.LOG)
    b = v.block()
    tx = op_return_tx(v, b, p.call(cid))
    b.expect(ev.log(tx, cid, b"hello"), ev.call(tx, cid, wat.LOG_FUEL, EMPTY_DIGEST))
    return v.finish()


def publish_and_call() -> dict[str, Any]:
    v = contract_vector(
        "contract-publish-and-call-one-message",
        "One message publishes a contract and calls it: operations apply in order, so the "
        "call sees the new contract (events publish, log, call).",
        ["16.4", "16.1", "16.3", "5.5"],
    )
    b = v.block()
    cid = next_tok(b)
    tx = message_tx(v, b, p.publish(wat.LOG), p.call(cid))
    b.expect(
        ev.publish(tx, cid, code_hash(wat.LOG)),
        ev.log(tx, cid, b"hello"),
        ev.call(tx, cid, wat.LOG_FUEL, EMPTY_DIGEST),
    )
    v.ledger.code[code_hash(wat.LOG)] = wat.LOG
    v.ledger.contracts[cid] = ContractState(code_hash(wat.LOG), tx.txid, 5)
    return v.finish()


def publish_init() -> dict[str, Any]:
    v = contract_vector(
        "contract-publish-init",
        "A module with init: init runs at publish (its storage write and call event follow "
        "the publish event); a later call reads the value back into a log.",
        ["16.1", "16.5", "17.3", "20.3"],
    )
    b = v.block()
    _, cid = publish_store(v, b)
    b = v.block()
    tx = op_return_tx(v, b, p.call(cid))
    b.expect(ev.log(tx, cid, b"init"), ev.call(tx, cid, wat.store_get_fuel(4), EMPTY_DIGEST))
    return v.finish()


def init_fuel() -> dict[str, Any]:
    v = contract_vector(
        "contract-init-fuel",
        "Init needs exactly 1,049 fuel: with a limit of 1,048 the publish is out_of_fuel and "
        "stores nothing; with 1,049 it succeeds.",
        ["16.1", "19.2", "21.1"],
    )
    b = v.block()
    tx = message_tx(v, b, p.publish(wat.STORE, fuel=wat.STORE_INIT_FUEL - 1))
    b.expect(ev.rejected(tx, "out_of_fuel"))
    cid = next_tok(b)
    tx = message_tx(v, b, p.publish(wat.STORE, fuel=wat.STORE_INIT_FUEL))
    b.expect(
        ev.publish(tx, cid, code_hash(wat.STORE)),
        ev.call(tx, cid, wat.STORE_INIT_FUEL, digest((KEY0, b"init"))),
    )
    v.ledger.code[code_hash(wat.STORE)] = wat.STORE
    v.ledger.contracts[cid] = ContractState(code_hash(wat.STORE), tx.txid, 5, {KEY0: b"init"})
    return v.finish()


def same_code() -> dict[str, Any]:
    v = contract_vector(
        "contract-same-code",
        "The same module published twice in one block: two contracts, one stored code.",
        ["14.3", "16.1"],
    )
    b = v.block()
    publish(v, b, wat.LOG)
    publish(v, b, wat.LOG)
    return v.finish()


def instantiate() -> dict[str, Any]:
    v = contract_vector(
        "contract-instantiate",
        "Instantiating a published contract: a new id with the template's code, its own init "
        "and storage; a write to the instance leaves the template alone; instantiating an id "
        "that is no contract is unknown_contract.",
        ["16.2", "16.3", "19.3"],
    )
    b = v.block()
    _, template = publish_store(v, b)
    b = v.block()
    _, instance = publish_store(v, b, instance_of=template)
    b = v.block()
    key = b"\x01" * 32
    tx = op_return_tx(v, b, p.call(instance, key + b"abcd"))
    b.expect(ev.call(tx, instance, wat.store_set_fuel(36, None), digest((key, b"abcd"))))
    v.ledger.contracts[instance].storage[key] = b"abcd"
    rejected_call(v, b, p.instantiate(next_tok(b)), "unknown_contract")
    return v.finish()


def id_taken() -> dict[str, Any]:
    v = contract_vector(
        "contract-id-taken",
        "One contract per message, and not with a token deploy: publish+publish, "
        "deploy+publish and publish+deploy are each id_taken and change nothing.",
        ["14.1", "16.4", "6.2.1"],
    )
    b = v.block()
    deploy = p.deploy("IDT", 1000, mint_terms=p.terms(10, 5))
    for ops in (
        (p.publish(wat.LOG), p.publish(wat.LOG)),
        (deploy, p.publish(wat.LOG)),
        (p.publish(wat.LOG), deploy),
    ):
        tx = message_tx(v, b, *ops)
        b.expect(ev.rejected(tx, "id_taken"))
    tok = next_tok(b)
    tx = message_tx(v, b, deploy)
    b.expect(ev.deploy(tx, tok, "IDT", 1000, terms=Terms(10, 5)))
    v.ledger.token(tok, TokenState("IDT", 1000, tx.txid, terms=Terms(10, 5)))
    return v.finish()


def init_trap() -> dict[str, Any]:
    v = contract_vector(
        "contract-init-trap",
        "A publish whose init traps is rejected (unreachable): no code, no contract.",
        ["16.1", "19.1"],
    )
    b = v.block()
    tx = message_tx(v, b, p.publish(wat.INIT_TRAP))
    b.expect(ev.rejected(tx, "unreachable"))
    return v.finish()


def publish_fields() -> dict[str, Any]:
    v = contract_vector(
        "contract-publish-fields",
        "Field checks of publish: code as text, init input as an integer, an unknown even key "
        "(invalid_message), fuel above 10,000,000 (integer_out_of_range); an odd unknown key is "
        "ignored.",
        ["16.1", "5.3", "5.4"],
    )
    b = v.block()
    for op, reason in (
        (p.publish("code"), "invalid_message"),
        (p.publish(wat.LOG, k2=7), "invalid_message"),
        (p.publish(wat.LOG, k6=1), "invalid_message"),
        (p.publish(wat.LOG, fuel=10_000_001), "integer_out_of_range"),
    ):
        tx = message_tx(v, b, op)
        b.expect(ev.rejected(tx, reason))
    cid = next_tok(b)
    tx = message_tx(v, b, p.publish(wat.LOG, k7="ignored"))
    b.expect(ev.publish(tx, cid, code_hash(wat.LOG)))
    v.ledger.code[code_hash(wat.LOG)] = wat.LOG
    v.ledger.contracts[cid] = ContractState(code_hash(wat.LOG), tx.txid, 5)
    return v.finish()


def _module_rejections(name: str, what: str, cases: list[tuple[bytes, int]]) -> dict[str, Any]:
    v = contract_vector(
        f"module-{name}",
        f"publish rejects {what}: invalid_module with the module reason of §15.3 as detail.",
        ["15.3", "16.1", "20.2"],
    )
    b = v.block()
    for code, detail in cases:
        tx = message_tx(v, b, p.publish(code))
        b.expect(ev.rejected_detail(tx, "invalid_module", detail))
    return v.finish()


def _rejections(name: str, what: str, *cases: tuple[bytes, int]) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        return _module_rejections(name, what, list(cases))

    make.__name__ = name
    return make


_ENTRY = '(func (export "call"))'
MODULE_VECTORS = [
    _rejections(
        "too-large",
        "a module over 131,072 bytes (module_too_large)",
        (b"\x00asm\x01\x00\x00\x00" + bytes(131_065), 1),
    ),
    _rejections(
        "bad-header",
        "bytes that are not a version-1 module (bad_header)",
        (b"hello", 2),
        (b"\x00asm\x02\x00\x00\x00", 2),
    ),
    _rejections("malformed", "a truncated section (malformed)", (wat.module(_ENTRY)[:-3], 3)),
    _rejections(
        "float-type",
        "a function type with f32 (float_type)",
        (wat.module(_ENTRY + " (func (param f32))"), 5),
    ),
    _rejections(
        "float-instruction",
        "f32.const (float_instruction)",
        (wat.module('(func (export "call") f32.const 1 drop)'), 8),
    ),
    _rejections(
        "multi-value",
        "a function type with two results (multi_value)",
        (wat.module(_ENTRY + " (func (result i32 i32) i32.const 0 i32.const 0)"), 7),
    ),
    _rejections(
        "unsupported-instructions",
        "SIMD, bulk memory, atomics and reference types (unsupported_instruction)",
        (wat.module('(func (export "call") v128.const i64x2 0 0 drop)'), 9),
        (wat.module('(func (export "call") i32.const 0 i32.const 0 i32.const 0 memory.copy)'), 9),
        (wat.module('(func (export "call") i32.const 0 i32.atomic.load drop)'), 9),
        (wat.module('(func (export "call") ref.null func drop)'), 9),
    ),
    _rejections(
        "foreign-import",
        "imports from outside rootstate, or unknown names (import_not_allowed)",
        (
            wat.raw_module(
                '(module (import "env" "f" (func)) (memory (export "memory") 1) ' + _ENTRY + ")"
            ),
            10,
        ),
        (
            wat.raw_module(
                '(module (import "rootstate" "steal" (func)) '
                '(memory (export "memory") 1) ' + _ENTRY + ")"
            ),
            10,
        ),
    ),
    _rejections(
        "import-signature",
        "a host import with the wrong signature (import_signature)",
        (
            wat.raw_module(
                '(module (import "rootstate" "emit" (func (param i32))) '
                '(memory (export "memory") 1) ' + _ENTRY + ")"
            ),
            11,
        ),
    ),
    _rejections(
        "memory",
        "17 pages of memory, or none (memory)",
        (wat.module(_ENTRY, pages=17), 12),
        (wat.raw_module("(module " + _ENTRY + ")"), 12),
    ),
    _rejections(
        "exports",
        "an export other than memory, call and init (export)",
        (wat.module('(func (export "other"))'), 15),
    ),
    _rejections(
        "entry-type",
        "call or init not of type () -> () (entry_type)",
        (wat.module('(func (export "call") (param i32))'), 16),
        (wat.module(_ENTRY + ' (func (export "init") (result i32) i32.const 0)'), 16),
    ),
]

VECTORS = [
    publish_call,
    publish_init,
    init_fuel,
    same_code,
    instantiate,
    id_taken,
    init_trap,
    publish_fields,
    *MODULE_VECTORS,
    publish_and_call,
]
