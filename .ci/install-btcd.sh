#!/usr/bin/env bash
# Install a pinned btcd (and btcctl) into $(go env GOPATH)/bin for the regtest harness.
# Idempotent: does nothing when the pinned version is already there. The harness finds btcd
# on PATH or in $(go env GOPATH)/bin (or wherever ROOTSTATE_BTCD points).
# Newest release when pinned: `go list -m -versions github.com/btcsuite/btcd`.
set -euo pipefail

BTCD_VERSION="v0.26.2"

if ! command -v go >/dev/null 2>&1; then
    echo "install-btcd: go is not on PATH; install a Go toolchain first" >&2
    exit 1
fi

gobin="$(go env GOPATH)/bin"

installed_version() {
    # `go version -m` reads the module version the binary was built from.
    go version -m "$gobin/btcd" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/btcsuite/btcd" {print $3}'
}

if [[ -x "$gobin/btcd" && -x "$gobin/btcctl" && "$(installed_version)" == "$BTCD_VERSION" ]]; then
    echo "install-btcd: btcd $BTCD_VERSION already installed in $gobin"
else
    echo "install-btcd: installing btcd $BTCD_VERSION into $gobin"
    go install "github.com/btcsuite/btcd@$BTCD_VERSION"
    go install "github.com/btcsuite/btcd/cmd/btcctl@$BTCD_VERSION"
fi

"$gobin/btcd" --version
