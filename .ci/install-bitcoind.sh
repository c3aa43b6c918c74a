#!/usr/bin/env bash
# Make the Bitcoin Core build in ../shared/bitcoin runnable for the regtest harness: install
# the runtime libraries its README names (as root, non-interactive) when they are missing,
# then check that the binary starts. Prints the directory to put on PATH.
# Idempotent: with the libraries present it installs nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$(dirname "$0")/.."

core_dir="$(cd ../shared/bitcoin && pwd)"
packages=(libzmq5 libevent-extra-2.1-7 libevent-pthreads-2.1-7)

source "$here/apt-ensure.sh"
apt_ensure install-bitcoind "${packages[@]}"

"$core_dir/bitcoind" -version | head -n 1 >&2
"$core_dir/bitcoin-cli" -version | head -n 1 >&2
echo "$core_dir"
