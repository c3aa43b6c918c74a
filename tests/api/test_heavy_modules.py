"""Heavy-work processes load compiled contract modules from the indexer's on-disk cache,
read-only: a real store whose ``modules`` directory the indexer filled (the AMM world of
tests/api/contract_world.py, replayed through the cached engine), real worker processes and
real wasmtime. Compiles and loads are counted by the worker's engine, as the indexer's
restart tests count them; the directory must come out byte for byte as it went in."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from api.heavy import HeavyWork, Worker
from api.simulate import CallRequest, parse_call, simulate_job
from api.wiring import api_settings
from indexer.config import Config
from indexer.module_cache import SUFFIX
from protocol.params import Network
from regtest.contract_inputs import u32, u128
from tests.api.contract_world import SWAP_IN, SWAP_OUT, ContractWorld
from tests.contracts import test_amm

AMOUNT = 5_000
# README's worked swap (fee 30 bps) on the world's reserves A 10^9 + 1,000, B 10^9 - 996:
# out = floor(4,985 * (10^9 - 996) / (10^9 + 1,000 + 4,985)) = 4,984.
EXPECTED_OUT = 4_984


def data_dir(cworld: ContractWorld) -> Path:
    """Where the world's indexer keeps its compiled modules (``<data_dir>/modules``)."""
    return cworld.store.config.path.parent


def config(directory: Path, **overrides: Any) -> Config:
    return Config(
        network=Network.REGTEST,
        data_dir=directory,
        rpc_url="http://127.0.0.1:1",
        rpc_user="u",
        rpc_password="p",
        **overrides,
    )


def listing(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


def engine_counts(worker: Worker) -> tuple[int, int]:
    return worker.engine.compiles, worker.engine.loads


def swap(cworld: ContractWorld) -> CallRequest:
    pool = cworld.pool
    body = {
        "input": (bytes([test_amm.SWAP]) + u128(0) + u32(0)).hex(),
        "assets": [{"asset": f"{pool.a[0]}:{pool.a[1]}", "amount": str(AMOUNT)}],
    }
    return parse_call(f"{pool.amm[0]}:{pool.amm[1]}", body, Network.REGTEST)


def first_simulation(cworld: ContractWorld, settings: Config) -> tuple[dict[str, Any], Any]:
    """A fresh worker's first simulation of the swap, and its engine's (compiles, loads)."""
    api = api_settings(settings)
    heavy = HeavyWork(cworld.store.config, 1, 0, api.engine, modules=api.module_cache)

    async def scenario() -> tuple[dict[str, Any], Any]:
        body = json.loads(await heavy.run(simulate_job, swap(cworld)))
        return body, await heavy.run(engine_counts)

    try:
        return asyncio.run(scenario())
    finally:
        heavy.close()


def check_swap(body: dict[str, Any], cworld: ContractWorld) -> None:
    assert SWAP_IN == 1_000 and SWAP_OUT == 996  # the reserves EXPECTED_OUT was worked on
    assert body["accepted"] is True, body
    b = f"{cworld.pool.b[0]}:{cworld.pool.b[1]}"
    assert [(c["asset"], c["amount"]) for c in body["credits"]] == [(b, str(EXPECTED_OUT))]


def test_a_worker_loads_what_the_indexer_compiled_and_writes_nothing(
    cworld: ContractWorld,
) -> None:
    modules = data_dir(cworld) / "modules"
    before = listing(modules)
    assert [name[-len(SUFFIX) :] for name in before] == [SUFFIX]  # the indexer wrote the AMM
    body, counts = first_simulation(cworld, config(data_dir(cworld)))
    check_swap(body, cworld)
    assert counts == (0, 1)
    assert listing(modules) == before


def test_with_the_indexers_cache_off_a_worker_compiles(cworld: ContractWorld) -> None:
    modules = data_dir(cworld) / "modules"
    before = listing(modules)
    body, counts = first_simulation(cworld, config(data_dir(cworld), module_cache_bytes=0))
    check_swap(body, cworld)
    assert counts == (1, 0)
    assert listing(modules) == before


def test_a_truncated_file_is_compiled_around_and_left_alone(
    cworld: ContractWorld, tmp_path: Path
) -> None:
    shutil.copytree(data_dir(cworld) / "modules", tmp_path / "modules")
    (path,) = (tmp_path / "modules").iterdir()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    before = listing(tmp_path / "modules")
    body, counts = first_simulation(cworld, config(tmp_path))
    check_swap(body, cworld)
    assert counts == (1, 0)
    assert listing(tmp_path / "modules") == before
