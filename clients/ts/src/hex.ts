// Hex strings to bytes and back, strict: every byte the client hashes came from an indexer,
// so a malformed string must be refused, never read leniently as something else.

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function fromHex(text: string, what = "hex"): Uint8Array {
  if (typeof text !== "string" || !HEX.test(text)) {
    throw new TypeError(`${what} is not an even-length hex string`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
