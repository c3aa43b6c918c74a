// spec/vectors/proofs.json: the verifier accepts every valid case and refuses every other,
// at the §25.2 step the case was built to fail.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fromHex } from "../src/hex.js";
import { ProofError, verifyProof } from "../src/proof.js";

interface Case {
  name: string;
  key: string;
  value: string | null;
  proof: string;
  valid: boolean;
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../../spec/vectors/proofs.json", import.meta.url), "utf8"),
) as { root: string; cases: Case[] };

/** The step each invalid case must fail at, by what the case's name says it breaks. */
const STEPS: Record<string, number> = {
  "inclusion with the wrong value": 5,
  "inclusion claimed absent": 2,
  "absent key claimed present": 2,
  "a sibling byte flipped": 5,
  "truncated by one byte": 1,
  "one trailing byte": 1,
  "header only": 1,
  "unknown kind 3": 1,
  "depth above 256": 1,
  "depth one deeper than the tree": 5,
  "an empty sibling listed explicitly": 1,
  "bitmap padding bit set": 1,
  "the other leaf is the key itself": 3,
  "the other leaf shares too few bits": 3,
  "a valid proof against an older root": 5,
  "oversized: 9,000 bytes": 1,
};

const root = fromHex(vectors.root);

test("the vectors hold 4 valid and 16 invalid cases", () => {
  assert.equal(vectors.cases.filter((c) => c.valid).length, 4);
  assert.equal(vectors.cases.filter((c) => !c.valid).length, 16);
});

for (const vector of vectors.cases) {
  test(`${vector.valid ? "accepts" : "refuses"}: ${vector.name}`, () => {
    const run = (): void =>
      verifyProof(
        root,
        fromHex(vector.key),
        vector.value === null ? null : fromHex(vector.value),
        fromHex(vector.proof),
      );
    if (vector.valid) {
      run();
      return;
    }
    const step = STEPS[vector.name];
    assert.ok(step !== undefined, `no expected step for ${vector.name}`);
    assert.throws(run, (error: unknown) => error instanceof ProofError && error.step === step);
  });
}

test("a valid proof refused against the empty root and a root of the wrong length", () => {
  const valid = vectors.cases.find((c) => c.valid && c.value !== null)!;
  const args = [fromHex(valid.key), fromHex(valid.value!), fromHex(valid.proof)] as const;
  assert.throws(() => verifyProof(new Uint8Array(32), ...args), ProofError);
  assert.throws(() => verifyProof(root.subarray(1), ...args), /a root is 32 bytes/);
});
