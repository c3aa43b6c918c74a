// Constant-product AMM pool for two assets (x * y = k), with LP shares this contract
// issues as its own asset (sub id 1). Every rounding favours the pool: swap outputs and
// withdrawals round down, the fee and the amounts taken for new shares round up, so
// x * y never decreases on a swap and never decreases per LP share on add or remove.
// The pool emits no log events: the machine's deposit, send, issue and burn events
// already record every amount that moves.
// Price oracle (like Uniswap v2's price0CumulativeLast): the first add, swap or remove
// of each block first adds, for every block since the last one the pool changed in,
// the price the reserves held at the end of that block (Q64.64 fixed point, wrapping
// mod 2^128) to two cumulative sums; op 5 reports them as of the current block. A
// contract that reads them at heights h1 < h2 gets the time-weighted average price
// (c2 - c1 mod 2^128) / (h2 - h1): one block's trades move it by at most 1/(h2 - h1).
// Input layouts: contracts/README.md.
import {
  AssetId,
  E_RECEIVED,
  Key,
  Reader,
  U128,
  U256,
  Writer,
  amountOf,
  burn,
  calledByContract,
  fail,
  getBytes,
  height,
  mustGetBytes,
  input,
  issue,
  noneReceived,
  onlyReceived,
  ownAsset,
  received,
  require,
  send,
  sendToCaller,
  setBytes,
  setReturn,
} from "../sdk";

/** Init input names the same asset twice. */
const E_SAME_ASSET: i32 = 100;
/** Fee out of range (must be below 10,000 basis points). */
const E_FEE: i32 = 101;
/** The pool was never initialised (no init input). */
const E_NOT_INIT: i32 = 102;
/** Unknown operation byte. */
const E_OP: i32 = 103;
/** The result is below the caller's minimum (slippage guard). */
const E_SLIPPAGE: i32 = 104;
/** A zero amount in, or a result that rounds to zero. */
const E_ZERO: i32 = 105;
/** The first deposit mints no more than the locked minimum of shares. */
const E_MIN_LIQUIDITY: i32 = 106;
/** Swap or remove on a pool without liquidity. */
const E_EMPTY: i32 = 107;
/** Swap to caller made by a transaction, not a contract. */
const E_NOT_CONTRACT: i32 = 108;

const LP_SUB: u32 = 1;
const FEE_DENOMINATOR: u64 = 10_000;
/** Shares minted on the first deposit and kept in custody forever (never sent). */
const MINIMUM_LIQUIDITY: u64 = 1_000;

// Slot 1: asset A (12), asset B (12), fee_bps (u16), written once by init.
// Slot 2: reserve A, reserve B, LP supply (u128 each), rewritten by every change.
// One value each keeps a swap at two storage reads and one write.
const SLOT_CONFIG: u8 = 1;
const SLOT_STATE: u8 = 2;
// Slot 3: cumulative price of A in B, cumulative price of B in A (u128 each, Q64.64
// price x blocks, wrapping mod 2^128), the height they were last brought up to (u64).
// Written at most once per block: by the first add, swap or remove in it.
const SLOT_TWAP: u8 = 3;

const OP_ADD: u8 = 1;
const OP_SWAP: u8 = 2;
const OP_REMOVE: u8 = 3;
const OP_RESERVES: u8 = 4;
const OP_OBSERVE: u8 = 5;
const OP_SWAP_TO_CALLER: u8 = 6;

/** floor(num * 2^64 / den) (Q64.64), saturating at 2^128 - 1; den > 0. */
function q64(num: U128, den: U128): U128 {
  const q = new U256(0, num.lo, num.hi, 0).divmod(U256.fromU128(den));
  if ((q.w2 | q.w3) != 0) return new U128(u64.MAX_VALUE, u64.MAX_VALUE);
  return new U128(q.w0, q.w1);
}

/** (acc + price * blocks) mod 2^128. */
function accumulate(acc: U128, price: U128, blocks: u64): U128 {
  const p = U256.mul(price, U128.from(blocks));
  const lo = acc.lo + p.w0;
  const c: u64 = lo < acc.lo ? 1 : 0;
  return new U128(lo, acc.hi + p.w1 + c);
}

/** The cumulative prices (slot 3) as of height h, and the height they were stored at. */
class Twap {
  cumA: U128;
  cumB: U128;
  last: u64;

  constructor() {
    const raw = getBytes(Key.slot(SLOT_TWAP));
    if (raw == null) {
      this.cumA = U128.zero();
      this.cumB = U128.zero();
      this.last = 0;
    } else {
      const r = new Reader(raw.ptr, raw.len);
      this.cumA = r.u128();
      this.cumB = r.u128();
      this.last = r.u64();
    }
  }

