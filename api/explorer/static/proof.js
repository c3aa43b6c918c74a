// spec/STATE_ROOT.md §25.2, checked in the browser with crypto.subtle's SHA-256 (or, where
// the page is no secure context, an implementation of its own, below): the same
// steps as protocol/tree_proof.py (and `rootstate check`), so a page never takes the
// indexer's word that a proof holds. The result names the step that failed.
"use strict";

const EMPTY = new Uint8Array(32);
const PATH_BITS = 256;
const MAX_PROOF_LEN = 3 + 64 + PATH_BITS / 8 + PATH_BITS * 32;

class ProofError extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
}

function fromHex(text, what) {
  const clean = text.trim();
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new ProofError(1, `${what} is not hex (an even number of 0-9, a-f)`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = parseInt(clean.substr(2 * i, 2), 16);
  }
  return out;
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function subtleSha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// FIPS 180-4 SHA-256, for pages that are no secure context (plain HTTP from another host),
// where browsers withhold crypto.subtle. The constants are the fractional parts of the
// primes' square and cube roots, as the standard defines them (a double holds enough bits).
const PRIMES = [];
for (let n = 2; PRIMES.length < 64; n += 1) {
  if (PRIMES.every((p) => n % p !== 0)) PRIMES.push(n);
}
const frac32 = (x) => ((x - Math.floor(x)) * 0x100000000) >>> 0;
const ROUND_K = Uint32Array.from(PRIMES, (p) => frac32(Math.cbrt(p)));
const INITIAL_H = Uint32Array.from(PRIMES.slice(0, 8), (p) => frac32(Math.sqrt(p)));
const rotr = (x, n) => (x >>> n) | (x << (32 - n));

function fallbackSha256(bytes) {
  const length = bytes.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  const h = Uint32Array.from(INITIAL_H);
  const w = new Uint32Array(64);
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i += 1) w[i] = view.getUint32(block + 4 * i);
    for (let i = 16; i < 64; i += 1) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i += 1) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
        ROUND_K[i] + w[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    [a, b, c, d, e, f, g, hh].forEach((x, i) => {
      h[i] += x;
    });
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  h.forEach((x, i) => outView.setUint32(4 * i, x));
  return out;
}

const SECURE = Boolean(window.crypto && crypto.subtle);
// Reassignable so the tests can run every check through the fallback too.
let sha256 = SECURE ? subtleSha256 : async (bytes) => fallbackSha256(bytes);

function pathBit(path, index) {
  return (path[index >> 3] >> (7 - (index % 8))) & 1;
}

function commonPrefixBits(a, b) {
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] !== b[i]) {
      return 8 * i + Math.clz32(a[i] ^ b[i]) - 24;
    }
  }
  return 8 * a.length;
}

// Step 1: the proof parses exactly by §25.1.
function decode(data) {
  if (data.length > MAX_PROOF_LEN) {
    throw new ProofError(1, `a proof of ${data.length} bytes is longer than any proof can be`);
  }
  if (data.length < 3) throw new ProofError(1, "the proof is truncated: no header");
  const kind = data[0];
  const depth = (data[1] << 8) | data[2];
  if (kind > 2) throw new ProofError(1, `proof kind ${kind} is unknown`);
  if (depth > PATH_BITS) throw new ProofError(1, `proof depth ${depth} is above 256`);
  let pos = 3;
  let otherPath = null;
  let otherValueHash = null;
  if (kind === 2) {
    if (data.length < pos + 64) throw new ProofError(1, "the proof is truncated inside its leaf");
    otherPath = data.slice(pos, pos + 32);
    otherValueHash = data.slice(pos + 32, pos + 64);
    pos += 64;
  }
  const bitmapLen = (depth + 7) >> 3;
  if (data.length < pos + bitmapLen) {
    throw new ProofError(1, "the proof is truncated inside its bitmap");
  }
  const bitmap = data.slice(pos, pos + bitmapLen);
  pos += bitmapLen;
  if (depth % 8 && bitmap[bitmapLen - 1] & (0xff >> (depth % 8))) {
    throw new ProofError(1, "the proof's bitmap has bits set past its depth");
  }
  const present = [];
  for (let i = 0; i < depth; i += 1) present.push(pathBit(bitmap, i) === 1);
  const expected = pos + 32 * present.filter(Boolean).length;
  if (data.length < expected) {
    throw new ProofError(1, `the proof is truncated: ${data.length} bytes, its bitmap needs ${expected}`);
  }
  if (data.length > expected) {
    throw new ProofError(1, `the proof has ${data.length - expected} bytes after its last sibling`);
  }
  const siblings = [];
  for (const here of present) {
    if (!here) {
      siblings.push(EMPTY);
    } else {
      const sibling = data.slice(pos, pos + 32);
      if (equal(sibling, EMPTY)) {
        throw new ProofError(1, "the proof lists an empty sibling its bitmap should leave out");
      }
      siblings.push(sibling);
      pos += 32;
    }
  }
  return { kind, depth, siblings, otherPath, otherValueHash };
}

