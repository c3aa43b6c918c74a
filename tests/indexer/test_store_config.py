"""StoreConfig and ChainIdentity refuse bad values with messages that name them."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.store_config import MIN_UNDO_DEPTH, ChainIdentity, StoreConfig
from protocol.params import Network, NetworkParams


def test_defaults_keep_a_thousand_blocks_of_undo(tmp_path: Path) -> None:
    config = StoreConfig(tmp_path)
    assert config.undo_depth == 1_000
    assert StoreConfig(tmp_path, undo_depth=MIN_UNDO_DEPTH).undo_depth == 6


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"undo_depth": 5}, r"undo_depth must be an integer >= 6 \(a reorg deeper"),
        ({"undo_depth": 10.0}, "undo_depth must be an integer"),
        ({"undo_depth": True}, "undo_depth must be an integer"),
        ({"initial_map_size": 4096}, "initial_map_size must be an integer >= 65,536"),
        ({"max_readers": 0}, "max_readers must be an integer >= 1"),
        ({"grow_wait_seconds": 0}, "grow_wait_seconds must be a number > 0"),
        ({"grow_wait_seconds": "5"}, "grow_wait_seconds must be a number > 0"),
    ],
)
def test_bad_settings_are_refused(
    tmp_path: Path, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        StoreConfig(tmp_path, **settings)  # type: ignore[arg-type]


def test_the_path_must_be_a_directory_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must be a pathlib\.Path"):
        StoreConfig(str(tmp_path))  # type: ignore[arg-type]
    afile = tmp_path / "file"
    afile.write_bytes(b"")
    with pytest.raises(ValueError, match="is not a directory"):
        StoreConfig(afile)


def test_identity_of_a_network() -> None:
    genesis = bytes(range(32))
    identity = ChainIdentity.for_network(NetworkParams.for_network(Network.MAINNET), genesis)
    assert identity == ChainIdentity(Network.MAINNET, 985_000, 1, genesis)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"network": "mainnet"}, "network must be a Network"),
        ({"activation_height": -1}, "activation_height must be an integer >= 0"),
        ({"protocol_version": 0}, "protocol_version must be an integer >= 1"),
        ({"genesis_hash": bytes(31)}, "genesis_hash must be 32 bytes"),
    ],
)
def test_bad_identities_are_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "network": Network.REGTEST,
        "activation_height": 1,
        "protocol_version": 1,
        "genesis_hash": bytes(32),
    }
    values.update(fields)
    with pytest.raises(ValueError, match=message):
        ChainIdentity(**values)  # type: ignore[arg-type]
