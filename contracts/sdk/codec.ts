// The input codec: a fixed layout, read front to back. Integers are little-endian and
// unsigned: u8, u16, u32, u64, u128 (16 bytes); an asset id is its 12 bytes as the host
// ABI writes them; a script is a u16 length followed by that many bytes. An entry
// point's input is one fixed sequence of such fields; a short input, or bytes left over
// after the last field, traps with E_INPUT. Every field has one encoding, so a given
// request has exactly one input.
import { E_INPUT, fail, require } from "./error";
import * as host from "./host";
import { AssetId } from "./asset";
import { U128 } from "./u128";

/** A byte range in this module's memory. */
export class Bytes {
  constructor(
    public ptr: usize,
    public len: i32,
  ) {}

  static alloc(len: i32): Bytes {
    return new Bytes(heap.alloc(<usize>len), len);
  }

  equals(o: Bytes): bool {
    return this.len == o.len && memory.compare(this.ptr, o.ptr, <usize>this.len) == 0;
  }
}

export class Reader {
  pos: usize;
  end: usize;

  constructor(ptr: usize, len: i32) {
    this.pos = ptr;
    this.end = ptr + <usize>len;
  }

  private take(n: usize): usize {
    require(this.end - this.pos >= n, E_INPUT);
    const at = this.pos;
    this.pos = at + n;
    return at;
  }

  u8(): u8 {
    return load<u8>(this.take(1));
  }

  u16(): u16 {
    return load<u16>(this.take(2));
  }

  u32(): u32 {
    return load<u32>(this.take(4));
  }

  u64(): u64 {
    return load<u64>(this.take(8));
  }

  u128(): U128 {
    return U128.load(this.take(16));
  }

  asset(): AssetId {
    return AssetId.load(this.take(12));
  }

  /** n raw bytes (a view into the input, not a copy). */
  bytes(n: i32): Bytes {
    require(n >= 0, E_INPUT);
    return new Bytes(this.take(<usize>n), n);
  }

  /** A u16 length followed by that many bytes. */
  script(): Bytes {
    return this.bytes(<i32>this.u16());
  }

  remaining(): i32 {
    return <i32>(this.end - this.pos);
  }

  /** Traps with E_INPUT unless every byte was read. */
  done(): void {
    if (this.pos != this.end) fail(E_INPUT);
  }
}

/** Builds a byte string with the same layout rules as Reader. */
export class Writer {
  buf: usize;
  pos: usize;
  cap: usize;

  constructor(cap: i32) {
    this.buf = heap.alloc(<usize>cap);
    this.pos = this.buf;
    this.cap = <usize>cap;
  }

  private room(n: usize): usize {
    // Writers are sized by the contract for a fixed layout; running out is a bug.
    require(this.pos + n <= this.buf + this.cap, E_INPUT);
    const at = this.pos;
    this.pos = at + n;
    return at;
  }

  u8(v: u8): Writer {
    store<u8>(this.room(1), v);
    return this;
  }

  u16(v: u16): Writer {
    store<u16>(this.room(2), v);
    return this;
  }

  u32(v: u32): Writer {
    store<u32>(this.room(4), v);
    return this;
  }

  u64(v: u64): Writer {
    store<u64>(this.room(8), v);
    return this;
  }

  u128(v: U128): Writer {
    v.store(this.room(16));
    return this;
  }

  asset(a: AssetId): Writer {
    a.store(this.room(12));
    return this;
  }

  bytes(b: Bytes): Writer {
    memory.copy(this.room(<usize>b.len), b.ptr, <usize>b.len);
    return this;
  }

  script(b: Bytes): Writer {
    require(b.len <= 0xffff, E_INPUT);
    this.u16(<u16>b.len);
    return this.bytes(b);
  }

  finish(): Bytes {
    return new Bytes(this.buf, <i32>(this.pos - this.buf));
  }
}

/** The call's (or init's) input, read from the host. */
export function input(): Reader {
  const len = host.input_len();
  const buf = heap.alloc(<usize>len);
  host.input_read(buf);
  return new Reader(buf, len);
}
