"""Who signs what in ``rootstate contract publish`` and ``call``: the funding inputs by
Bitcoin Core's wallet, a key file or a single-key descriptor; the reveal's script-path
input by the project's envelope key. Signing is embit's (a standard PSBT signer) or Core's
``walletprocesspsbt``; keys are read from files and never printed or logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from embit import script as embit_script  # type: ignore[import-untyped]
from embit.descriptor import Descriptor  # type: ignore[import-untyped]
from embit.ec import PrivateKey  # type: ignore[import-untyped]
from embit.finalizer import finalize_psbt  # type: ignore[import-untyped]
from embit.networks import NETWORKS  # type: ignore[import-untyped]
from embit.psbt import PSBT  # type: ignore[import-untyped]
from embit.script import Witness  # type: ignore[import-untyped]

from indexer.node_thread import NodeThread
from protocol.params import Network

EMBIT_NETWORKS = {
    Network.MAINNET: "main",
    Network.TESTNET4: "test",
    Network.SIGNET: "signet",
    Network.REGTEST: "regtest",
}


class SigningError(Exception):
    """A key or signer that cannot sign what was composed; the message says which."""


@dataclass(frozen=True)
class Coin:
    """A funding input as the compose routes take it."""

    outpoint: str
    value: int
    script_pubkey: str

    def body(self, tokens: list[str]) -> dict[str, Any]:
        return {
            "outpoint": self.outpoint,
            "value": self.value,
            "script_pubkey": self.script_pubkey,
            "tokens": tokens,
        }


class FundingSigner(Protocol):
    def coins(self) -> list[Coin]: ...
    def change_address(self) -> str: ...
    def sign(self, psbt_b64: str) -> str:
        """The finalized raw transaction, hex."""
        ...


def read_secret(path: Path) -> PrivateKey:
    """A key file: 64 hex digits (as ``contract new`` writes) or a WIF key."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise SigningError(f"cannot read key file {path}: {exc.strerror}") from None
    try:
        if len(text) == 64:
            return PrivateKey(bytes.fromhex(text))
        return PrivateKey.from_wif(text)
    except Exception:  # embit raises several kinds; none may show the text
        raise SigningError(f"{path} holds no private key (64 hex digits or WIF)") from None


def xonly(key: PrivateKey) -> str:
    text: str = key.get_public_key().xonly().hex()
    return text


def sign_reveal(psbt_b64: str, key: PrivateKey) -> str:
    """The reveal's one script-path input, signed from its BIP371 fields, with the final
    witness BIP341 gives it: signature, leaf script, control block (embit's finalizer does
    not know tapscript)."""
    psbt = PSBT.from_string(psbt_b64)
    [scope] = psbt.inputs
    if psbt.sign_with(key) != 1 or not scope.taproot_sigs:
        raise SigningError(
            "the envelope key does not sign the reveal: it is not the key "
            "the publish was composed for"
        )
    [sig] = scope.taproot_sigs.values()
    [(control, leaf)] = scope.taproot_scripts.items()
    scope.final_scriptwitness = Witness([sig, leaf[:-1], control])
    raw: str = finalize_psbt(psbt).serialize().hex()
    return raw


class CoreWallet:
    """Bitcoin Core's wallet: its confirmed coins, a change address, walletprocesspsbt."""

    def __init__(self, wallet: NodeThread) -> None:
        self.wallet = wallet

    def coins(self) -> list[Coin]:
        unspent = self.wallet.call("listunspent", 1)
        return [
            Coin(f"{u['txid']}:{u['vout']}", round(u["amount"] * 100_000_000), u["scriptPubKey"])
            for u in unspent
            if u.get("spendable", True) and u.get("solvable", True)
        ]

    def change_address(self) -> str:
        address: str = self.wallet.call("getrawchangeaddress", "bech32m")
        return address

    def sign(self, psbt_b64: str) -> str:
        processed = self.wallet.call("walletprocesspsbt", psbt_b64, True, "DEFAULT")
        if not processed.get("complete"):
            raise SigningError("Core's wallet could not sign every funding input")
        final = self.wallet.call("finalizepsbt", processed["psbt"], True)
        raw: str = final["hex"]
        return raw


class KeySigner:
    """One key: a key file (spent by BIP86 key path, as ``tr(KEY)``) or a descriptor
    without wildcards, e.g. ``wpkh(WIF)``. Coins are the node's ``scantxoutset`` of its
    address (Bitcoin Core), or the outpoints given, looked up with ``gettxout``."""

    def __init__(
        self, signer: Any, script: bytes, network: Network, node: NodeThread, utxos: list[str]
    ) -> None:
        self.signer = signer
        self.script = script
        self.network = network
        self.node = node
        self.utxos = utxos

    @classmethod
    def from_key_file(
        cls, path: Path, network: Network, node: NodeThread, utxos: list[str]
    ) -> KeySigner:
        key = read_secret(path)
        return cls(key, embit_script.p2tr(key.get_public_key()).data, network, node, utxos)

    @classmethod
    def from_descriptor(
        cls, text: str, network: Network, node: NodeThread, utxos: list[str]
    ) -> KeySigner:
        try:
            desc = Descriptor.from_string(text)
        except Exception:  # the text may hold a key: never echo it
            raise SigningError(
                "the descriptor does not parse (e.g. wpkh(WIF) or tr(WIF))"
            ) from None
        if desc.is_wildcard or not any(getattr(k, "is_private", False) for k in desc.keys):
            raise SigningError("the descriptor must hold one private key and no wildcard")
        return cls(desc, desc.script_pubkey().data, network, node, utxos)

    def address(self) -> str:
        text: str = embit_script.Script(self.script).address(NETWORKS[EMBIT_NETWORKS[self.network]])
        return text

    def coins(self) -> list[Coin]:
        if self.utxos:
            return [self._lookup(point) for point in self.utxos]
        scan = self.node.call("scantxoutset", "start", [f"addr({self.address()})"])
        return [
            Coin(f"{u['txid']}:{u['vout']}", round(u["amount"] * 100_000_000), self.script.hex())
            for u in scan.get("unspents", [])
        ]

    def _lookup(self, point: str) -> Coin:
        txid, _, vout = point.partition(":")
        out = self.node.call("gettxout", txid, int(vout) if vout.isdigit() else -1, True)
        if out is None:
            raise SigningError(f"{point} is not an unspent output the node knows")
        if out["scriptPubKey"]["hex"] != self.script.hex():
            raise SigningError(f"{point} is not paid to this key's address {self.address()}")
        return Coin(point, round(out["value"] * 100_000_000), self.script.hex())

    def change_address(self) -> str:
        return self.address()

    def sign(self, psbt_b64: str) -> str:
        psbt = PSBT.from_string(psbt_b64)
        if psbt.sign_with(self.signer) != len(psbt.inputs):
            raise SigningError("the key does not sign every funding input")
        raw: str = finalize_psbt(psbt).serialize().hex()
        return raw
