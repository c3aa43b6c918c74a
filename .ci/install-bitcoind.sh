#!/usr/bin/env bash
# Make the Bitcoin Core build in ../shared/bitcoin runnable for the regtest harness: install
# the runtime libraries its README names (as root, non-interactive) when they are missing,
# then check that the binary starts. Prints the directory to put on PATH.
# Idempotent: with the libraries present it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

core_dir="$(cd ../shared/bitcoin && pwd)"
packages=(libzmq5 libevent-extra-2.1-7 libevent-pthreads-2.1-7)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "install-bitcoind: missing ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "install-bitcoind: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

"$core_dir/bitcoind" -version | head -n 1 >&2
"$core_dir/bitcoin-cli" -version | head -n 1 >&2
echo "$core_dir"
