// The state keys a wallet asks about and the records stored under them (spec/PROTOCOL.md
// §9.2-§9.4). Keys are derived here from what the wallet asked, never taken from an answer,
// so an indexer cannot prove some other key's value in place of the one asked for.

import { type Cbor, CborError, decodeCbor } from "./cbor.js";
import { concat, fromHex } from "./hex.js";

const UTXO_PREFIX = 0x01;
const TOKEN_PREFIX = 0x02;
const STORAGE_PREFIX = 0x06;
const OUTPOINT = /^([0-9a-fA-F]{64}):(0|[1-9][0-9]{0,9})$/;
const ASSET_ID = /^(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,9})(?::(0|[1-9][0-9]{0,9}))?$/;
const U32_MAX = 0xffffffff;

function u32(value: number, what: string): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new RangeError(`${what} ${value} is not a u32`);
  }
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

export function isOutpoint(text: string): boolean {
  return OUTPOINT.test(text);
}

/** `TXID:VOUT` (txid in RPC order) to `0x01 || txid (internal order) || vout (u32 BE)`. */
export function outpointKey(outpoint: string): Uint8Array {
  const match = OUTPOINT.exec(outpoint);
  if (match === null)
    throw new TypeError(`${outpoint.slice(0, 100)} is not an outpoint (TXID:VOUT)`);
  const txid = fromHex(match[1] as string).reverse();
  return concat(Uint8Array.of(UTXO_PREFIX), txid, u32(Number(match[2]), "vout"));
}

/** `HEIGHT:INDEX` (or `HEIGHT:INDEX:SUB`) to its 8 (12) bytes. */
export function assetIdBytes(id: string): Uint8Array {
  const match = ASSET_ID.exec(id);
  if (match === null) throw new TypeError(`${id.slice(0, 100)} is not an id HEIGHT:INDEX`);
  return concat(
    ...match
      .slice(1)
      .filter((p) => p !== undefined)
      .map((p) => u32(Number(p), "id part")),
  );
}

export function formatAssetId(bytes: Uint8Array): string {
  const parts: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 4 <= bytes.length; i += 4) parts.push(view.getUint32(i));
  return parts.join(":");
}

export function tokenKey(token: string): Uint8Array {
  return concat(Uint8Array.of(TOKEN_PREFIX), assetIdBytes(token));
}

export function storageKey(contract: string, slotHex: string): Uint8Array {
  const slot = fromHex(slotHex, "storage slot");
  if (slot.length !== 32) throw new TypeError("a storage slot is 32 bytes");
  return concat(Uint8Array.of(STORAGE_PREFIX), assetIdBytes(contract), slot);
}

/** What one outpoint holds (§9.3): amounts in base units, as bigint (they reach u128). */
export interface OutpointAssets {
  balances: { token: string; amount: bigint }[];
  authorities: string[];
}

function map(value: Cbor, what: string): Map<bigint, Cbor> {
  if (!(value instanceof Map)) throw new CborError(`${what} is not a map`);
  return value;
}

function array(value: Cbor | undefined, what: string): Cbor[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new CborError(`${what} is not an array`);
  return value;
}

function bytes(value: Cbor | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CborError(`${what} is not a byte string`);
  return value;
}

function uint(value: Cbor | undefined, what: string): bigint {
  if (typeof value !== "bigint") throw new CborError(`${what} is not an integer`);
  return value;
}

export function decodeOutpointAssets(raw: Uint8Array | null): OutpointAssets {
  if (raw === null) return { balances: [], authorities: [] };
  const record = map(decodeCbor(raw), "a UTXO record");
  return {
    balances: array(record.get(0n), "balances").map((pair) => {
      const [token, amount] = array(pair, "a balance");
      return {
        token: formatAssetId(bytes(token, "a token id")),
        amount: uint(amount, "an amount"),
      };
    }),
    authorities: array(record.get(1n), "authorities").map((t) =>
      formatAssetId(bytes(t, "an authority")),
    ),
  };
}

/** The fields of a token record (§9.4) a wallet shows; the rest stay with the indexer. */
export interface TokenInfo {
  ticker: string;
  decimals: number;
  maxSupply: bigint;
  minted: bigint;
  burned: bigint;
}

export function decodeTokenRecord(raw: Uint8Array): TokenInfo {
  const record = map(decodeCbor(raw), "a token record");
  const ticker = record.get(0n);
  if (typeof ticker !== "string") throw new CborError("the ticker is not text");
  return {
    ticker,
    decimals: Number(uint(record.get(1n), "decimals")),
    maxSupply: uint(record.get(2n), "max supply"),
    minted: uint(record.get(3n), "minted"),
    burned: uint(record.get(4n), "burned"),
  };
}
