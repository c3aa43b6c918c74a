"""The ``rootstate contract`` subcommands' arguments. Standard library only, like
:mod:`cli.parser`, which builds it before the heavy imports."""

from __future__ import annotations

import argparse
from pathlib import Path

ACTIONS = (
    ("new", "create a contract project from the template"),
    ("build", "compile the project (npm install first if needed) and check the module"),
    ("check", "the protocol's publish check of a module, explained, and a fuel estimate"),
    ("test", "run the project's scenarios (tests/*.toml) on a local chain; no node"),
    ("simulate", "run a call on a live indexer's tip state (nothing is sent)"),
    ("publish", "publish a module on chain: compose, sign, broadcast, wait"),
    ("call", "call a contract on chain: compose, sign, broadcast, wait"),
)

VALUES_HELP = 'typed values, space-separated: "u8:1 u64:5" (u8..u128, hex:, script:, asset:H:I)'


def _values(sub: argparse.ArgumentParser, flag: str, what: str, *, repeat: bool = False) -> None:
    if repeat:
        sub.add_argument(
            flag, action="append", default=[], metavar="VALUES", help=f"{what}; {VALUES_HELP}"
        )
    else:
        sub.add_argument(flag, default="", metavar="VALUES", help=f"{what}; {VALUES_HELP}")


def _sends(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--send",
        action="append",
        default=[],
        metavar="ASSET=AMOUNT",
        help="send an asset into the call, e.g. 840000:1=500 (repeat for each)",
    )


def _where(sub: argparse.ArgumentParser) -> None:
    where = sub.add_mutually_exclusive_group(required=True)
    where.add_argument("--indexer", metavar="URL", help="compose through this indexer's API")
    where.add_argument(
        "--local",
        action="store_true",
        help="compose with the store a local `rootstate index` keeps (--data-dir, --network)",
    )


def _chain(sub: argparse.ArgumentParser) -> None:
    _where(sub)
    signer = sub.add_mutually_exclusive_group(required=True)
    signer.add_argument(
        "--wallet", metavar="NAME", help="fund and sign with this Bitcoin Core wallet"
    )
    signer.add_argument(
        "--funding-key",
        type=Path,
        metavar="FILE",
        help="fund from this key's BIP86 address (key file: hex or WIF)",
    )
    signer.add_argument(
        "--funding-descriptor",
        type=Path,
        metavar="FILE",
        help="fund from a file holding a single-key descriptor, e.g. wpkh(WIF)",
    )
    sub.add_argument(
        "--utxo",
        action="append",
        default=[],
        metavar="TXID:VOUT",
        help="with a key or descriptor: the coins to spend (default: scantxoutset)",
    )
    sub.add_argument(
        "--fee-rate", type=float, default=2.0, metavar="SAT_PER_VB", help="fee rate (default 2)"
    )
    sub.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="how long to wait for the block (default 600)",
    )


def contract_arguments(contract: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = contract.add_subparsers(dest="contract_command", required=True, metavar="ACTION")
    subs = {
        name: actions.add_parser(name, help=text, description=text, parents=[common])
        for name, text in ACTIONS
    }
    subs["new"].add_argument(
        "name", metavar="NAME", help="the contract's name: lower-case letters, digits, _"
    )
    subs["new"].add_argument(
        "--dir", type=Path, default=Path("."), help="where to create the project (default: here)"
    )
    for name in ("build", "test"):
        subs[name].add_argument(
            "--project", type=Path, default=Path("."), help="the project folder (default: here)"
        )
    subs["test"].add_argument(
        "files", nargs="*", type=Path, metavar="FILE.toml", help="scenarios (default: tests/*.toml)"
    )
    subs["check"].add_argument("module", type=Path, metavar="FILE.wasm")
    _values(subs["check"], "--init", "init's input for the fuel estimate")
    _values(
        subs["check"],
        "--input",
        "a call input for the fuel estimate (repeat for more)",
        repeat=True,
    )
    for name in ("simulate", "call"):
        subs[name].add_argument(
            "contract", metavar="CONTRACT", help="the contract's id, HEIGHT:INDEX"
        )
        _values(subs[name], "--input", "the call's input")
        _sends(subs[name])
    _where(subs["simulate"])
    subs["simulate"].add_argument(
        "--json", action="store_true", help="print the indexer's whole answer"
    )
    subs["publish"].add_argument("module", type=Path, metavar="FILE.wasm")
    _values(subs["publish"], "--init", "init's input")
    subs["publish"].add_argument(
        "--key-file",
        type=Path,
        default=Path("keys/envelope.key"),
        help="the envelope key (default keys/envelope.key, as contract new writes)",
    )
    _chain(subs["publish"])
    _chain(subs["call"])
