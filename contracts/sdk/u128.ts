// Unsigned 128-bit amounts and the 256-bit intermediates that products of two of them
// need. AssemblyScript has no native u128; every operation here is exact and checked:
// a result that does not fit traps (E_OVERFLOW / E_UNDERFLOW / E_DIV_ZERO) instead of
// wrapping, so no contract can silently mint value through an overflow.
import { E_DIV_ZERO, E_OVERFLOW, E_UNDERFLOW, fail } from "./error";

// High half of the last mul64 (a second return value without an allocation).
let mulHi: u64 = 0;

/** Low 64 bits of a*b; the high 64 bits are left in mulHi. */
function mul64(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff;
  const a1 = a >> 32;
  const b0 = b & 0xffffffff;
  const b1 = b >> 32;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  // Three 32-bit quantities: at most 3 * (2^32 - 1), so no overflow.
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  mulHi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  return (mid << 32) | (p00 & 0xffffffff);
}

// Carry between adc calls.
let carry: u64 = 0;

/** a + b + carry, leaving the carry out (0 or 1) in carry. */
function adc(a: u64, b: u64): u64 {
  const t = a + b;
  const s = t + carry;
  carry = t < a || s < t ? 1 : 0;
  return s;
}

export class U128 {
  constructor(
    public lo: u64 = 0,
    public hi: u64 = 0,
  ) {}

  static zero(): U128 {
    return new U128(0, 0);
  }

  static from(v: u64): U128 {
    return new U128(v, 0);
  }

  /** Reads 16 bytes little-endian at ptr. */
  static load(ptr: usize): U128 {
    return new U128(load<u64>(ptr), load<u64>(ptr, 8));
  }

  /** Writes 16 bytes little-endian at ptr. */
  store(ptr: usize): void {
    store<u64>(ptr, this.lo);
    store<u64>(ptr, this.hi, 8);
  }

  isZero(): bool {
    return (this.lo | this.hi) == 0;
  }

  eq(o: U128): bool {
    return this.lo == o.lo && this.hi == o.hi;
  }

  lt(o: U128): bool {
    return this.hi < o.hi || (this.hi == o.hi && this.lo < o.lo);
  }

  le(o: U128): bool {
    return !o.lt(this);
  }

  gt(o: U128): bool {
    return o.lt(this);
  }

  ge(o: U128): bool {
    return !this.lt(o);
  }

  min(o: U128): U128 {
    return o.lt(this) ? o : this;
  }

  /** this + o; traps with E_OVERFLOW past 2^128 - 1. */
  add(o: U128): U128 {
    const lo = this.lo + o.lo;
    const carry: u64 = lo < this.lo ? 1 : 0;
    const hi1 = this.hi + o.hi;
    if (hi1 < this.hi) fail(E_OVERFLOW);
    const hi = hi1 + carry;
    if (hi < hi1) fail(E_OVERFLOW);
    return new U128(lo, hi);
  }

  /** this - o; traps with E_UNDERFLOW below zero. */
  sub(o: U128): U128 {
    if (this.lt(o)) fail(E_UNDERFLOW);
    const borrow: u64 = this.lo < o.lo ? 1 : 0;
    return new U128(this.lo - o.lo, this.hi - o.hi - borrow);
  }

  /** this * o; traps with E_OVERFLOW past 2^128 - 1. */
  mul(o: U128): U128 {
    return U256.mul(this, o).toU128();
  }

  /** floor(this / d); traps with E_DIV_ZERO when d is zero. */
  div(d: U128): U128 {
    return U256.fromU128(this).divmod(U256.fromU128(d)).toU128();
  }

  /** floor(a * b / c), exact through a 256-bit product; traps if the result exceeds u128. */
  static mulDiv(a: U128, b: U128, c: U128): U128 {
    return U256.mul(a, b).divmod(U256.fromU128(c)).toU128();
  }

  /** ceil(a * b / c), exact through a 256-bit product; traps if the result exceeds u128. */
  static mulDivUp(a: U128, b: U128, c: U128): U128 {
    const q = U256.mul(a, b).divmod(U256.fromU128(c));
    if (divInexact) q.addInPlace(U256.one());
    return q.toU128();
  }

  /** floor(sqrt(a * b)), exact; always fits in 128 bits. */
  static sqrtMul(a: U128, b: U128): U128 {
    return U256.mul(a, b).sqrt().toU128();
  }
}

// Whether the last U256.divmod left a remainder (a second return value; a global
// object would need a start function to construct it).
let divInexact: bool = false;

/** Unsigned 256-bit integer, four 64-bit limbs, w0 least significant. */
export class U256 {
  constructor(
    public w0: u64,
    public w1: u64,
    public w2: u64,
    public w3: u64,
  ) {}

  static one(): U256 {
    return new U256(1, 0, 0, 0);
  }

  static fromU128(v: U128): U256 {
    return new U256(v.lo, v.hi, 0, 0);
  }

  /** The full 256-bit product of two u128 values (it never overflows). */
  static mul(a: U128, b: U128): U256 {
    const r = new U256(0, 0, 0, 0);
    const ll = mul64(a.lo, b.lo);
    const llh = mulHi;
    const lh = mul64(a.lo, b.hi);
    const lhh = mulHi;
    const hl = mul64(a.hi, b.lo);
    const hlh = mulHi;
    const hh = mul64(a.hi, b.hi);
    const hhh = mulHi;
    r.w0 = ll;
    r.addInPlace(new U256(0, llh, 0, 0));
    r.addInPlace(new U256(0, lh, lhh, 0));
    r.addInPlace(new U256(0, hl, hlh, 0));
    r.addInPlace(new U256(0, 0, hh, hhh));
    return r;
  }

