"""The on-disk compiled-module cache on a real wasmtime engine and the real AMM module: a
restart loads instead of compiling (counted), damage means a recompile with the same
results, another engine fingerprint compiles its own, and the directory stays bounded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from indexer.contract_engine import CachedEngine
from indexer.module_cache import KEY_LEN, SUFFIX, ModuleCache, ModuleCacheConfig
from tests.contracts.sdk import code
from tests.contracts.test_amm import Pool

AMM_HASH = hashlib.sha256(code("amm")).digest()
Outcome = tuple[tuple[int, int, int], bytes]


def run(engine: CachedEngine) -> Outcome:
    """Publish the AMM, add liquidity and swap both ways: (reserves and supply, state hash)."""
    pool = Pool(engine)  # type: ignore[arg-type]  # any ContractEngine serves the harness
    assert pool.add(10**9, 4 * 10**9) is None
    assert pool.swap(True, 10_000) is None and pool.swap(False, 30_000) is None
    return pool.state(), pool.chain.state_hash


def cached(directory: Path, backend: str = "cranelift", max_bytes: int = 64 << 20) -> CachedEngine:
    config = WasmtimeConfig(backend="pulley" if backend == "pulley" else "cranelift")
    return CachedEngine(
        WasmtimeEngine(config), ModuleCache(ModuleCacheConfig(directory, max_bytes))
    )


def files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*" + SUFFIX))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    return run(cached(tmp_path_factory.mktemp("ref"), max_bytes=0))


def test_a_restart_loads_the_module_instead_of_compiling(
    tmp_path: Path, reference: Outcome
) -> None:
    first = cached(tmp_path)
    assert run(first) == reference and run(first) == reference
    assert (first.compiles, first.loads) == (1, 0)  # the second run found it in memory
    assert len(files(tmp_path)) == 1
    second = cached(tmp_path)
    assert run(second) == reference
    assert (second.compiles, second.loads) == (0, 1)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]),  # one bit of the artefact
        lambda raw: raw[:20] + bytes([raw[20] ^ 1]) + raw[21:],  # the key in the header
        lambda raw: b"",
    ],
)
def test_a_damaged_file_is_recompiled_never_trusted(
    tmp_path: Path, reference: Outcome, damage: object
) -> None:
    run(cached(tmp_path))
    (path,) = files(tmp_path)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    again = cached(tmp_path)
    assert run(again) == reference
    assert (again.compiles, again.loads) == (1, 0)
    third = cached(tmp_path)  # the recompiled artefact replaced the damaged file
    assert run(third) == reference and (third.compiles, third.loads) == (0, 1)


def test_another_engine_fingerprint_compiles_its_own(tmp_path: Path, reference: Outcome) -> None:
    run(cached(tmp_path))
    other = cached(tmp_path, backend="pulley")
    assert run(other) == reference
    assert (other.compiles, other.loads) == (1, 0)
    assert len(files(tmp_path)) == 2
    names = {p.name[: 2 * 32] for p in files(tmp_path)}
    assert names == {AMM_HASH.hex()}  # same code hash, two fingerprints


def test_the_directory_stays_within_its_bound(tmp_path: Path) -> None:
    cache = ModuleCache(ModuleCacheConfig(tmp_path, 10_000))
    keys = [bytes([n]) * KEY_LEN for n in range(10)]
    for key in keys:
        cache.store(key, bytes(3_000))
    on_disk = sum(p.stat().st_size for p in files(tmp_path))
    assert on_disk <= 10_000 and cache.total_bytes == on_disk
    assert cache.load(keys[-1]) == bytes(3_000)  # the newest is kept
    assert cache.load(keys[0]) is None  # the oldest went first
    cache.store(bytes([99]) * KEY_LEN, bytes(20_000))  # larger than the bound: not kept
    assert cache.load(bytes([99]) * KEY_LEN) is None
    reopened = ModuleCache(ModuleCacheConfig(tmp_path, 10_000))
    assert reopened.total_bytes == on_disk


def test_leftover_temporary_files_are_removed_and_writes_are_whole(tmp_path: Path) -> None:
    (tmp_path / ".tmp-crashed").write_bytes(b"partial")
    cache = ModuleCache(ModuleCacheConfig(tmp_path, 1 << 20))
    assert not (tmp_path / ".tmp-crashed").exists()
    key = bytes(KEY_LEN)
    cache.store(key, b"artefact")
    assert [p.name for p in tmp_path.iterdir()] == [key.hex() + SUFFIX]
    assert cache.load(key) == b"artefact"


def test_an_unwritable_directory_only_costs_compiles(tmp_path: Path) -> None:
    cache = ModuleCache(ModuleCacheConfig(tmp_path / "modules", 1 << 20))
    (tmp_path / "modules").rmdir()
    (tmp_path / "modules").write_bytes(b"")  # now a file: every write fails
    cache.store(bytes(KEY_LEN), b"artefact")
    assert cache.load(bytes(KEY_LEN)) is None
