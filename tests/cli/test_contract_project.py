"""``rootstate contract new``, ``build`` and ``test``: a project made outside the repository
from the template, built with the pinned compiler from npm, its scenario run on the local
chain with the real machine and engine; and the SDK's package layout."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.contract_project import SDK, TEMPLATE, sdk_tarball
from cli.main import main
from protocol.params import PROTOCOL_VERSION

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def _flags(build_sh: Path) -> list[str]:
    """The compiler flags of a build script: the lines after the asc invocation."""
    lines = build_sh.read_text().splitlines()
    start = next(n for n, line in enumerate(lines) if line.lstrip().startswith('"$ASC" '))
    flags: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip().startswith("--"):
            break
        flags += line.strip().rstrip("\\").split()
    return flags


def test_the_template_builds_with_the_repository_flags() -> None:
    ours, theirs = _flags(CONTRACTS / "build.sh"), _flags(TEMPLATE / "build.sh")
    drop = ("--outFile", "--use")
    strip = [f for f in ours if not f.startswith(drop) and "wasm" not in f and "sdk/" not in f]
    assert [
        f for f in theirs if not f.startswith(drop) and "build/" not in f and "~lib" not in f
    ] == strip
    assert "abort=sdk/error/runtimeAbort" in ours
    assert "abort=~lib/rootstate-sdk/error/runtimeAbort" in theirs


def test_the_sdk_is_a_package_versioned_with_the_protocol() -> None:
    package = json.loads((SDK / "package.json").read_text())
    assert package["name"] == "rootstate-sdk"
    assert int(package["version"].split(".")[0]) == PROTOCOL_VERSION
    assert package["rootstate"]["protocol_version"] == PROTOCOL_VERSION
    assert (SDK / package["ascMain"]).is_file()
    pinned = json.loads((CONTRACTS / "package.json").read_text())["devDependencies"]
    template = json.loads((TEMPLATE / "package.json").read_text())["devDependencies"]
    assert package["peerDependencies"] == pinned == template


def test_the_packed_sdk_is_every_file_and_always_the_same_bytes(tmp_path: Path) -> None:
    name, packed = sdk_tarball()
    assert name == f"rootstate-sdk-{json.loads((SDK / 'package.json').read_text())['version']}.tgz"
    assert sdk_tarball()[1] == packed
    path = tmp_path / name
    path.write_bytes(packed)
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    assert members == {f"package/{p.name}": p.read_bytes() for p in SDK.iterdir() if p.is_file()}


def test_new_makes_a_standalone_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "new", "jar", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    project = tmp_path / "jar"
    files = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    name, _ = sdk_tarball()
    assert files == {
        ".gitignore",
        "assembly/jar.ts",
        "build.sh",
        "package.json",
        "tests/jar.toml",
        f"vendor/{name}",
        "keys/envelope.key",
    }
    package = json.loads((project / "package.json").read_text())
    assert package["name"] == "jar"
    assert package["dependencies"]["rootstate-sdk"] == f"file:vendor/{name}"
    assert (
        "__NAME__"
        not in (project / "build.sh").read_text() + (project / "tests/jar.toml").read_text()
    )
    assert 'from "rootstate-sdk"' in (project / "assembly/jar.ts").read_text()
    key = project / "keys/envelope.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    secret = key.read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret) and secret not in out
    assert "keys/" in (project / ".gitignore").read_text()


@pytest.mark.parametrize("name", ["Counter", "1st", "a-b", "x" * 41])
def test_new_refuses_a_bad_name(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contract", "new", name, "--dir", str(tmp_path)]) == 1
    assert "lower-case letters" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_new_refuses_a_folder_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "jar").mkdir()
    (tmp_path / "jar" / "mine.txt").write_text("keep me")
    assert main(["contract", "new", "jar", "--dir", str(tmp_path)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert os.listdir(tmp_path / "jar") == ["mine.txt"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The template made in a folder outside the repository and built for real (npm
    installs the pinned compiler and the packed SDK)."""
    if shutil.which("npm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("building a contract project needs npm", pytrace=False)
        pytest.skip("npm is not installed")
    where = tmp_path_factory.mktemp("outside")
    assert main(["contract", "new", "counter", "--dir", str(where)]) == 0
    project = where / "counter"
    assert main(["contract", "build", "--project", str(project)]) == 0
    yield project


def test_the_built_template_passes_its_own_scenario(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert (built / "build" / "counter.wasm").read_bytes()[:4] == b"\x00asm"
    assert main(["contract", "test", "--project", str(built)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert out.count("  ok   ") == 6  # the publish and five calls
    assert "(rejected: contract_abort, code 101)" in out


def test_a_scenario_that_is_wrong_fails_and_says_how(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "wrong.toml"
    scenario.write_text(
        f'module = "{built / "build" / "counter.wasm"}"\n'
        '[[tokens]]\nname = "TIP"\nsupply = 10\n'
        '[publish]\ninit = ["u64:1"]\n'
        '[[calls]]\nname = "off by one"\ninput = ["u8:1", "u64:1"]\n'
        '[calls.expect]\nreturns = ["u64:3"]\nstorage = { "slot:1" = ["u64:3"] }\n'
        '[[calls]]\nname = "tip"\ninput = ["u8:2"]\nsend = [{ asset = "TIP", amount = 4 }]\n'
        "[calls.expect]\ncustody = { TIP = 5 }\nwallet = { TIP = 5 }\n"
        '[[calls]]\nname = "no tip"\ninput = ["u8:2"]\n[calls.expect]\naccepted = true\n'
    )
    assert main(["contract", "test", str(scenario)]) == 1
    out = capsys.readouterr().out
    assert "returned 0200000000000000, expected 0300000000000000" in out
    assert "storage slot:1 is 0200000000000000, expected 0300000000000000" in out
    assert (
        "the contract holds 4 TIP, expected 5" in out
        and "the wallet holds 6 TIP, expected 5" in out
    )
    assert "the protocol rejected it: contract_abort, abort code 102" in out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('module = "x.wasm"\n', "calls: must list at least one"),
        ('module = "x.wasm"\n[[calls]]\ninptu = []\n', "calls[0]: unknown key 'inptu'"),
        ('module = "x.wasm"\n[[calls]]\ninput = ["u8:999"]\n', "calls[0].input: value 'u8:999'"),
        ('module = "x.wasm"\n[[calls]]\nexpect = { abort = "x" }\n', "calls[0].expect.abort"),
        ("module = \n", "not TOML"),
        ('module = "x.wasm"\n[publish]\ninput = []\n[[calls]]\n', "publish: unknown key 'input'"),
        ('module = "x.wasm"\n[[calls]]\nsend = { TIP = 1 }\n', "calls[0].send: must be a list"),
    ],
)
def test_a_malformed_scenario_names_the_place(
    text: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text)
    assert main(["contract", "test", str(scenario)]) == 2
    assert words in capsys.readouterr().err
