// A price oracle for one asset pair, fed by a quorum of BIP340 signers fixed at init (m of
// n, n <= 8). Each signer attests (pair, price, height, sequence) with its own signature;
// a submission carries at least m attestations from distinct signers and becomes the
// pair's price: their median. Refused whole when any attestation is badly signed, stale
// (its height more than max_age blocks old, or in the future), out of order (its
// sequence not above that signer's last), or deviating (more than max_dev_bps from the
// submission's median). Anyone may submit; nobody needs to be trusted beyond m signers.
// Other contracts read the median with a view call (op 3; examples/lending.ts source 3).
//
// Signed message (32 bytes): sha256(oracle contract id (8) || base (12) || quote (12) ||
// price (u128 LE) || height (u64 LE) || sequence (u64 LE)); the contract id keeps an
// attestation for one oracle from being replayed to another.
// Input layouts: contracts/README.md.
import {
  AssetId,
  Bytes,
  Key,
  Reader,
  U128,
  Writer,
  fail,
  getBytes,
  height,
  input,
  mustGetBytes,
  noneReceived,
  require,
  schnorrVerify,
  selfId,
  setBytes,
  setReturn,
} from "../sdk";
import * as host from "../sdk/host";

/** Unknown operation byte. */
const E_OP: i32 = 100;
/** Bad init: m or n out of range, same asset twice. */
const E_CONFIG: i32 = 101;
/** The oracle was never initialised. */
const E_NOT_INIT: i32 = 102;
/** Fewer than m attestations. */
const E_QUORUM: i32 = 103;
/** Signer index out of range or not strictly increasing. */
const E_SIGNER: i32 = 104;
/** A signature does not verify. */
const E_SIGNATURE: i32 = 105;
/** An attestation's height is in the future or more than max_age blocks old. */
const E_STALE: i32 = 106;
/** An attestation's sequence is not above its signer's last. */
const E_ORDER: i32 = 107;
/** An attestation's price is more than max_dev_bps from the median. */
const E_DEVIATION: i32 = 108;
/** A zero price. */
const E_ZERO: i32 = 109;
/** No price has been accepted yet. */
const E_NO_PRICE: i32 = 110;

const MAX_SIGNERS: u8 = 8;
const BPS: u64 = 10_000;

// Slot 1: base (12), quote (12), m (u8), n (u8), max_age (u64), max_dev_bps (u16), then n
// x-only keys (32 each); written by init. Slot 2: median price (u128), its height (u64,
// the oldest attestation's), then each signer's last sequence (u64 x n).
const SLOT_CONFIG: u8 = 1;
const SLOT_STATE: u8 = 2;

const OP_SUBMIT: u8 = 1;
const OP_CONFIG: u8 = 2;
const OP_MEDIAN: u8 = 3;

const ATTESTATION: i32 = 1 + 16 + 8 + 8 + 64;

/** init: base (12), quote (12), m (u8), n (u8), max_age (u64), max_dev_bps (u16), n keys. */
export function init(): void {
  const r = input();
  const base = r.asset();
  const quote = r.asset();
  const m = r.u8();
  const n = r.u8();
  const maxAge = r.u64();
  const maxDev = r.u16();
  const keys = r.bytes(<i32>n * 32);
  r.done();
  require(!base.eq(quote), E_CONFIG);
  require(m >= 1 && m <= n && n <= MAX_SIGNERS && maxAge > 0, E_CONFIG);
  const w = new Writer(36 + <i32>n * 32).asset(base).asset(quote).u8(m).u8(n);
  setBytes(Key.slot(SLOT_CONFIG), w.u64(maxAge).u16(maxDev).bytes(keys).finish());
}

class Oracle {
  base: AssetId;
  quote: AssetId;
  m: u8;
  n: u8;
  maxAge: u64;
  maxDev: U128;
  keys: usize;
  price: U128 = U128.zero();
  at: u64 = 0;
  seq: StaticArray<u64> = new StaticArray<u64>(8);

  constructor() {
    const raw = mustGetBytes(Key.slot(SLOT_CONFIG), E_NOT_INIT);
    const c = new Reader(raw.ptr, raw.len);
    this.base = c.asset();
    this.quote = c.asset();
    this.m = c.u8();
    this.n = c.u8();
    this.maxAge = c.u64();
    this.maxDev = U128.from(<u64>c.u16());
    this.keys = c.bytes(<i32>this.n * 32).ptr;
    const s = getBytes(Key.slot(SLOT_STATE));
    if (s != null) {
      const r = new Reader(s.ptr, s.len);
      this.price = r.u128();
      this.at = r.u64();
      for (let i: u8 = 0; i < this.n; i++) this.seq[i] = r.u64();
    }
  }

