// Over-collateralised lending of one asset (the debt asset D) against another (the
// collateral C), priced by an on-chain source chosen at init, read with a view call: the AMM's time-weighted
// average price (examples/amm.ts op 5) or an oracle contract (examples/oracle.ts op 3).
//
// Lenders supply D and receive receipts (this contract's asset, sub id 1) worth a growing
// share of cash + debt. Borrowers open positions; each position is a contract asset of
// supply 1 (sub id 1 + position id) sent to the borrower: whoever sends it in may borrow
// against the position or withdraw its collateral, and gets it back on the same output.
// Anyone may add collateral to a position or repay it. Interest accrues per block on a
// borrow index (WAD = 10^18 fixed point) compounding at every call; a position's debt is
// its principal times the index. A position whose debt exceeds
// floor(collateral value x collateral factor) may be liquidated by anyone: they repay
// some or all of the debt and receive collateral worth the repayment plus a bonus.
//
// Rounding always goes against the borrower and in favour of the lenders' custody: the
// index grows rounding up; borrowing adds ceil(amount / index) principal; repaying
// removes floor(amount / index); a position's debt is read rounding up; the collateral
// value and borrow limit round down; lenders' receipts and redemptions round down, and
// the lenders' total counts the debt rounding down. Cash is tracked (never read from
// custody), so assets donated to the contract change no one's share.
// Input layouts: contracts/README.md.
import {
  AssetId,
  Key,
  Reader,
  U128,
  Writer,
  amountOf,
  burn,
  callView,
  fail,
  getBytes,
  height,
  input,
  issue,
  mustGetBytes,
  noneReceived,
  onlyReceived,
  ownAsset,
  received,
  require,
  send,
  setBytes,
  setReturn,
} from "../sdk";
import { BPS, Loan, WAD, grown, normFor, q64, sendIfAny } from "./shared/debt";

/** Unknown operation byte. */
const E_OP: i32 = 100;
/** Bad init: same asset twice, a factor or bonus out of range, unknown source. */
const E_CONFIG: i32 = 101;
/** The market was never initialised. */
const E_NOT_INIT: i32 = 102;
/** No price yet (the TWAP's first window has not passed) or the oracle's is stale. */
const E_NO_PRICE: i32 = 103;
/** The position would be above its borrow limit. */
const E_UNHEALTHY: i32 = 104;
/** Liquidation of a position within its limit. */
const E_HEALTHY: i32 = 105;
/** Not enough cash in the market for the withdrawal or the loan. */
const E_CASH: i32 = 106;
/** A zero amount, or a result that rounds to zero. */
const E_ZERO: i32 = 107;
/** No such position. */
const E_POSITION: i32 = 108;
/** The position's asset was not sent in. */
const E_NOT_OWNER: i32 = 109;
/** The price source returned data of the wrong length. */
const E_SOURCE: i32 = 110;

const RECEIPT_SUB: u32 = 1;

const SOURCE_TWAP_A: u8 = 1;
const SOURCE_TWAP_B: u8 = 2;
const SOURCE_ORACLE: u8 = 3;

// Slot 1: config (53 bytes), written by init. Slot 2: the market (76 bytes). Slot 3: the
// price (40 bytes). Map 4: position id (u32) -> collateral, principal (u128 each).
const SLOT_CONFIG: u8 = 1;
const SLOT_MARKET: u8 = 2;
const SLOT_PRICE: u8 = 3;
const MAP_POSITION: u8 = 4;

const OP_SUPPLY: u8 = 1;
const OP_REDEEM: u8 = 2;
const OP_OPEN: u8 = 3;
const OP_DEPOSIT: u8 = 4;
const OP_WITHDRAW: u8 = 5;
const OP_BORROW: u8 = 6;
const OP_REPAY: u8 = 7;
const OP_LIQUIDATE: u8 = 8;
const OP_POSITION: u8 = 9;
const OP_MARKET: u8 = 10;
const OP_POKE: u8 = 11;

/** The AMM's observe and the oracle's median: what the source is asked. */
const AMM_OBSERVE: u8 = 5;
const ORACLE_MEDIAN: u8 = 3;

/**
 * init: collateral (12), debt asset (12), source (u8: 1 AMM TWAP of its asset A, 2 of its
 * asset B, 3 oracle), source contract id (8), window (u64 blocks: the TWAP's least
 * averaging span, or the oldest oracle price accepted), collateral factor (u16 bps,
 * 1..9,999), liquidation bonus (u16 bps, < 10,000), rate per block (u64, WAD).
 */
