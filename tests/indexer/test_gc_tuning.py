"""A catch-up's store opening sets the garbage collector for it (indexer.gc_tuning)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from indexer.gc_tuning import CATCH_UP_THRESHOLDS, tune_for_catch_up


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_tuning_freezes_what_exists_and_raises_the_thresholds() -> None:
    gc.unfreeze()
    tune_for_catch_up()
    assert gc.get_threshold() == CATCH_UP_THRESHOLDS
    assert gc.get_freeze_count() > 1000  # the test process's modules, at least


@pytest.mark.usefixtures("restored_gc")
def test_cycles_made_after_tuning_are_still_collected() -> None:
    tune_for_catch_up()

    class Node:
        other: object = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    del first, second
    assert gc.collect() >= 2
