// `npm run size`: what the client adds to a wallet's bundle, minified by esbuild, raw and
// gzipped: the whole library, and verification alone (Verifier, which needs no PSBT code).

import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function measure(name: string, contents: string): Promise<void> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  const bytes = result.outputFiles[0]!.contents;
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  console.log(
    `${name}: ${bytes.length.toLocaleString("en")} bytes minified, ${gzipped.toLocaleString("en")} gzipped`,
  );
}

await measure("the whole client (src/index.ts)", 'export * from "./src/index.ts";');
await measure("verification only (Verifier)", 'export { Verifier } from "./src/index.ts";');