export function init(): void {
  const r = input();
  const c = r.asset();
  const d = r.asset();
  const kind = r.u8();
  const source = r.u64();
  const window = r.u64();
  const cf = r.u16();
  const bonus = r.u16();
  const rate = r.u64();
  r.done();
  require(!c.eq(d), E_CONFIG);
  require(kind >= SOURCE_TWAP_A && kind <= SOURCE_ORACLE, E_CONFIG);
  require(cf > 0 && <u64>cf < BPS && <u64>bonus < BPS && window > 0, E_CONFIG);
  const w = new Writer(53).asset(c).asset(d).u8(kind).u64(source).u64(window);
  setBytes(Key.slot(SLOT_CONFIG), w.u16(cf).u16(bonus).u64(rate).finish());
}

class Market {
  c: AssetId;
  d: AssetId;
  kind: u8;
  source: u64;
  window: u64;
  cf: U128;
  bonus: U128;
  rate: U128;
  cash: U128 = U128.zero();
  principal: U128 = U128.zero();
  supply: U128 = U128.zero();
  index: U128 = U128.from(WAD);
  last: u64 = 0;
  next: u32 = 1;

  constructor() {
    const raw = mustGetBytes(Key.slot(SLOT_CONFIG), E_NOT_INIT);
    const c = new Reader(raw.ptr, raw.len);
    this.c = c.asset();
    this.d = c.asset();
    this.kind = c.u8();
    this.source = c.u64();
    this.window = c.u64();
    this.cf = U128.from(<u64>c.u16());
    this.bonus = U128.from(<u64>c.u16());
    this.rate = U128.from(c.u64());
    const m = getBytes(Key.slot(SLOT_MARKET));
    if (m != null) {
      const r = new Reader(m.ptr, m.len);
      this.cash = r.u128();
      this.principal = r.u128();
      this.supply = r.u128();
      this.index = r.u128();
      this.last = r.u64();
      this.next = r.u32();
    }
  }

  /** Interest since the last call: index += ceil(index * rate * blocks / WAD). */
  accrue(): void {
    const h = height();
    if (this.last != 0 && h > this.last && !this.principal.isZero()) {
      this.index = grown(this.index, this.rate, h - this.last);
    }
    this.last = h;
  }

  /** What the borrowers owe in total, rounded down (the lenders' side). */
  borrows(): U128 {
    return U128.mulDiv(this.principal, this.index, U128.from(WAD));
  }

  save(): void {
    const w = new Writer(76).u128(this.cash).u128(this.principal).u128(this.supply);
    setBytes(Key.slot(SLOT_MARKET), w.u128(this.index).u64(this.last).u32(this.next).finish());
  }

  receipt(): AssetId {
    return ownAsset(RECEIPT_SUB);
  }
}

/** floor(floor(collateral * price / 2^64) * cf / 10^4), in the debt asset. */
function limit(m: Market, pos: Loan, price: U128): U128 {
  const value = U128.mulDiv(pos.collateral, price, q64());
  return U128.mulDiv(value, m.cf, U128.from(BPS));
}

function wrappingSub(a: U128, b: U128): U128 {
  const borrow: u64 = a.lo < b.lo ? 1 : 0;
  return new U128(a.lo - b.lo, a.hi - b.hi - borrow);
}

/**
 * The price of one unit of collateral in the debt asset (Q64.64), from the source. The
 * TWAP: when `window` blocks have passed since the stored checkpoint, the average since
 * it becomes the price and the checkpoint moves to now; otherwise the stored price (the
 * last completed window's) stands. Traps with E_NO_PRICE when there is none yet.
 */
function price(m: Market, required: bool): U128 {
  const h = height();
  if (m.kind == SOURCE_ORACLE) {
    const out = callView(m.source, new Writer(1).u8(ORACLE_MEDIAN).finish(), 0);
    require(out.len == 24, E_SOURCE);
    const r = new Reader(out.ptr, out.len);
    const p = r.u128();
    const at = r.u64();
    require(!p.isZero() && at <= h && h - at <= m.window, E_NO_PRICE);
    return p;
  }
  const out = callView(m.source, new Writer(1).u8(AMM_OBSERVE).finish(), 0);
  require(out.len == 72, E_SOURCE);
  const r = new Reader(out.ptr, out.len);
  const cumA = r.u128();
  const cumB = r.u128();
  const cum = m.kind == SOURCE_TWAP_A ? cumA : cumB;
  const key = Key.slot(SLOT_PRICE);
  const raw = getBytes(key);
  let cpCum = U128.zero();
  let cpHeight: u64 = 0;
  let p = U128.zero();
  if (raw != null) {
    const s = new Reader(raw.ptr, raw.len);
    cpCum = s.u128();
    cpHeight = s.u64();
    p = s.u128();
  }
  if (cpHeight == 0 || h - cpHeight >= m.window) {
    if (cpHeight != 0) p = wrappingSub(cum, cpCum).div(U128.from(h - cpHeight));
    setBytes(key, new Writer(40).u128(cum).u64(h).u128(p).finish());
  }
  if (required) require(!p.isZero(), E_NO_PRICE);
  return p;
}

