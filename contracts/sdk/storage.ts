// Contract storage: 32-byte keys derived deterministically, raw byte values.
//
// Key derivation (fixed; changing it moves every stored value):
//   slot(n)          = 31 zero bytes followed by the byte n        (a single value)
//   mapKey(n, data)  = sha256(byte n || data)                      (an entry of map n)
// A slot key has 31 leading zero bytes, which a sha256 output has with probability
// 2^-248, so the two families do not collide. Numbers are stored little-endian at
// fixed width (u64: 8 bytes, u128: 16 bytes); an absent key reads as zero.
import { E_STORAGE, fail } from "./error";
import * as host from "./host";
import { Bytes, Writer } from "./codec";
import { U128 } from "./u128";

export const KEY_SIZE: i32 = 32;

export class Key {
  constructor(public ptr: usize) {}

  /** The key of a single value in slot n. */
  static slot(n: u8): Key {
    const p = heap.alloc(32);
    memory.fill(p, 0, 31);
    store<u8>(p, n, 31);
    return new Key(p);
  }

  /** The key of `data`'s entry in map n: sha256(n || data). */
  static map(n: u8, data: Bytes): Key {
    const w = new Writer(1 + data.len);
    w.u8(n).bytes(data);
    const pre = w.finish();
    const p = heap.alloc(32);
    host.sha256(pre.ptr, pre.len, p);
    return new Key(p);
  }

  /** The key of entry `v` (as u32 LE) in map n. */
  static mapU32(n: u8, v: u32): Key {
    const w = new Writer(4);
    w.u32(v);
    return Key.map(n, w.finish());
  }
}

// Values are at most 1,024 bytes (spec §17.3), so one host call reads any of them.
const MAX_VALUE: i32 = 1_024;
const VALUE_BUF: usize = memory.data(MAX_VALUE);

/** The stored bytes, or null when the key is absent. */
export function getBytes(key: Key): Bytes | null {
  const len = host.storage_get(key.ptr, VALUE_BUF, MAX_VALUE);
  if (len < 0) return null;
  const b = Bytes.alloc(len);
  if (len <= MAX_VALUE) memory.copy(b.ptr, VALUE_BUF, <usize>len);
  else host.storage_get(key.ptr, b.ptr, len);
  return b;
}

/** The stored bytes; traps with `code` when the key is absent. */
export function mustGetBytes(key: Key, code: i32): Bytes {
  const b = getBytes(key);
  if (b == null) fail(code);
  return b!;
}

export function setBytes(key: Key, value: Bytes): void {
  host.storage_set(key.ptr, value.ptr, value.len);
}

export function remove(key: Key): void {
  host.storage_delete(key.ptr);
}

export function has(key: Key): bool {
  return host.storage_get(key.ptr, 0, 0) >= 0;
}

// Scratch for fixed-width values.
const VAL: usize = memory.data(16);

function getFixed(key: Key, width: i32): bool {
  const len = host.storage_get(key.ptr, VAL, width);
  if (len < 0) return false;
  if (len != width) fail(E_STORAGE);
  return true;
}

export function getU64(key: Key): u64 {
  return getFixed(key, 8) ? load<u64>(VAL) : 0;
}

export function setU64(key: Key, v: u64): void {
  store<u64>(VAL, v);
  host.storage_set(key.ptr, VAL, 8);
}

export function getU128(key: Key): U128 {
  return getFixed(key, 16) ? U128.load(VAL) : U128.zero();
}

export function setU128(key: Key, v: U128): void {
  v.store(VAL);
  host.storage_set(key.ptr, VAL, 16);
}
