"""Heavy work runs in worker processes with the store open, bounded, errors intact."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api.errors import ApiError
from api.heavy import HeavyWork, Worker
from tests.api.world import World, build_world


def tip_and_pid(worker: Worker) -> tuple[int, int]:
    tip = worker.store.tip()
    assert tip is not None
    return tip.height, os.getpid()


def nap(worker: Worker, seconds: float) -> str:
    time.sleep(seconds)
    return "rested"


def refuse(worker: Worker) -> None:
    raise ApiError(422, "made_up", "refused in the worker")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("heavy") / "store")
    yield built
    built.store.close()


def test_jobs_run_in_another_process_that_reads_the_store(world: World) -> None:
    heavy = HeavyWork(world.store.config, processes=1, queue=0)
    try:
        height, pid = asyncio.run(heavy.run(tip_and_pid))
    finally:
        heavy.close()
    assert height == 4  # tests/api/world.py's last block
    assert pid != os.getpid()


def test_an_api_error_crosses_the_process_boundary(world: World) -> None:
    heavy = HeavyWork(world.store.config, processes=1, queue=0)
    try:
        with pytest.raises(ApiError) as caught:
            asyncio.run(heavy.run(refuse))
    finally:
        heavy.close()
    assert (caught.value.status, caught.value.code) == (422, "made_up")
    assert caught.value.message == "refused in the worker"


def test_past_processes_plus_queue_new_work_is_refused_busy(world: World) -> None:
    heavy = HeavyWork(world.store.config, processes=1, queue=1)

    async def scenario() -> list[object]:
        running = [asyncio.ensure_future(heavy.run(nap, 0.5)) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(ApiError) as caught:
            await heavy.run(nap, 0.0)
        assert (caught.value.status, caught.value.code) == (503, "busy")
        done = await asyncio.gather(*running)
        # Both finished: the slots are free again.
        assert heavy.pending == 0
        return [*done, await heavy.run(nap, 0.0)]

    try:
        assert asyncio.run(scenario()) == ["rested"] * 3
    finally:
        heavy.close()


def test_a_missing_store_fails_the_job_not_the_server(tmp_path: Path, world: World) -> None:
    heavy = HeavyWork(replace(world.store.config, path=tmp_path / "none"), 1, 0)
    try:
        with pytest.raises(ApiError) as caught:
            asyncio.run(heavy.run(tip_and_pid))
        assert (caught.value.status, caught.value.code) == (503, "worker_failed")
    finally:
        heavy.close()
