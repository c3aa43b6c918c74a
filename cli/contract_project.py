"""``rootstate contract new`` and ``build``: a contract project from the template in
contracts/template, and its build.

A project stands alone, wherever it is created: it depends on the SDK through a packed
copy of contracts/sdk in ``vendor/`` (an npm tarball written here, byte-for-byte the same
for the same SDK), and on the compiler version contracts/package.json pins. ``new`` also
writes the envelope key ``publish`` signs the reveal with, readable by its owner only.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
TEMPLATE = CONTRACTS / "template"
SDK = CONTRACTS / "sdk"
NAME_RULE = re.compile(r"[a-z][a-z0-9_]{0,39}")
KEY_FILE = Path("keys") / "envelope.key"

Out = Callable[[str], None]


class ProjectError(Exception):
    """A project that cannot be made or built; the message says what to do."""


def sdk_version() -> str:
    version: str = json.loads((SDK / "package.json").read_text())["version"]
    return version


def sdk_tarball() -> tuple[str, bytes]:
    """contracts/sdk as ``npm pack`` lays it out (every file under ``package/``), with
    fixed times, owners and order, so the same SDK always packs to the same bytes."""
    name = f"rootstate-sdk-{sdk_version()}.tgz"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(p for p in SDK.iterdir() if p.is_file()):
            data = path.read_bytes()
            info = tarfile.TarInfo(f"package/{path.name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return name, gzip.compress(raw.getvalue(), mtime=0)


def _render(text: str, name: str, tarball: str) -> str:
    return text.replace("__NAME__", name).replace("__SDK_TARBALL__", tarball)


def new_project(name: str, where: Path, out: Out) -> Path:
    if NAME_RULE.fullmatch(name) is None:
        raise ProjectError(
            f"contract name {name!r}: use 1 to 40 lower-case letters, digits or _, "
            "starting with a letter (it names the .ts, .wasm and test files)"
        )
    if not TEMPLATE.is_dir():
        raise ProjectError(f"no template at {TEMPLATE}: run rootstate from its source checkout")
    project = where / name
    if project.exists() and any(project.iterdir()):
        raise ProjectError(f"{project} exists and is not empty: choose another name or place")
    tarball, packed = sdk_tarball()
    renames = {
        "assembly/contract.ts": f"assembly/{name}.ts",
        "tests/contract.toml": f"tests/{name}.toml",
        "gitignore": ".gitignore",
    }
    for source in sorted(p for p in TEMPLATE.rglob("*") if p.is_file()):
        relative = source.relative_to(TEMPLATE).as_posix()
        target = project / renames.get(relative, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_render(source.read_text(), name, tarball))
    (project / "vendor").mkdir()
    (project / "vendor" / tarball).write_bytes(packed)
    pubkey = write_key(project / KEY_FILE)
    out(f"created {project} (SDK {sdk_version()}, vendor/{tarball})")
    out(f"envelope key {KEY_FILE} (x-only public key {pubkey}); keep it private")
    out(f"next: cd {project} && rootstate contract build && rootstate contract test")
    return project


def write_key(path: Path) -> str:
    """A fresh secp256k1 secret as hex, in a file only its owner may read; its x-only
    public key (the secret itself is never printed)."""
    from embit.ec import PrivateKey  # type: ignore[import-untyped]  # noqa: PLC0415

    secret = secrets.token_bytes(32)
    key = PrivateKey(secret)  # raises on the negligible chance of an invalid scalar
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret.hex() + "\n")
    xonly: str = key.get_public_key().xonly().hex()
    return xonly


def build_project(project: Path, out: Out) -> list[Path]:
    """npm install when the compiler is missing, then the project's build.sh; the modules
    built (build/*.wasm)."""
    if not (project / "build.sh").is_file() or not (project / "package.json").is_file():
        raise ProjectError(f"{project} is not a contract project (no build.sh or package.json)")
    if not (project / "node_modules" / ".bin" / "asc").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise ProjectError("building needs Node.js 20 or newer and npm on PATH")
        out("installing the pinned compiler and the SDK (npm install) ...")
        _run([npm, "install", "--no-audit", "--no-fund"], project, "npm install")
    out("compiling ...")
    _run(["bash", "build.sh"], project, "build.sh")
    built = sorted((project / "build").glob("*.wasm"))
    if not built:
        raise ProjectError(f"build.sh wrote no module into {project / 'build'}")
    return built


def _run(argv: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(argv, cwd=cwd, check=False)
    if done.returncode != 0:
        raise ProjectError(f"{what} failed (exit code {done.returncode}); its output is above")
