#!/usr/bin/env bash
# Builds every example contract (examples/*.ts) and the SDK test modules (test/*.ts)
# into wasm/<name>.wasm with the pinned compiler (package-lock.json; `npm ci` first).
#   bash build.sh           rebuild wasm/ in place
#   bash build.sh --check   rebuild into a temporary folder and fail if any byte, or the
#                           set of modules, differs from the committed wasm/ (CI runs this)
# The flags are part of the reproducible build:
#   --runtime stub           bump allocator that never frees: an instance lives one call
#   --initialMemory 1 --maximumMemory 4
#                            a fixed small memory (64 KiB, growable to 256 KiB)
#   --disable ...            keep to the WebAssembly MVP the publish validator accepts
#   --use abort=...          AssemblyScript's env.abort goes to rootstate.abort instead
#   -O3 -s1 --noAssert       assert() compiles away; input and arithmetic checks do not
set -euo pipefail
cd "$(dirname "$0")"
ASC=node_modules/.bin/asc
[ -x "$ASC" ] || { echo "contracts/: run 'npm ci' first" >&2; exit 1; }
out=wasm
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
for src in examples/*.ts test/*.ts; do
  name=$(basename "$src" .ts)
  "$ASC" "$src" \
    --outFile "$out/$name.wasm" \
    --optimizeLevel 3 --shrinkLevel 1 --noAssert \
    --runtime stub \
    --initialMemory 1 --maximumMemory 4 \
    --disable sign-extension,nontrapping-f2i,bulk-memory,mutable-globals \
    --use abort=sdk/error/runtimeAbort
  printf '%-10s %6d bytes  sha256 %s\n' "$name" "$(stat -c %s "$out/$name.wasm")" \
    "$(sha256sum "$out/$name.wasm" | cut -d' ' -f1)"
done
if [ "$out" != wasm ]; then
  if ! diff -r "$out" wasm; then
    echo "contracts/wasm differs from a fresh build: run 'bash contracts/build.sh' and commit" >&2
    exit 1
  fi
  echo "contracts/wasm matches a fresh build"
fi
