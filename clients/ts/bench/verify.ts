// `npm run bench`: proof verifications per second in node, over the valid proofs of
// spec/vectors/proofs.json (a 40-entry state: 5-7 levels) and over proofs as deep as a
// million-entry state makes them (spec §25.3: about 21 siblings), each checked in full by
// verifyProof (parse, recompute, compare).

import { readFileSync } from "node:fs";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, fromHex } from "../src/hex.js";
import { ProofKind, proofRoot, verifyProof } from "../src/proof.js";

interface Case {
  key: string;
  value: string | null;
  proof: string;
  valid: boolean;
}

type Check = [Uint8Array, Uint8Array, Uint8Array | null, Uint8Array];

function rate(name: string, checks: Check[], seconds = 2): void {
  for (const args of checks) verifyProof(...args); // warm up, and fail loudly if any is wrong
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1_000;
  while (performance.now() < end) {
    for (const args of checks) verifyProof(...args);
    done += checks.length;
  }
  const perSecond = done / ((performance.now() - start) / 1_000);
  console.log(
    `${name}: ${Math.round(perSecond).toLocaleString("en")} verifications/s (${(1e6 / perSecond).toFixed(1)} µs each)`,
  );
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../../spec/vectors/proofs.json", import.meta.url), "utf8"),
) as { root: string; cases: Case[] };
const root = fromHex(vectors.root);
rate(
  "spec/vectors/proofs.json valid cases",
  vectors.cases
    .filter((c) => c.valid)
    .map((c) => [
      root,
      fromHex(c.key),
      c.value === null ? null : fromHex(c.value),
      fromHex(c.proof),
    ]),
);

/** An inclusion proof with `depth` non-empty siblings, encoded by §25.1, and its root. */
function deepProof(index: number, depth: number): Check {
  const key = sha256(Uint8Array.of(index & 0xff, index >> 8));
  const value = new Uint8Array(9).fill(index & 0xff);
  const siblings = Array.from({ length: depth }, (_, j) => sha256(concat(key, Uint8Array.of(j))));
  const bitmap = new Uint8Array(Math.ceil(depth / 8));
  for (let j = 0; j < depth; j++) bitmap[j >> 3]! |= 0x80 >> (j & 7);
  const proof = concat(Uint8Array.of(ProofKind.Inclusion, 0, depth), bitmap, ...siblings);
  const reached = proofRoot(key, value, { kind: ProofKind.Inclusion, siblings });
  return [reached, key, value, proof];
}

rate(
  "inclusion proofs of 21 siblings (a 1,000,000-entry state)",
  Array.from({ length: 64 }, (_, i) => deepProof(i, 21)),
);