  /** Brings the sums up to height h with the pool's current reserves; true if changed. */
  advance(p: Pool, h: u64): bool {
    if (h <= this.last && this.last != 0) return false;
    if (!p.supply.isZero() && this.last != 0) {
      const blocks = h - this.last;
      this.cumA = accumulate(this.cumA, q64(p.rb, p.ra), blocks);
      this.cumB = accumulate(this.cumB, q64(p.ra, p.rb), blocks);
    }
    this.last = h;
    return true;
  }
}

/** Before a change of reserves: the first one in a block writes slot 3. */
function observe(p: Pool): void {
  const t = new Twap();
  if (t.advance(p, height())) {
    const w = new Writer(40).u128(t.cumA).u128(t.cumB).u64(t.last);
    setBytes(Key.slot(SLOT_TWAP), w.finish());
  }
}

/** init: asset_a (12), asset_b (12), fee_bps (u16). */
export function init(): void {
  const r = input();
  const a = r.asset();
  const b = r.asset();
  const fee = r.u16();
  r.done();
  require(!a.eq(b), E_SAME_ASSET);
  require(<u64>fee < FEE_DENOMINATOR, E_FEE);
  setBytes(Key.slot(SLOT_CONFIG), new Writer(26).asset(a).asset(b).u16(fee).finish());
}

class Pool {
  a: AssetId;
  b: AssetId;
  fee: U128;
  ra: U128;
  rb: U128;
  supply: U128;

  constructor() {
    const config = mustGetBytes(Key.slot(SLOT_CONFIG), E_NOT_INIT);
    const c = new Reader(config.ptr, config.len);
    this.a = c.asset();
    this.b = c.asset();
    this.fee = U128.from(<u64>c.u16());
    const state = getBytes(Key.slot(SLOT_STATE));
    if (state == null) {
      this.ra = U128.zero();
      this.rb = U128.zero();
      this.supply = U128.zero();
    } else {
      const r = new Reader(state.ptr, state.len);
      this.ra = r.u128();
      this.rb = r.u128();
      this.supply = r.u128();
    }
  }

  /** The LP share asset (this contract's sub id 1). */
  lp(): AssetId {
    return ownAsset(LP_SUB);
  }

  save(): void {
    const w = new Writer(48).u128(this.ra).u128(this.rb).u128(this.supply);
    setBytes(Key.slot(SLOT_STATE), w.finish());
  }
}

function sendIfAny(asset: AssetId, amount: U128, vout: u32): void {
  if (!amount.isZero()) send(asset, amount, vout);
}

/** add: min_lp (u128), vout (u32); send both assets in. */
function add(p: Pool, r: Reader): void {
  const minLp = r.u128();
  const vout = r.u32();
  r.done();
  const got = received();
  onlyReceived(got, [p.a, p.b]);
  const a = amountOf(got, p.a);
  const b = amountOf(got, p.b);
  require(!a.isZero() && !b.isZero(), E_ZERO);
  observe(p);
  let shares: U128;
  let useA = a;
  let useB = b;
  let toUser: U128;
  if (p.supply.isZero()) {
    shares = U128.sqrtMul(a, b);
    const locked = U128.from(MINIMUM_LIQUIDITY);
    require(shares.gt(locked), E_MIN_LIQUIDITY);
    toUser = shares.sub(locked);
  } else {
    shares = U128.mulDiv(a, p.supply, p.ra).min(U128.mulDiv(b, p.supply, p.rb));
    require(!shares.isZero(), E_ZERO);
    // The amounts the shares are worth, rounded up; the rest goes back to the sender.
    useA = U128.mulDivUp(shares, p.ra, p.supply);
    useB = U128.mulDivUp(shares, p.rb, p.supply);
    toUser = shares;
  }
  require(toUser.ge(minLp), E_SLIPPAGE);
  p.ra = p.ra.add(useA);
  p.rb = p.rb.add(useB);
  p.supply = p.supply.add(shares);
  p.save();
  issue(LP_SUB, shares);
  send(p.lp(), toUser, vout);
  sendIfAny(p.a, a.sub(useA), vout);
  sendIfAny(p.b, b.sub(useB), vout);
  setReturn(new Writer(16).u128(toUser).finish());
}

class Swapped {
  constructor(
    public asset: AssetId,
    public out: U128,
  ) {}
}