/** The stored price, for views (no call to the source). */
function storedPrice(m: Market): U128 {
  if (m.kind == SOURCE_ORACLE) return U128.zero();
  const raw = getBytes(Key.slot(SLOT_PRICE));
  if (raw == null) return U128.zero();
  return new Reader(raw.ptr + 24, 16).u128();
}

/** Adds `amount` of debt to the position, taking ceil(amount * WAD / index) principal. */
function lend(m: Market, pos: Loan, amount: U128, vout: u32): void {
  require(!amount.isZero(), E_ZERO);
  require(amount.le(m.cash), E_CASH);
  const added = normFor(amount, m.index);
  pos.norm = pos.norm.add(added);
  m.principal = m.principal.add(added);
  m.cash = m.cash.sub(amount);
  send(m.d, amount, vout);
}

/** Pays down up to the debt with `amount`; returns what was used. */
function payDown(m: Market, pos: Loan, amount: U128): U128 {
  const used = pos.payDown(m.index, amount);
  m.principal = m.principal.sub(pos.removed);
  m.cash = m.cash.add(used);
  return used;
}

/** Whether the position is within its limit at the source's price. */
function healthy(m: Market, pos: Loan): bool {
  return pos.debt(m.index).le(limit(m, pos, price(m, true)));
}

/** supply: vout (u32); send D in. Mints receipts; returns them (u128). */
function supplyOp(m: Market, r: Reader): void {
  const vout = r.u32();
  r.done();
  const got = received();
  onlyReceived(got, [m.d]);
  const amount = amountOf(got, m.d);
  require(!amount.isZero(), E_ZERO);
  const total = m.cash.add(m.borrows());
  const shares = m.supply.isZero() ? amount : U128.mulDiv(amount, m.supply, total);
  require(!shares.isZero(), E_ZERO);
  m.cash = m.cash.add(amount);
  m.supply = m.supply.add(shares);
  m.save();
  issue(RECEIPT_SUB, shares);
  send(m.receipt(), shares, vout);
  setReturn(new Writer(16).u128(shares).finish());
}

/** redeem: vout (u32); send receipts in. Burns them, sends their D; returns it (u128). */
function redeemOp(m: Market, r: Reader): void {
  const vout = r.u32();
  r.done();
  const got = received();
  const receipt = m.receipt();
  onlyReceived(got, [receipt]);
  const shares = amountOf(got, receipt);
  require(!shares.isZero(), E_ZERO);
  const amount = U128.mulDiv(shares, m.cash.add(m.borrows()), m.supply);
  require(!amount.isZero(), E_ZERO);
  require(amount.le(m.cash), E_CASH);
  m.cash = m.cash.sub(amount);
  m.supply = m.supply.sub(shares);
  m.save();
  burn(receipt, shares);
  send(m.d, amount, vout);
  setReturn(new Writer(16).u128(amount).finish());
}

/** open: borrow (u128, may be 0), vout (u32); send C in. Returns the position id (u32). */
function openOp(m: Market, r: Reader): void {
  const amount = r.u128();
  const vout = r.u32();
  r.done();
  const got = received();
  onlyReceived(got, [m.c]);
  const collateral = amountOf(got, m.c);
  require(!collateral.isZero(), E_ZERO);
  const pos = new Loan(m.next, collateral, U128.zero());
  m.next += 1;
  if (!amount.isZero()) {
    lend(m, pos, amount, vout);
    require(healthy(m, pos), E_UNHEALTHY);
  }
  pos.save(MAP_POSITION);
  m.save();
  issue(1 + pos.id, U128.from(1));
  send(pos.token(), U128.from(1), vout);
  setReturn(new Writer(4).u32(pos.id).finish());
}

/** deposit: position (u32); send C in (anyone may). */
function depositOp(m: Market, r: Reader): void {
  const pos = Loan.load(MAP_POSITION, r.u32(), E_POSITION);
  r.done();
  const got = received();
  onlyReceived(got, [m.c]);
  const amount = amountOf(got, m.c);
  require(!amount.isZero(), E_ZERO);
  pos.collateral = pos.collateral.add(amount);
  pos.save(MAP_POSITION);
  m.save();
}