  isZero(): bool {
    return (this.w0 | this.w1 | this.w2 | this.w3) == 0;
  }

  /** The u128 value; traps with E_OVERFLOW when the upper half is not zero. */
  toU128(): U128 {
    if ((this.w2 | this.w3) != 0) fail(E_OVERFLOW);
    return new U128(this.w0, this.w1);
  }

  limb(i: i32): u64 {
    if (i == 0) return this.w0;
    if (i == 1) return this.w1;
    if (i == 2) return this.w2;
    return this.w3;
  }

  /** Number of significant bits (0 for zero). */
  bitLength(): i32 {
    if (this.w3 != 0) return 256 - <i32>clz(this.w3);
    if (this.w2 != 0) return 192 - <i32>clz(this.w2);
    if (this.w1 != 0) return 128 - <i32>clz(this.w1);
    return 64 - <i32>clz(this.w0);
  }

  bit(i: i32): u64 {
    return (this.limb(i >> 6) >> (<u64>(i & 63))) & 1;
  }

  setBit(i: i32): void {
    const m: u64 = (<u64>1) << (<u64>(i & 63));
    const l = i >> 6;
    if (l == 0) this.w0 |= m;
    else if (l == 1) this.w1 |= m;
    else if (l == 2) this.w2 |= m;
    else this.w3 |= m;
  }

  /** Compares as unsigned: -1, 0 or 1. */
  cmp(o: U256): i32 {
    if (this.w3 != o.w3) return this.w3 < o.w3 ? -1 : 1;
    if (this.w2 != o.w2) return this.w2 < o.w2 ? -1 : 1;
    if (this.w1 != o.w1) return this.w1 < o.w1 ? -1 : 1;
    if (this.w0 != o.w0) return this.w0 < o.w0 ? -1 : 1;
    return 0;
  }

  /** this += o; traps with E_OVERFLOW past 2^256 - 1. */
  addInPlace(o: U256): void {
    carry = 0;
    this.w0 = adc(this.w0, o.w0);
    this.w1 = adc(this.w1, o.w1);
    this.w2 = adc(this.w2, o.w2);
    this.w3 = adc(this.w3, o.w3);
    if (carry != 0) fail(E_OVERFLOW);
  }

  /** this -= o; the caller guarantees this >= o. */
  subInPlace(o: U256): void {
    let b: u64 = this.w0 < o.w0 ? 1 : 0;
    this.w0 = this.w0 - o.w0;
    let b2: u64 = this.w1 < o.w1 || (this.w1 == o.w1 && b != 0) ? 1 : 0;
    this.w1 = this.w1 - o.w1 - b;
    b = b2;
    b2 = this.w2 < o.w2 || (this.w2 == o.w2 && b != 0) ? 1 : 0;
    this.w2 = this.w2 - o.w2 - b;
    b = b2;
    this.w3 = this.w3 - o.w3 - b;
  }

  /** this = (this << 1) | bit; the top bit shifted out is dropped. */
  shl1In(bit: u64): void {
    this.w3 = (this.w3 << 1) | (this.w2 >> 63);
    this.w2 = (this.w2 << 1) | (this.w1 >> 63);
    this.w1 = (this.w1 << 1) | (this.w0 >> 63);
    this.w0 = (this.w0 << 1) | bit;
  }

  shr1(): U256 {
    return new U256(
      (this.w0 >> 1) | (this.w1 << 63),
      (this.w1 >> 1) | (this.w2 << 63),
      (this.w2 >> 1) | (this.w3 << 63),
      this.w3 >> 1,
    );
  }

  /**
   * floor(this / d) by binary long division; divInexact tells whether it left a
   * remainder.
   * Traps with E_DIV_ZERO when d is zero.
   */
  divmod(d: U256): U256 {
    if (d.isZero()) fail(E_DIV_ZERO);
    const q = new U256(0, 0, 0, 0);
    const r = new U256(0, 0, 0, 0);
    for (let i = this.bitLength() - 1; i >= 0; i--) {
      // r < d <= 2^256 - 1 before the shift, so a bit shifted out of w3 can only be
      // set when r >= 2^255; then (r << 1 | bit) >= d for sure and the subtraction
      // below, done modulo 2^256, is still exact.
      const top = r.w3 >> 63;
      r.shl1In(this.bit(i));
      if (top != 0 || r.cmp(d) >= 0) {
        r.subInPlace(d);
        q.setBit(i);
      }
    }
    divInexact = !r.isZero();
    return q;
  }

  /** floor(sqrt(this)) by Newton's method from a power of two above the root. */
  sqrt(): U256 {
    if (this.isZero()) return new U256(0, 0, 0, 0);
    const half = (this.bitLength() + 1) >> 1;
    let x = new U256(0, 0, 0, 0);
    x.setBit(half);
    let more = true;
    while (more) {
      const y = this.divmod(x);
      y.addInPlace(x);
      const next = y.shr1();
      more = next.cmp(x) < 0;
      if (more) x = next;
    }
    return x;
  }
}
