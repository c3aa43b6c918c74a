// A strict CBOR reader for the state records a proof authenticates (spec/PROTOCOL.md §4):
// unsigned integers (major 0, and tag-2 bignums above u64), byte and text strings, arrays
// and maps with integer keys, definite lengths only. Anything else is refused, because a
// proved record is only useful if it is read exactly as the indexer's machine wrote it.

export type Cbor = bigint | Uint8Array | string | Cbor[] | Map<bigint, Cbor>;

export class CborError extends Error {
  override name = "CborError";
}

const MAX_NESTING = 8;

class Reader {
  pos = 0;
  constructor(readonly data: Uint8Array) {}

  byte(): number {
    const b = this.data[this.pos];
    if (b === undefined) throw new CborError("truncated");
    this.pos += 1;
    return b;
  }

  take(length: bigint): Uint8Array {
    if (length > BigInt(this.data.length - this.pos)) throw new CborError("truncated");
    const out = this.data.slice(this.pos, this.pos + Number(length));
    this.pos += Number(length);
    return out;
  }

  argument(info: number): bigint {
    if (info < 24) return BigInt(info);
    if (info > 27) throw new CborError(`additional information ${info} is not allowed`);
    let value = 0n;
    for (let i = 0; i < 1 << (info - 24); i++) value = (value << 8n) | BigInt(this.byte());
    return value;
  }

  item(depth: number): Cbor {
    if (depth > MAX_NESTING) throw new CborError(`nested more than ${MAX_NESTING} deep`);
    const head = this.byte();
    const major = head >> 5;
    const arg = this.argument(head & 0x1f);
    switch (major) {
      case 0:
        return arg;
      case 2:
        return this.take(arg);
      case 3:
        return new TextDecoder("utf-8", { fatal: true }).decode(this.take(arg));
      case 4: {
        const out: Cbor[] = [];
        for (let i = 0n; i < arg; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        const out = new Map<bigint, Cbor>();
        for (let i = 0n; i < arg; i++) {
          const key = this.item(depth + 1);
          if (typeof key !== "bigint") throw new CborError("a map key is not an integer");
          if (out.has(key)) throw new CborError(`map key ${key} is duplicated`);
          out.set(key, this.item(depth + 1));
        }
        return out;
      }
      case 6: {
        if (arg !== 2n) throw new CborError(`tag ${arg} is not allowed`);
        const bytes = this.item(depth + 1);
        if (!(bytes instanceof Uint8Array)) throw new CborError("a bignum is not a byte string");
        return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
      }
      default:
        throw new CborError(`major type ${major} is not allowed`);
    }
  }
}

export function decodeCbor(data: Uint8Array): Cbor {
  const reader = new Reader(data);
  const value = reader.item(0);
  if (reader.pos !== data.length) throw new CborError(`${data.length - reader.pos} bytes follow`);
  return value;
}