/** withdraw: position (u32), amount (u128), vout (u32); send the position's asset in. */
function withdrawOp(m: Market, r: Reader): void {
  const pos = Loan.load(MAP_POSITION, r.u32(), E_POSITION);
  const amount = r.u128();
  const vout = r.u32();
  r.done();
  pos.requireOwner(E_NOT_OWNER);
  require(!amount.isZero(), E_ZERO);
  pos.collateral = pos.collateral.sub(amount);
  if (!pos.norm.isZero()) require(healthy(m, pos), E_UNHEALTHY);
  pos.save(MAP_POSITION);
  m.save();
  send(m.c, amount, vout);
  send(pos.token(), U128.from(1), vout);
}

/** borrow: position (u32), amount (u128), vout (u32); send the position's asset in. */
function borrowOp(m: Market, r: Reader): void {
  const pos = Loan.load(MAP_POSITION, r.u32(), E_POSITION);
  const amount = r.u128();
  const vout = r.u32();
  r.done();
  pos.requireOwner(E_NOT_OWNER);
  lend(m, pos, amount, vout);
  require(healthy(m, pos), E_UNHEALTHY);
  pos.save(MAP_POSITION);
  m.save();
  send(pos.token(), U128.from(1), vout);
}

/** repay: position (u32), vout (u32); send D in (anyone may). Refunds the excess. */
function repayOp(m: Market, r: Reader): void {
  const pos = Loan.load(MAP_POSITION, r.u32(), E_POSITION);
  const vout = r.u32();
  r.done();
  const got = received();
  onlyReceived(got, [m.d]);
  const amount = amountOf(got, m.d);
  require(!amount.isZero() && !pos.norm.isZero(), E_ZERO);
  const used = payDown(m, pos, amount);
  pos.save(MAP_POSITION);
  m.save();
  sendIfAny(m.d, amount.sub(used), vout);
  setReturn(new Writer(32).u128(used).u128(pos.debt(m.index)).finish());
}

/**
 * liquidate: position (u32), vout (u32); send D in. Only when the debt exceeds the limit:
 * repays up to the whole debt and sends floor(repaid x (1 + bonus) / price) of collateral
 * (at most all of it) to vout, with any excess D. Returns repaid, seized (u128 each).
 */
function liquidateOp(m: Market, r: Reader): void {
  const pos = Loan.load(MAP_POSITION, r.u32(), E_POSITION);
  const vout = r.u32();
  r.done();
  const got = received();
  onlyReceived(got, [m.d]);
  const amount = amountOf(got, m.d);
  require(!amount.isZero(), E_ZERO);
  const p = price(m, true);
  require(pos.debt(m.index).gt(limit(m, pos, p)), E_HEALTHY);
  const used = payDown(m, pos, amount);
  const worth = U128.mulDiv(used, U128.from(BPS).add(m.bonus), U128.from(BPS));
  const seized = U128.mulDiv(worth, q64(), p).min(pos.collateral);
  pos.collateral = pos.collateral.sub(seized);
  pos.save(MAP_POSITION);
  m.save();
  sendIfAny(m.c, seized, vout);
  sendIfAny(m.d, amount.sub(used), vout);
  setReturn(new Writer(32).u128(used).u128(seized).finish());
}

/** position: id (u32). Returns collateral, debt now (u128 each). */
function positionView(m: Market, r: Reader): void {
  const pos = Loan.load(MAP_POSITION, r.u32(), E_POSITION);
  r.done();
  noneReceived();
  setReturn(new Writer(32).u128(pos.collateral).u128(pos.debt(m.index)).finish());
}

/** market: no fields. Returns cash, borrows, receipts, index, price (u128 each). */
function marketView(m: Market, r: Reader): void {
  r.done();
  noneReceived();
  const w = new Writer(80).u128(m.cash).u128(m.borrows()).u128(m.supply).u128(m.index);
  setReturn(w.u128(storedPrice(m)).finish());
}

/** poke: no fields. Brings the price up to date (the TWAP's checkpoint); returns it. */
function pokeOp(m: Market, r: Reader): void {
  r.done();
  noneReceived();
  const p = price(m, false);
  m.save();
  setReturn(new Writer(16).u128(p).finish());
}

export function call(): void {
  const r = input();
  const op = r.u8();
  const m = new Market();
  m.accrue();
  if (op == OP_SUPPLY) supplyOp(m, r);
  else if (op == OP_REDEEM) redeemOp(m, r);
  else if (op == OP_OPEN) openOp(m, r);
  else if (op == OP_DEPOSIT) depositOp(m, r);
  else if (op == OP_WITHDRAW) withdrawOp(m, r);
  else if (op == OP_BORROW) borrowOp(m, r);
  else if (op == OP_REPAY) repayOp(m, r);
  else if (op == OP_LIQUIDATE) liquidateOp(m, r);
  else if (op == OP_POSITION) positionView(m, r);
  else if (op == OP_MARKET) marketView(m, r);
  else if (op == OP_POKE) pokeOp(m, r);
  else fail(E_OP);
}
