#!/usr/bin/env bash
# Debian's Chromium and its matching chromedriver for the explorer's browser tests
# (tests/explorer): installed as root, non-interactive, when missing; then checked to start.
# Idempotent: with both present it installs nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# fonts-liberation (only recommended by chromium) so pages and screenshots have real glyphs.
packages=(chromium chromium-driver fonts-liberation)
source "$here/apt-ensure.sh"
apt_ensure install-chromium "${packages[@]}"

chromium --version 2>/dev/null | head -n 1 >&2
chromedriver --version | head -n 1 >&2