  key(i: u8): Bytes {
    return new Bytes(this.keys + <usize>i * 32, 32);
  }

  save(): void {
    const w = new Writer(24 + <i32>this.n * 8).u128(this.price).u64(this.at);
    for (let i: u8 = 0; i < this.n; i++) w.u64(this.seq[i]);
    setBytes(Key.slot(SLOT_STATE), w.finish());
  }
}

/** The 32-byte message a signer signs for (price, height, sequence). */
function digest(o: Oracle, price: U128, at: u64, sequence: u64): Bytes {
  const w = new Writer(64);
  w.u64(selfId()).asset(o.base).asset(o.quote).u128(price).u64(at).u64(sequence);
  const pre = w.finish();
  const out = Bytes.alloc(32);
  host.sha256(pre.ptr, pre.len, out.ptr);
  return out;
}

/** |a - b| */
function distance(a: U128, b: U128): U128 {
  return a.ge(b) ? a.sub(b) : b.sub(a);
}

/**
 * submit: k (u8), then k attestations: signer (u8, strictly increasing), price (u128,
 * Q64.64 quote per base), height (u64), sequence (u64), signature (64). Returns the new
 * median (u128).
 */
function submit(o: Oracle, r: Reader): void {
  const k = r.u8();
  require(k >= o.m, E_QUORUM);
  const h = height();
  const prices = new Array<U128>();
  let oldest: u64 = u64.MAX_VALUE;
  let prev: i32 = -1;
  for (let i: u8 = 0; i < k; i++) {
    const signer = r.u8();
    const price = r.u128();
    const at = r.u64();
    const sequence = r.u64();
    const sig = r.bytes(64);
    require(<i32>signer > prev && signer < o.n, E_SIGNER);
    prev = <i32>signer;
    require(!price.isZero(), E_ZERO);
    require(at <= h && h - at <= o.maxAge, E_STALE);
    require(sequence > o.seq[signer], E_ORDER);
    require(schnorrVerify(o.key(signer), digest(o, price, at, sequence), sig), E_SIGNATURE);
    o.seq[signer] = sequence;
    if (at < oldest) oldest = at;
    // Insertion sort: at most 8 prices.
    let j = prices.length;
    prices.push(price);
    while (j > 0 && prices[j - 1].gt(price)) {
      prices[j] = prices[j - 1];
      j--;
    }
    prices[j] = price;
  }
  r.done();
  const half = prices.length / 2;
  let median: U128;
  if (prices.length % 2 == 1) median = prices[half];
  else {
    // floor((a + b) / 2) without overflowing: a + floor((b - a) / 2), a <= b.
    const lo = prices[half - 1];
    median = lo.add(prices[half].sub(lo).div(U128.from(2)));
  }
  // Within max_dev_bps of the median: ceil(|p - median| * 10^4 / median) <= max_dev_bps.
  const bps = U128.from(BPS);
  for (let i = 0; i < prices.length; i++) {
    const off = U128.mulDivUp(distance(prices[i], median), bps, median);
    require(off.le(o.maxDev), E_DEVIATION);
  }
  o.price = median;
  o.at = oldest;
  o.save();
  setReturn(new Writer(16).u128(median).finish());
}

/** config: no fields. Returns m, n (u8), max_age (u64), max_dev_bps (u16), sequences. */
function configView(o: Oracle, r: Reader): void {
  r.done();
  noneReceived();
  const w = new Writer(12 + <i32>o.n * 8).u8(o.m).u8(o.n).u64(o.maxAge);
  w.u16(<u16>o.maxDev.lo);
  for (let i: u8 = 0; i < o.n; i++) w.u64(o.seq[i]);
  setReturn(w.finish());
}

/** median: no fields. Returns the price (u128, Q64.64) and its height (u64). */
function medianView(o: Oracle, r: Reader): void {
  r.done();
  noneReceived();
  require(!o.price.isZero(), E_NO_PRICE);
  setReturn(new Writer(24).u128(o.price).u64(o.at).finish());
}

export function call(): void {
  const r = input();
  const op = r.u8();
  const o = new Oracle();
  if (op == OP_SUBMIT) submit(o, r);
  else if (op == OP_CONFIG) configView(o, r);
  else if (op == OP_MEDIAN) medianView(o, r);
  else fail(E_OP);
}