// Steps 2-5: the claim matches the kind, the other leaf is a neighbour, and the path from
// the leaf up through the siblings reaches the root.
async function verify(root, key, value, proofBytes) {
  if (root.length !== 32) throw new ProofError(5, `a root is 32 bytes, not ${root.length}`);
  const proof = decode(proofBytes);
  const path = await sha256(key);
  let node;
  if (value !== null) {
    if (proof.kind !== 0) {
      throw new ProofError(2, "the proof shows the key is absent, but a value was claimed");
    }
    node = await sha256(concat([0], path, await sha256(value)));
  } else if (proof.kind === 0) {
    throw new ProofError(2, "the proof shows the key is present, but it was claimed absent");
  } else if (proof.kind === 1) {
    node = EMPTY;
  } else {
    if (equal(proof.otherPath, path)) {
      throw new ProofError(3, "the proof's other leaf is the key itself: the key is present");
    }
    if (commonPrefixBits(proof.otherPath, path) < proof.depth) {
      throw new ProofError(3, `the proof's other leaf does not share the key's first ${proof.depth} bits`);
    }
    node = await sha256(concat([0], proof.otherPath, proof.otherValueHash));
  }
  for (let index = proof.depth - 1; index >= 0; index -= 1) {
    const sibling = proof.siblings[index];
    node = pathBit(path, index)
      ? await sha256(concat([1], sibling, node))
      : await sha256(concat([1], node, sibling));
  }
  if (!equal(node, root)) {
    throw new ProofError(5, `the proof leads to root ${toHex(node)}, not to ${toHex(root)}`);
  }
  return proof;
}

// The proved value in CBOR diagnostic notation (RFC 8949 §8), decoded here from the bytes
// the proof covers, so what was proved reads as numbers, not only as hex. State values are
// canonical CBOR of unsigned integers, byte and text strings, arrays, maps and bignums.
function cborDiagnostic(bytes) {
  let pos = 0;
  const take = (n) => {
    if (pos + n > bytes.length) throw new Error("truncated");
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const argument = (info) => {
    if (info < 24) return BigInt(info);
    if (info > 27) throw new Error("indefinite or reserved length");
    return Array.from(take(1 << (info - 24))).reduce((n, b) => (n << 8n) | BigInt(b), 0n);
  };
  const item = (depth) => {
    if (depth > 32) throw new Error("nested too deep");
    const head = take(1)[0];
    const major = head >> 5;
    const n = argument(head & 31);
    const count = Number(n);
    switch (major) {
      case 0: return n.toString();
      case 1: return (-1n - n).toString();
      case 2: return `h'${toHex(take(count))}'`;
      case 3: return JSON.stringify(new TextDecoder("utf-8", { fatal: true }).decode(take(count)));
      case 4: return `[${Array.from({ length: count }, () => item(depth + 1)).join(", ")}]`;
      case 5: {
        const pairs = Array.from({ length: count }, () => `${item(depth + 1)}: ${item(depth + 1)}`);
        return `{${pairs.join(", ")}}`;
      }
      case 6: {
        if ((n === 2n || n === 3n) && bytes[pos] >> 5 === 2) { // bignums: tags 2 and 3
          const digits = take(Number(argument(take(1)[0] & 31)));
          const big = digits.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
          return (n === 2n ? big : -1n - big).toString();
        }
        return `${n}(${item(depth + 1)})`;
      }
      default: throw new Error("a float or simple value");
    }
  };
  try {
    const text = item(0);
    if (pos !== bytes.length) throw new Error("bytes after the item");
    return text;
  } catch (error) {
    return `(not CBOR: ${error.message})`;
  }
}

function show(box, state, text) {
  box.dataset.state = state;
  box.querySelector(".result").textContent = text;
}

const KINDS = ["inclusion", "absent (empty subtree)", "absent (another leaf)"];

async function checkForm(form, box) {
  const field = (name) => form.elements.namedItem(name).value;
  if (!field("root") && !field("key") && !field("proof")) {
    show(box, "empty", "Fill in a root, a key and a proof to check.");
    return;
  }
  try {
    const present = field("claim") === "present";
    const root = fromHex(field("root"), "the root");
    const key = fromHex(field("key"), "the key");
    const value = present ? fromHex(field("value"), "the value") : null;
    const proof = await verify(root, key, value, fromHex(field("proof"), "the proof"));
    const what = present ? `holds ${cborDiagnostic(value)}` : "is absent";
    const engine = SECURE ? "crypto.subtle" : "the page's own SHA-256 (no crypto.subtle here)";
    show(box, "ok", `✔ Verified in this browser: the key ${what} in the state whose root is ` +
      `${toHex(root)} (${KINDS[proof.kind]} proof, depth ${proof.depth}; ${engine}).`);
  } catch (error) {
    const step = error instanceof ProofError ? `step ${error.step}` : "error";
    show(box, "failed", `✘ Proof FAILED (spec §25.2 ${step}): ${error.message}`);
  }
}

// spec §11.2: the state hash the nodes compare commits to this root.
async function checkCommitment(element) {
  const d = element.dataset;
  try {
    const blockHash = fromHex(d.blockHash, "the block hash").reverse(); // internal order
    const digest = await sha256(concat(fromHex(d.previous, "the previous state hash"),
      blockHash, fromHex(d.eventsHash, "the events hash"), fromHex(d.stateRoot, "the root")));
    const ok = toHex(digest) === d.stateHash.toLowerCase();
    element.dataset.state = ok ? "ok" : "failed";
    element.querySelector(".result").textContent = ok
      ? "✔ it commits to this root."
      : `✘ it does NOT commit to this root (computed ${toHex(digest)}).`;
  } catch (error) {
    element.dataset.state = "failed";
    element.querySelector(".result").textContent = `✘ ${error.message}`;
  }
}

function start() {
  const form = document.getElementById("proof-form");
  const box = document.getElementById("proof-result");
  if (!form || !box) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(box, "pending", "Checking…");
    checkForm(form, box);
  });
  checkForm(form, box);
  const commitment = document.getElementById("commitment");
  if (commitment) checkCommitment(commitment);
}

start();
