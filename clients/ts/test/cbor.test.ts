// The CBOR reader for proved records: the forms the protocol writes, and refusal of the rest.
// Inputs are written byte by byte from RFC 8949, not produced by the code under test.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CborError, decodeCbor } from "../src/cbor.js";
import { fromHex } from "../src/hex.js";
import { decodeOutpointAssets } from "../src/records.js";

test("integers, a tag-2 bignum above u64, strings, arrays and integer-keyed maps", () => {
  assert.equal(decodeCbor(fromHex("17")), 23n);
  assert.equal(decodeCbor(fromHex("1bffffffffffffffff")), 2n ** 64n - 1n);
  assert.equal(decodeCbor(fromHex("c249010000000000000000")), 2n ** 64n);
  assert.equal(decodeCbor(fromHex("64524f4f54")), "ROOT");
  assert.deepEqual(decodeCbor(fromHex("420102")), Uint8Array.of(1, 2));
  assert.deepEqual(
    decodeCbor(fromHex("a2008101016161")),
    new Map<bigint, unknown>([
      [0n, [1n]],
      [1n, "a"],
    ]),
  );
});

test("indefinite lengths, other tags, negatives, floats, duplicate keys and trailing bytes are refused", () => {
  for (const hex of ["9f01ff", "c1190100", "20", "f93c00", "a200010002", "0101", "5a00000010"]) {
    assert.throws(() => decodeCbor(fromHex(hex)), CborError, hex);
  }
});

test("a UTXO record: 1,000 of token 1:1 and the authority of 3:1", () => {
  // {0: [[h'0000000100000001', 1000]], 1: [h'0000000300000001']}
  const raw = fromHex("a20081824800000001000000011903e8018148" + "0000000300000001");
  assert.deepEqual(decodeOutpointAssets(raw), {
    balances: [{ token: "1:1", amount: 1000n }],
    authorities: ["3:1"],
  });
  assert.deepEqual(decodeOutpointAssets(null), { balances: [], authorities: [] });
});
