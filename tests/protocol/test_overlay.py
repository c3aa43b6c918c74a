"""Copy-on-write layers (protocol.overlay) and the in-memory state they sit on."""

from __future__ import annotations

from protocol.overlay import Overlay
from protocol.state import MemoryState, Write, ticker_key, token_key, utxo_key

BASE = {b"\x01a": b"one", b"\x01b": b"two", b"\x02c": b"three"}


def test_reads_fall_through_to_the_base() -> None:
    layer = Overlay(MemoryState(BASE))
    assert layer.get(b"\x01a") == b"one"
    assert layer.get(b"\x09") is None


def test_puts_shadow_the_base_and_none_hides_a_key() -> None:
    base = MemoryState(BASE)
    layer = Overlay(base)
    layer.put(b"\x01a", b"ONE")
    layer.put(b"\x01b", None)
    assert (layer.get(b"\x01a"), layer.get(b"\x01b")) == (b"ONE", None)
    assert base.snapshot() == BASE  # the base is never written


def test_diff_lists_changed_keys_in_ascending_order_with_undo() -> None:
    layer = Overlay(MemoryState(BASE))
    layer.put(b"\x02c", None)  # delete
    layer.put(b"\x00new", b"x")  # create
    layer.put(b"\x01a", b"ONE")  # change
    writes, undo = layer.diff()
    assert writes == (
        Write(b"\x00new", b"x"),
        Write(b"\x01a", b"ONE"),
        Write(b"\x02c", None),
    )
    assert undo == (
        Write(b"\x00new", None),
        Write(b"\x01a", b"one"),
        Write(b"\x02c", b"three"),
    )


def test_diff_leaves_out_keys_that_end_unchanged() -> None:
    layer = Overlay(MemoryState(BASE))
    layer.put(b"\x01a", b"one")  # same value
    layer.put(b"\x01b", b"changed")
    layer.put(b"\x01b", b"two")  # changed back
    layer.put(b"\x05tmp", b"t")
    layer.put(b"\x05tmp", None)  # created and deleted within the layer
    assert layer.diff() == ((), ())


def test_merge_commits_a_child_layer_and_a_dropped_child_changes_nothing() -> None:
    parent = Overlay(MemoryState(BASE))
    kept = Overlay(parent)
    kept.put(b"\x01a", b"kept")
    dropped = Overlay(parent)
    dropped.put(b"\x01b", b"dropped")
    kept.merge_into(parent)
    assert parent.get(b"\x01a") == b"kept"
    assert parent.get(b"\x01b") == b"two"
    assert parent.diff() == ((Write(b"\x01a", b"kept"),), (Write(b"\x01a", b"one"),))


def test_child_sees_parent_changes() -> None:
    parent = Overlay(MemoryState(BASE))
    parent.put(b"\x01a", None)
    child = Overlay(parent)
    assert child.get(b"\x01a") is None
    assert child.diff() == ((), ())


def test_applying_writes_then_undo_restores_the_memory_state() -> None:
    state = MemoryState(BASE)
    layer = Overlay(state)
    layer.put(b"\x01a", None)
    layer.put(b"\x03z", b"z")
    layer.put(b"\x02c", b"3")
    writes, undo = layer.diff()
    state.apply(writes)
    assert state.snapshot() == {b"\x01b": b"two", b"\x02c": b"3", b"\x03z": b"z"}
    state.apply(undo)
    assert state.snapshot() == BASE


def test_memory_state_items_are_in_key_order() -> None:
    state = MemoryState({b"\x03": b"c", b"\x01": b"a", b"\x02": b"b"})
    assert [k for k, _ in state.items()] == [b"\x01", b"\x02", b"\x03"]


def test_key_schema() -> None:
    txid = bytes(range(32))
    assert utxo_key(txid, 258) == b"\x01" + txid + b"\x00\x00\x01\x02"
    assert token_key(b"\x00\x00\x00\x64\x00\x00\x00\x01") == b"\x02\x00\x00\x00\x64\x00\x00\x00\x01"
    assert ticker_key("ABC") == b"\x03ABC" + bytes(9)
    assert ticker_key("ABCDEFGHIJKL") == b"\x03ABCDEFGHIJKL"
