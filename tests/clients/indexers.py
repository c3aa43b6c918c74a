"""Indexers for the TypeScript client's tests: real ``rootstate serve`` processes over real stores.

``python -m tests.clients.indexers DIR`` builds four stores from the history of
tests/api/world.py with the project's own machine, forges two of them as tests/cli/conftest.py
does (C: a careful liar with its own root; D: a lazy liar that reports the honest root but
serves a forged record, so its proof cannot match), serves each with ``rootstate serve`` on a
loopback port, and prints one JSON line saying where everything is. It then reads commands,
one per line, and answers each with one JSON line:

- ``advance NAME``: apply the next block of the script below to store NAME (A or B, the
  honest ones, whose stores this process keeps open as the indexer would);
- ``restart NAME``: stop NAME's server and start it again on the same port (the client's
  stream must reconnect).

End of input stops every server and removes DIR's stores. The blocks after height 4:

height 5  ALICE sends 200 ROOT from E:1 to BOB (output 2); 500 stay with ALICE (output 1)
height 6  no protocol transaction
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from protocol.tx import Transaction
from regtest.keys import Key
from regtest.node import free_loopback_ports
from tests.api.world import ALICE, BOB, CAROL, DAVE, World, address, build_world, display, point
from tests.cli.conftest import forge
from tests.cli.test_serve import serve
from tests.protocol.builders import message_tx, spend, transfer
from tests.vectorgen.payloads import message
from tests.vectorgen.wat import LOG

HONEST, LIARS = ("A", "B"), ("C", "D")
STOP_GRACE_SECONDS = 3.0
START_SECONDS = 120.0


def script(world: World) -> list[list[Transaction]]:
    """The transactions of heights 5 and 6, built from ``world``'s own history."""
    five = message_tx(message(transfer((1, 1), 200, 2)), [spend(world.txs["E"], 1)], [ALICE, BOB])
    return [[five], []]


class Indexers:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.worlds = {name: build_world(base / name / "regtest") for name in HONEST + LIARS}
        self.outpoint = point(self.worlds["A"].txs["E"], 1)  # ALICE's 700 ROOT
        txid, vout = self.outpoint.split(":")
        key = b"\x01" + bytes.fromhex(txid)[::-1] + int(vout).to_bytes(4, "big")
        for name in LIARS:
            self.worlds[name].store.close()
        forge(base / "C" / "regtest", key, recompute=True)
        forge(base / "D" / "regtest", key, recompute=False)
        *ports, self.rpc_port = free_loopback_ports(len(self.worlds) + 1)  # no node: rpc_port
        self.ports = dict(zip(self.worlds, ports, strict=True))
        # Started together, then waited for: on a loaded machine each takes seconds to import.
        self.servers = {name: self._start(name) for name in self.worlds}
        for name in self.worlds:
            self._wait(name)
        self.pending = {name: script(self.worlds[name]) for name in HONEST}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def _start(self, name: str) -> subprocess.Popen[str]:
        return serve(self.base / name, self.ports[name], self.rpc_port)

    def _wait(self, name: str) -> None:
        """Until NAME answers /healthz; a server that exits or hangs is reported with its log."""
        process = self.servers[name]
        deadline = time.monotonic() + START_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url(name)}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        process.kill()
        _, err = process.communicate(timeout=30)
        raise RuntimeError(
            f"rootstate serve for {name} did not come up (exit {process.returncode}):\n{err}"
        )

    def describe(self) -> dict[str, object]:
        txs = self.worlds["A"].txs
        return {
            "urls": {name: self.url(name) for name in self.worlds},
            "outpoints": {
                "alice_root": self.outpoint,
                "alice_issu": point(txs["D"], 1),
                "issu_authority": point(txs["D"], 2),
                "bob_root": point(txs["F"], 1),
                "carol_root": point(txs["H"], 0),
            },
            "txids": {name: display(tx.txid) for name, tx in txs.items()},
            "hello_wasm": LOG.hex(),  # emits "hello" when called (tests/vectorgen/wat.py)
            "publisher_xonly": Key.derive("publisher").xonly.hex(),
            "addresses": {
                "alice": address(ALICE),
                "bob": address(BOB),
                "carol": address(CAROL),
                "dave": address(DAVE),
            },
        }

    def advance(self, name: str) -> dict[str, object]:
        if name not in self.pending or not self.pending[name]:
            return {"error": f"no block to apply to {name}"}
        txs = self.pending[name].pop(0)
        chain = self.worlds[name].chain
        chain.block(*txs)
        return {"height": chain.height, "txids": [display(tx.txid) for tx in txs]}

    def restart(self, name: str) -> dict[str, object]:
        """Stop NAME's server as a crash would, then start it again on its port.

        SIGTERM first; but ``rootstate serve`` stays up past SIGTERM while a node ``fetch``
        client holds ``/v1/stream`` open (measured: over 15 s), so after a grace period it is
        killed, and its heavy-work children exit on their own once their pipe closes."""
        old = self.servers[name]
        old.terminate()
        try:
            old.communicate(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            old.kill()
            old.communicate(timeout=30)
        self.servers[name] = self._start(name)
        self._wait(name)
        return {"restarted": name}

    def close(self) -> None:
        for process in self.servers.values():
            process.terminate()
        for process in self.servers.values():
            try:
                process.communicate(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:  # a stream still open: see restart
                process.kill()
                process.communicate(timeout=30)
        for name in HONEST:
            self.worlds[name].store.close()


def main(argv: list[str]) -> int:
    base = Path(argv[0])
    indexers = Indexers(base)
    try:
        print(json.dumps(indexers.describe()), flush=True)
        for line in sys.stdin:
            command, _, name = line.strip().partition(" ")
            if command == "advance":
                answer = indexers.advance(name)
            elif command == "restart" and name in indexers.servers:
                answer = indexers.restart(name)
            else:
                answer = {"error": f"unknown command {line.strip()!r}"}
            print(json.dumps(answer), flush=True)
    finally:
        indexers.close()
        for name in indexers.worlds:
            shutil.rmtree(base / name, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
