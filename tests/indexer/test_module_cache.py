"""The on-disk compiled-module cache on a real wasmtime engine and the real AMM module: a
restart loads instead of compiling (counted), a publish compiles before any call, damage
means a recompile with the same results, another engine fingerprint compiles its own, and
the bound only ever evicts other fingerprints' artefacts."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from engine.config import WasmtimeConfig
from engine.wasmtime_engine import WasmtimeEngine
from indexer.config import Config
from indexer.contract_engine import CachedEngine
from indexer.module_cache import KEY_LEN, SUFFIX, ModuleCache, ModuleCacheConfig
from indexer.runtime import engine_for, follower
from protocol.contracts.wasm import WasmContracts
from protocol.params import Network
from tests.contracts.sdk import code
from tests.contracts.test_amm import Pool
from tests.protocol.contracts.harness import ContractChain, call
from tests.vectorgen import wat

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


def test_the_indexer_engine_uses_the_configured_cache(tmp_path: Path, reference: Outcome) -> None:
    config = Config(
        network=Network.REGTEST,
        data_dir=tmp_path,
        rpc_user="u",
        rpc_password="p",
        rpc_url="http://127.0.0.1:1",
        wasm_backend="pulley",
    )
    first = engine_for(config)
    assert first.engine.config.backend == "pulley"
    assert run(first) == reference and (first.compiles, first.loads) == (1, 0)
    assert len(files(tmp_path / "modules")) == 1
    restarted = engine_for(config)
    assert run(restarted) == reference and (restarted.compiles, restarted.loads) == (0, 1)
    machine = follower(config, None, None, None, engine=restarted).machine  # type: ignore[arg-type]
    assert isinstance(machine.opcodes[7], WasmContracts)  # call (CONTRACTS.md §16)


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


def test_the_bound_evicts_only_other_fingerprints(tmp_path: Path) -> None:
    # Keys are code hash (32) + engine fingerprint (32); files are 104 + 3,000 bytes.
    cache = ModuleCache(ModuleCacheConfig(tmp_path, 10_000))
    old = [bytes([n]) * 32 + b"\xbb" * 32 for n in range(2)]  # a previous engine's
    live = [bytes([n]) * 32 + b"\xaa" * 32 for n in range(4)]  # this engine's
    for key in old + live:
        cache.store(key, bytes(3_000))
    # live[0] fits beside both old files; live[1] and live[2] each take an old one's place;
    # live[3] finds nothing it may evict, so it is not written and no live file goes.
    assert [cache.load(key) is not None for key in old] == [False, False]
    assert [cache.load(key) is not None for key in live] == [True, True, True, False]
    on_disk = sum(p.stat().st_size for p in files(tmp_path))
    assert on_disk == 3 * 3_104 == cache.total_bytes
    big = bytes([99]) * 32 + b"\xaa" * 32
    cache.store(big, bytes(20_000))  # larger than the bound: not kept
    assert cache.load(big) is None
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


def test_threads_sharing_the_engine_compile_once(tmp_path: Path, reference: Outcome) -> None:
    engine = cached(tmp_path)
    with ThreadPoolExecutor(2) as threads:
        outcomes = list(threads.map(lambda _: run(engine), range(3)))
    assert outcomes == [reference] * 3
    assert (engine.compiles, engine.loads) == (1, 0)


def read_only(directory: Path, max_bytes: int = 64 << 20) -> CachedEngine:
    cache = ModuleCache(ModuleCacheConfig(directory, max_bytes, read_only=True))
    return CachedEngine(WasmtimeEngine(WasmtimeConfig(backend="cranelift")), cache)


def listing(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every entry of ``directory`` (hidden ones too): its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


def test_a_read_only_cache_loads_what_the_owner_wrote_and_never_writes(
    tmp_path: Path, reference: Outcome
) -> None:
    run(cached(tmp_path))  # the owner (the indexer) compiles and writes
    (tmp_path / ".tmp-owner-writing").write_bytes(b"partial")  # the owner, mid-write
    before = listing(tmp_path)
    reader = read_only(tmp_path)
    assert run(reader) == reference
    assert (reader.compiles, reader.loads) == (0, 1)
    key = reader.engine.cache_key(AMM_HASH)
    reader.cache.store(bytes(KEY_LEN), b"artefact")
    reader.cache.discard(key)
    assert not reader.cache.writable
    assert listing(tmp_path) == before  # byte for byte, and not even touched


def test_a_read_only_cache_ignores_a_damaged_file_and_leaves_it(
    tmp_path: Path, reference: Outcome
) -> None:
    run(cached(tmp_path))
    (path,) = files(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])  # truncated
    before = listing(tmp_path)
    reader = read_only(tmp_path)
    assert run(reader) == reference
    assert (reader.compiles, reader.loads) == (1, 0)
    assert listing(tmp_path) == before  # the owner repairs it, not a reader


def test_a_file_evicted_before_a_read_only_load_means_compile(
    tmp_path: Path, reference: Outcome
) -> None:
    run(cached(tmp_path))
    reader = read_only(tmp_path)
    for path in files(tmp_path):
        path.unlink()  # the owner's eviction, after the reader opened the directory
    assert run(reader) == reference
    assert (reader.compiles, reader.loads) == (1, 0)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_cache_never_creates_its_directory(tmp_path: Path, reference: Outcome) -> None:
    reader = read_only(tmp_path / "modules")
    assert run(reader) == reference
    assert (reader.compiles, reader.loads) == (1, 0)
    assert list(tmp_path.iterdir()) == []
    run(cached(tmp_path / "modules"))  # the owner starts later: a reader finds its file
    later = read_only(tmp_path / "modules")
    assert run(later) == reference and (later.compiles, later.loads) == (0, 1)


def test_a_read_only_cache_with_no_bound_is_off(tmp_path: Path, reference: Outcome) -> None:
    run(cached(tmp_path))
    reader = read_only(tmp_path, max_bytes=0)  # the indexer's cache is off: so is the reader
    assert not reader.cache.enabled
    assert run(reader) == reference
    assert (reader.compiles, reader.loads) == (1, 0)


def test_a_publish_compiles_and_writes_before_any_call(tmp_path: Path) -> None:
    # wat.LOG has no init, so nothing executes at its publish: only the publish compiles.
    engine = cached(tmp_path)
    chain = ContractChain(engine)
    contract = chain.deploy(wat.LOG)
    log_hash = hashlib.sha256(wat.LOG).digest()
    assert (engine.compiles, engine.loads) == (1, 0)
    assert [p.name[:64] for p in files(tmp_path)] == [log_hash.hex()]
    chain.send(call(contract, b""))  # the call compiles nothing more
    assert (engine.compiles, engine.loads) == (1, 0)
    # After a restart the same publish (a block applied again) loads what the disk holds.
    again = cached(tmp_path)
    ContractChain(again).deploy(wat.LOG)
    assert (again.compiles, again.loads) == (0, 1)
