"""``rootstate index`` run as a user runs it, timed from outside: the benchmarks' CLI pass.

The command is the installed console script with its defaults (only the node, the data
directory, the network and the activation height are given, as flags), into a fresh store,
its stderr on a pseudo-terminal so that progress prints the live line an operator sees. The
clock starts before the process does (start-up and imports count, as they do for a user) and
stops when the live line reports the last height; then a SIGINT stops the command, which
must exit 0. Peak RSS is sampled from ``/proc`` for the command and its fetch process
(``VmHWM`` of each, summed); CPU is the children's ``getrusage`` delta, which covers both.
"""

from __future__ import annotations

import os
import pty
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: The live line's height and target (``height=1,234 target=1,234 ...``).
_PROGRESS = re.compile(rb"height=([\d,]+) target=([\d,]+)")
_SAMPLE_SECONDS = 0.2
#: A catch-up that has printed nothing for this long is stuck: the pass fails.
_STALL_SECONDS = 120.0


@dataclass(frozen=True)
class CliRun:
    seconds: float  # from before the process started to the live line at the last height
    start_seconds: float  # from before the process started to its first live line (1 block)
    cpu_seconds: float  # user + system of the command and its fetch process
    peak_rss_mb: float  # the command's VmHWM plus its fetch process's
    output: str  # what the command printed on its terminal (the live line's last state)


def rootstate_command() -> list[str]:
    """The console script installed beside this interpreter, as ``pip install`` made it."""
    script = shutil.which("rootstate", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "cli"]


def index_command(url: str, user: str, password: str, data_dir: Path, first: int) -> list[str]:
    return [
        *rootstate_command(),
        "index",
        *("--network", "regtest", "--rpc-url", url, "--rpc-user", user),
        *("--rpc-password", password, "--data-dir", str(data_dir)),
        *("--activation-height", str(first)),
    ]


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass  # it has exited: its last sample stands
    return 0


def _children(pid: int) -> list[int]:
    try:
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += map(int, (task / "children").read_text().split())
        return found
    except OSError:
        return []


class _RssSampler:
    """The largest VmHWM seen of the command and of each of its children, summed."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._peaks: dict[int, int] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(_SAMPLE_SECONDS):
            for pid in (self._pid, *_children(self._pid)):
                self._peaks[pid] = max(self._peaks.get(pid, 0), _hwm_kb(pid))

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return sum(self._peaks.values()) / 1024


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_index(command: list[str], last: int) -> CliRun:
    """Run ``command`` (a ``rootstate index``) until its live line shows ``last``; stop it."""
    master, slave = pty.openpty()
    cpu_before = _cpu_of_children()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave
    )
    os.close(slave)
    sampler = _RssSampler(process.pid)
    seen = bytearray()
    seconds = first_line = None
    try:
        while seconds is None:
            ready = _read(master, _STALL_SECONDS)
            if not ready:
                raise RuntimeError(f"rootstate index stalled or exited: {seen[-2000:]!r}")
            seen += ready
            # Only the tail can hold a line not yet matched: the live line is short.
            heights = [int(h.replace(b",", b"")) for h, _ in _PROGRESS.findall(seen[-4096:])]
            if heights and first_line is None:
                first_line = time.perf_counter() - started
            if any(height >= last for height in heights):
                seconds = time.perf_counter() - started
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
        while chunk := _read(master, 0.5):
            seen += chunk
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    peak = sampler.stop()
    if code != 0:
        raise RuntimeError(f"rootstate index exited {code}: {seen[-2000:]!r}")
    cpu = _cpu_of_children() - cpu_before
    assert first_line is not None
    return CliRun(seconds, first_line, cpu, peak, seen.decode(errors="replace"))


def _read(fd: int, timeout: float) -> bytes:
    """What the terminal has within ``timeout`` (b"" at end of output or on a timeout)."""
    readable, _, _ = select.select([fd], [], [], timeout)
    if not readable:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the terminal's last writer closed it
        return b""
