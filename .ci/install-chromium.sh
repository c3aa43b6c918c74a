#!/usr/bin/env bash
# Debian's Chromium and its matching chromedriver for the explorer's browser tests
# (tests/explorer): installed as root, non-interactive, when missing; then checked to start.
# Idempotent: with both present it installs nothing.
set -euo pipefail

# fonts-liberation (only recommended by chromium) so pages and screenshots have real glyphs.
packages=(chromium chromium-driver fonts-liberation)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "install-chromium: missing ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "install-chromium: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

chromium --version 2>/dev/null | head -n 1 >&2
chromedriver --version | head -n 1 >&2
