// State proofs, spec/STATE_ROOT.md §25: parse the bytes of §25.1 exactly and recompute the
// root by §25.2. This module decides what "verified" means, so it checks every byte and
// names the step that failed; it depends on SHA-256 alone.

import { sha256 } from "@noble/hashes/sha2.js";
import { equal, toHex } from "./hex.js";

export const EMPTY = new Uint8Array(32);
const PATH_BITS = 256;
/** §25.2 step 1: kind and depth, the other leaf, a full bitmap and 256 siblings. */
export const MAX_PROOF_LEN = 3 + 64 + PATH_BITS / 8 + PATH_BITS * 32;

export enum ProofKind {
  Inclusion = 0,
  AbsentEmpty = 1,
  AbsentOtherLeaf = 2,
}

/** The §25.2 step a proof failed at (1 parse, 2 claim vs kind, 3 other leaf, 5 root). */
export type ProofStep = 1 | 2 | 3 | 5;

export class ProofError extends Error {
  constructor(
    readonly step: ProofStep,
    message: string,
  ) {
    super(`step ${step}: ${message}`);
    this.name = "ProofError";
  }
}

export interface Proof {
  kind: ProofKind;
  /** Siblings from depth 1 to depth, EMPTY where the bitmap bit is 0. */
  siblings: Uint8Array[];
  otherPath?: Uint8Array;
  otherValueHash?: Uint8Array;
}

function bit(bytes: Uint8Array, index: number): number {
  return ((bytes[index >> 3] ?? 0) >> (7 - (index & 7))) & 1;
}

/** §25.1: the one proof `data` encodes, or ProofError (step 1). */
export function decodeProof(data: Uint8Array): Proof {
  const fail = (message: string): never => {
    throw new ProofError(1, message);
  };
  if (data.length > MAX_PROOF_LEN) fail(`${data.length} bytes is longer than any proof`);
  if (data.length < 3) fail(`${data.length} bytes is truncated: no header`);
  const kindByte = data[0] as number;
  const depth = ((data[1] as number) << 8) | (data[2] as number);
  if (kindByte > 2) fail(`kind ${kindByte} is unknown`);
  const kind = kindByte as ProofKind;
  if (depth > PATH_BITS) fail(`depth ${depth} is above ${PATH_BITS}`);
  let pos = 3;
  const proof: Proof = { kind, siblings: [] };
  if (kind === ProofKind.AbsentOtherLeaf) {
    if (data.length < pos + 64) fail("truncated inside its other leaf");
    proof.otherPath = data.slice(pos, pos + 32);
    proof.otherValueHash = data.slice(pos + 32, pos + 64);
    pos += 64;
  }
  const bitmapLen = (depth + 7) >> 3;
  if (data.length < pos + bitmapLen) fail("truncated inside its bitmap");
  const bitmap = data.subarray(pos, pos + bitmapLen);
  pos += bitmapLen;
  if (depth % 8 !== 0 && ((bitmap[bitmapLen - 1] as number) & (0xff >> depth % 8)) !== 0) {
    fail("bitmap has bits set past its depth");
  }
  let listed = 0;
  for (let i = 0; i < depth; i++) listed += bit(bitmap, i);
  const expected = pos + 32 * listed;
  if (data.length < expected) fail(`truncated: ${data.length} bytes, its bitmap needs ${expected}`);
  if (data.length > expected) fail(`${data.length - expected} bytes follow its last sibling`);
  for (let i = 0; i < depth; i++) {
    if (!bit(bitmap, i)) {
      proof.siblings.push(EMPTY);
      continue;
    }
    const sibling = data.slice(pos, pos + 32);
    if (equal(sibling, EMPTY)) fail("lists an EMPTY sibling its bitmap should have left out");
    proof.siblings.push(sibling);
    pos += 32;
  }
  return proof;
}

const LEAF = 0x00;
const NODE = 0x01;
/** §23.2's 65-byte hash inputs, filled in place: verification is synchronous, so one suffices. */
const scratch = new Uint8Array(65);

/** H(tag || a || b) for 32-byte a and b. */
function hash3(tag: number, a: Uint8Array, b: Uint8Array): Uint8Array {
  scratch[0] = tag;
  scratch.set(a, 1);
  scratch.set(b, 33);
  return sha256(scratch);
}

function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < PATH_BITS; i++) if (bit(a, i) !== bit(b, i)) return i;
  return PATH_BITS;
}

/** §25.2 steps 2-4: the root `proof` leads to for `key` holding `value` (null: absent). */
export function proofRoot(key: Uint8Array, value: Uint8Array | null, proof: Proof): Uint8Array {
  const path = sha256(key);
  const depth = proof.siblings.length;
  let node: Uint8Array;
  if (value !== null) {
    if (proof.kind !== ProofKind.Inclusion) {
      throw new ProofError(2, "the proof shows the key is absent, but a value was claimed");
    }
    node = hash3(LEAF, path, sha256(value));
  } else if (proof.kind === ProofKind.Inclusion) {
    throw new ProofError(2, "the proof shows the key is present, but it was claimed absent");
  } else if (proof.kind === ProofKind.AbsentEmpty) {
    node = EMPTY;
  } else {
    const other = proof.otherPath as Uint8Array;
    if (equal(other, path)) {
      throw new ProofError(3, "the proof's other leaf is the key itself: the key is present");
    }
    if (commonPrefixBits(other, path) < depth) {
      throw new ProofError(
        3,
        `the proof's other leaf does not share the key's first ${depth} bits`,
      );
    }
    node = hash3(LEAF, other, proof.otherValueHash as Uint8Array);
  }
  for (let j = depth; j >= 1; j--) {
    const sibling = proof.siblings[j - 1] as Uint8Array;
    node = bit(path, j - 1) ? hash3(NODE, sibling, node) : hash3(NODE, node, sibling);
  }
  return node;
}

/**
 * §25.2: return if `proof` shows that `key` holds `value` (null: is absent) in the state
 * whose root is `root`; throw ProofError naming the failed step otherwise.
 */
export function verifyProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: Uint8Array,
): void {
  if (root.length !== 32) throw new ProofError(5, `a root is 32 bytes, not ${root.length}`);
  const reached = proofRoot(key, value, decodeProof(proof));
  if (!equal(reached, root)) {
    throw new ProofError(5, `the proof leads to root ${toHex(reached)}, not to ${toHex(root)}`);
  }
}
