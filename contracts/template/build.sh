#!/usr/bin/env bash
# Builds assembly/__NAME__.ts into build/__NAME__.wasm with the pinned compiler
# (package.json; `npm install` first). `rootstate contract build` runs this, then checks
# the module with the protocol's validator. The flags keep the module inside the subset
# the protocol accepts; they are rootstate's contracts/build.sh flags (a test keeps the two
# equal), with AssemblyScript's abort sent to rootstate.abort through the SDK package.
set -euo pipefail
cd "$(dirname "$0")"
ASC=node_modules/.bin/asc
[ -x "$ASC" ] || { echo "run 'npm install' first (it installs the pinned compiler)" >&2; exit 1; }
mkdir -p build
"$ASC" assembly/__NAME__.ts \
  --outFile build/__NAME__.wasm \
  --optimizeLevel 3 --shrinkLevel 1 --noAssert \
  --runtime stub \
  --initialMemory 1 --maximumMemory 4 \
  --disable sign-extension,nontrapping-f2i,bulk-memory,mutable-globals \
  --use abort=~lib/rootstate-sdk/error/runtimeAbort
printf 'build/__NAME__.wasm  %d bytes  sha256 %s\n' "$(stat -c %s build/__NAME__.wasm)" \
  "$(sha256sum build/__NAME__.wasm | cut -d' ' -f1)"