/** Applies a swap of the assets sent in; returns the asset and amount out. */
function swapCore(p: Pool, minOut: U128): Swapped {
  require(!p.supply.isZero(), E_EMPTY);
  const got = received();
  onlyReceived(got, [p.a, p.b]);
  const inA = amountOf(got, p.a);
  const inB = amountOf(got, p.b);
  require(inA.isZero() != inB.isZero(), E_RECEIVED);
  observe(p);
  const aToB = !inA.isZero();
  const amountIn = aToB ? inA : inB;
  const reserveIn = aToB ? p.ra : p.rb;
  const reserveOut = aToB ? p.rb : p.ra;
  // The fee rounds up and the output down: both in the pool's favour.
  const fee = U128.mulDivUp(amountIn, p.fee, U128.from(FEE_DENOMINATOR));
  const net = amountIn.sub(fee);
  const out = U128.mulDiv(net, reserveOut, reserveIn.add(net));
  require(!out.isZero(), E_ZERO);
  require(out.ge(minOut), E_SLIPPAGE);
  if (aToB) {
    p.ra = p.ra.add(amountIn);
    p.rb = p.rb.sub(out);
  } else {
    p.rb = p.rb.add(amountIn);
    p.ra = p.ra.sub(out);
  }
  p.save();
  return new Swapped(aToB ? p.b : p.a, out);
}

/** swap: min_out (u128), vout (u32); send one of the two assets in. */
function swap(p: Pool, r: Reader): void {
  const minOut = r.u128();
  const vout = r.u32();
  r.done();
  const s = swapCore(p, minOut);
  send(s.asset, s.out, vout);
  setReturn(new Writer(16).u128(s.out).finish());
}

/**
 * swap to caller: min_out (u128); called by a contract that sends one of the two assets
 * in. The output goes back to the calling contract's custody (send_to_caller); returns
 * the amount out (u128) and the asset out (12), so a router can chain pools.
 */
function swapToCaller(p: Pool, r: Reader): void {
  const minOut = r.u128();
  r.done();
  require(calledByContract(), E_NOT_CONTRACT);
  const s = swapCore(p, minOut);
  sendToCaller(s.asset, s.out);
  setReturn(new Writer(28).u128(s.out).asset(s.asset).finish());
}

/** remove: min_a (u128), min_b (u128), vout (u32); send LP shares in. */
function remove(p: Pool, r: Reader): void {
  const minA = r.u128();
  const minB = r.u128();
  const vout = r.u32();
  r.done();
  require(!p.supply.isZero(), E_EMPTY);
  const got = received();
  const lp = p.lp();
  onlyReceived(got, [lp]);
  const shares = amountOf(got, lp);
  require(!shares.isZero(), E_ZERO);
  observe(p);
  const outA = U128.mulDiv(shares, p.ra, p.supply);
  const outB = U128.mulDiv(shares, p.rb, p.supply);
  require(!(outA.isZero() && outB.isZero()), E_ZERO);
  require(outA.ge(minA) && outB.ge(minB), E_SLIPPAGE);
  p.ra = p.ra.sub(outA);
  p.rb = p.rb.sub(outB);
  p.supply = p.supply.sub(shares);
  p.save();
  burn(lp, shares);
  sendIfAny(p.a, outA, vout);
  sendIfAny(p.b, outB, vout);
  setReturn(new Writer(32).u128(outA).u128(outB).finish());
}

/** reserves: no fields; returns reserve_a, reserve_b, lp_supply (u128 each), fee_bps (u16). */
function reserves(p: Pool, r: Reader): void {
  r.done();
  noneReceived();
  setReturn(new Writer(50).u128(p.ra).u128(p.rb).u128(p.supply).u16(<u16>p.fee.lo).finish());
}

/**
 * observe: no fields; returns cum_a, cum_b (u128 each, Q64.64 x blocks, mod 2^128) as of
 * this block, the height (u64), reserve_a, reserve_b (u128 each). Changes nothing.
 */
function observeView(p: Pool, r: Reader): void {
  r.done();
  noneReceived();
  const t = new Twap();
  const h = height();
  t.advance(p, h);
  const w = new Writer(72).u128(t.cumA).u128(t.cumB).u64(h).u128(p.ra).u128(p.rb);
  setReturn(w.finish());
}

export function call(): void {
  const r = input();
  const op = r.u8();
  const p = new Pool();
  if (op == OP_ADD) add(p, r);
  else if (op == OP_SWAP) swap(p, r);
  else if (op == OP_REMOVE) remove(p, r);
  else if (op == OP_RESERVES) reserves(p, r);
  else if (op == OP_OBSERVE) observeView(p, r);
  else if (op == OP_SWAP_TO_CALLER) swapToCaller(p, r);
  else fail(E_OP);
}

