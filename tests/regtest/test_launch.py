"""Finding a node binary, and the one reason given when it cannot run."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from regtest.launch import BINARY_ENV, SHARED_CORE, NodeKind, find_binary, node_problem
from tests.regtest import conftest


@pytest.fixture
def no_ci(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CI", raising=False)
    conftest._problem.cache_clear()
    yield
    conftest._problem.cache_clear()


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_core_beside_the_checkout_is_found_without_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: nothing on PATH
    monkeypatch.delenv(BINARY_ENV[NodeKind.BITCOIND], raising=False)
    assert find_binary(NodeKind.BITCOIND) == SHARED_CORE / "bitcoind"


def test_a_node_that_cannot_start_says_why_and_what_installs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = _script(
        tmp_path / "bitcoind",
        "echo 'bitcoind: error while loading shared libraries: libzmq.so.5' >&2; exit 127",
    )
    monkeypatch.setenv(BINARY_ENV[NodeKind.BITCOIND], str(broken))
    assert node_problem(NodeKind.BITCOIND) == (
        f"bitcoind at {broken} cannot start (bitcoind: error while loading shared libraries: "
        "libzmq.so.5): run .ci/install-bitcoind.sh as root"
    )


def test_a_missing_node_says_what_installs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("GOPATH", str(tmp_path))
    monkeypatch.delenv(BINARY_ENV[NodeKind.BTCD], raising=False)
    assert node_problem(NodeKind.BTCD) == (
        "btcd is not installed: run .ci/install-btcd.sh, or set ROOTSTATE_BTCD"
    )


@pytest.mark.usefixtures("no_ci")
def test_one_cause_gives_one_reason_in_the_skip_mark_and_in_require_binary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("GOPATH", str(tmp_path))
    monkeypatch.setenv(BINARY_ENV[NodeKind.BITCOIND], str(_script(tmp_path / "core", "exit 1")))
    monkeypatch.delenv(BINARY_ENV[NodeKind.BTCD], raising=False)
    params = {p.values[0]: p for p in conftest._kind_params()}
    for kind in NodeKind:
        (mark,) = params[kind].marks
        with pytest.raises(pytest.skip.Exception) as skipped:
            conftest.require_binary(kind)
        assert skipped.value.msg == mark.kwargs["reason"] == node_problem(kind)
    assert os.environ["PATH"] == str(tmp_path)
