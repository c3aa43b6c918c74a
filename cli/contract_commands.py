"""``rootstate contract ACTION``: which module each action runs, and its exit code.

Exit codes: 0 done (for check: accepted; for test: every step passed); 1 refused or
failed (the message says why); 2 a mistake in the command line or a file the user wrote;
the node's codes of cli.exits (5 credentials, 6 down, 7 another chain); 130 stopped by
SIGINT/SIGTERM (a wait for a block ends at once; what was broadcast stays broadcast).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from cli.contract_chain import Target, call, publish, simulate
from cli.contract_check import check_module
from cli.contract_compose import ApiComposer, ChainError, Composer, LocalComposer
from cli.contract_project import ProjectError, build_project, new_project
from cli.contract_scenario import ScenarioError
from cli.contract_signing import CoreWallet, FundingSigner, KeySigner, SigningError
from cli.contract_testing import run_tests
from cli.contract_values import ValueSyntaxError, encode_values
from cli.exits import Exit
from cli.failures import HANDLED, exit_code
from cli.parser import SETTING_FLAGS
from cli.signals import Shutdown
from indexer.config import Config, ConfigError, load_config
from indexer.node_thread import NodeThread
from indexer.runtime import node_settings

#: The node answers a wallet or broadcast call at once or is down: retry briefly, not forever.
NODE_RETRY_SECONDS = 10.0


def _out(line: str) -> None:
    print(line, flush=True)


def _progress(line: str) -> None:
    """publish and call: progress on stderr, the result alone on stdout (for scripts)."""
    print(line, file=sys.stderr, flush=True)


def _sends(items: list[str]) -> list[tuple[str, int]]:
    sends = []
    for item in items:
        asset, _, amount = item.partition("=")
        if not amount.isdigit() or int(amount) == 0:
            raise ValueSyntaxError(f"--send {item!r}: write ASSET=AMOUNT, e.g. 840000:1=500")
        sends.append((asset, int(amount)))
    return sends


def _config(args: argparse.Namespace) -> Config:
    flags = {name: getattr(args, name, None) for name, _, _ in SETTING_FLAGS}
    return load_config(getattr(args, "config", None), flags=flags)


def _node(config: Config, shutdown: Shutdown, wallet: str | None = None) -> NodeThread:
    settings = node_settings(config, retry_deadline=NODE_RETRY_SECONDS)
    if wallet is not None:
        # Core's wallet RPC endpoint: one wallet of several loaded (an empty name: the default).
        settings = replace(settings, rpc_url=f"{config.rpc_url.rstrip('/')}/wallet/{wallet}")
    node = NodeThread(settings)
    shutdown.on_stop(node.interrupt)
    return node


def _signer(
    args: argparse.Namespace, config: Config, node: NodeThread, shutdown: Shutdown
) -> FundingSigner:
    if args.wallet is not None:
        return CoreWallet(_node(config, shutdown, args.wallet))
    if args.funding_key is not None:
        return KeySigner.from_key_file(args.funding_key, config.network, node, args.utxo)
    try:
        text = Path(args.funding_descriptor).read_text().strip()
    except OSError as exc:
        raise SigningError(f"cannot read {args.funding_descriptor}: {exc.strerror}") from None
    return KeySigner.from_descriptor(text, config.network, node, args.utxo)


def _composer(args: argparse.Namespace) -> Composer:
    return LocalComposer(_config(args)) if args.local else ApiComposer(args.indexer)


def _on_chain(args: argparse.Namespace, shutdown: Shutdown) -> int:
    config = _config(args)
    node = _node(config, shutdown)
    composer = _composer(args)
    try:
        target = Target(composer, node, args.fee_rate, args.timeout, shutdown.requested)
        signer = _signer(args, config, node, shutdown)
        if args.contract_command == "publish":
            init = encode_values(args.init.split()).hex()
            _out(publish(target, signer, args.module, args.key_file, init, out=_progress))
        else:
            data = encode_values(args.input.split()).hex()
            tx = call(target, signer, args.contract, data, _sends(args.send), out=_progress)
            _out(tx["txid"])
    finally:
        composer.close()
        node.close()
    return Exit.OK


def _simulate(args: argparse.Namespace) -> int:
    data = encode_values(args.input.split()).hex()
    sends = _sends(args.send)
    composer = _composer(args)
    try:
        accepted = simulate(composer, args.contract, data, sends, out=_out, raw=args.json)
    finally:
        composer.close()
    return Exit.OK if accepted else Exit.FAILED


def _new(args: argparse.Namespace) -> int:
    new_project(args.name, args.dir, _out)
    return Exit.OK


def _actions(args: argparse.Namespace, shutdown: Shutdown) -> dict[str, Callable[[], int]]:
    def build() -> int:
        failed = 0
        for module in build_project(args.project, _out):
            failed |= check_module(module, [], [], _out, estimate=False)
        return failed

    return {
        "new": lambda: _new(args),
        "build": build,
        "check": lambda: check_module(
            args.module, args.init.split(), [i.split() for i in args.input], _out
        ),
        "test": lambda: Exit.FAILED if run_tests(args.files, args.project, _out) else Exit.OK,
        "simulate": lambda: _simulate(args),
        "publish": lambda: _on_chain(args, shutdown),
        "call": lambda: _on_chain(args, shutdown),
    }


def cmd_contract(args: argparse.Namespace, shutdown: Shutdown) -> int:
    try:
        return _actions(args, shutdown)[args.contract_command]()
    except (ValueSyntaxError, ScenarioError, ConfigError) as exc:
        print(f"rootstate contract: {exc}", file=sys.stderr)
        return Exit.CONFIG
    except (ProjectError, ChainError, SigningError) as exc:
        print(f"rootstate contract: {exc}", file=sys.stderr)
        return Exit.FAILED
    except HANDLED as exc:  # the node: down, credentials, a refused broadcast; a stop request
        code = exit_code(exc)
        print(f"rootstate contract: {exc} (exit code {code.value})", file=sys.stderr)
        return code
