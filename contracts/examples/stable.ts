// A collateralised stablecoin: vaults lock a collateral asset C and mint this contract's
// stable asset (sub id 1), worth one unit of the oracle's quote asset, up to a minimum
// collateral ratio; debt grows by a stability fee per block; a global ceiling caps what
// may be minted; anyone may liquidate an undercollateralised vault for a bonus, and
// anyone may redeem stable for collateral at the oracle price against a vault's debt.
// Priced by an oracle contract (examples/oracle.ts op 3, a view call: quote per unit of C,
// Q64.64), refused when older than max_age blocks.
//
// Each vault is a contract asset of supply 1 (sub id 1 + vault id) sent to its owner:
// minting and withdrawing require sending it in (it comes back on the same output);
// depositing, repaying, liquidating and redeeming do not. Every stable repaid, used in a
// liquidation or redeemed is burned, fee included, so the stable in circulation never
// exceeds the vaults' total debt.
//
// Rounding goes against the minter: the fee index grows rounding up; minting x adds
// ceil(x / index) normalised debt; repaying removes floor(x / index); a vault's debt is
// read rounding up, its collateral value down; a redeemer receives collateral rounded
// down, and a liquidator's seizure rounds down.
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
import { BPS, Loan, WAD, debtOf, grown, normFor, q64, sendIfAny } from "./shared/debt";

/** Unknown operation byte. */
const E_OP: i32 = 100;
/** Bad init: ratio at most 100%, bonus out of range, zero max_age. */
const E_CONFIG: i32 = 101;
/** Never initialised. */
const E_NOT_INIT: i32 = 102;
/** The oracle has no price, or it is older than max_age. */
const E_PRICE: i32 = 103;
/** The vault would fall below the minimum collateral ratio. */
const E_RATIO: i32 = 104;
/** Liquidation of a vault at or above the minimum ratio. */
const E_SAFE: i32 = 105;
/** Minting past the debt ceiling. */
const E_CEILING: i32 = 106;
/** A zero amount, or a result that rounds to zero. */
const E_ZERO: i32 = 107;
/** No such vault. */
const E_VAULT: i32 = 108;
/** The vault's asset was not sent in. */
const E_NOT_OWNER: i32 = 109;
/** Redemption of more than the vault's debt, or more collateral than it holds. */
const E_REDEEM: i32 = 110;

const STABLE_SUB: u32 = 1;
const ORACLE_MEDIAN: u8 = 3;

// Slot 1: collateral (12), oracle id (8), max_age (u64), min_ratio_bps (u16),
// bonus_bps (u16), fee per block (u64, WAD), ceiling (u128): 56 bytes, written by init.
// Slot 2: total normalised debt (u128), fee index (u128, WAD), last accrual (u64), next
// vault id (u32): 44 bytes. Map 3: vault id (u32) -> collateral, normalised debt (u128).
const SLOT_CONFIG: u8 = 1;
const SLOT_STATE: u8 = 2;
const MAP_VAULT: u8 = 3;

const OP_OPEN: u8 = 1;
const OP_DEPOSIT: u8 = 2;
const OP_WITHDRAW: u8 = 3;
const OP_MINT: u8 = 4;
const OP_REPAY: u8 = 5;
const OP_LIQUIDATE: u8 = 6;
const OP_REDEEM: u8 = 7;
const OP_VAULT: u8 = 8;
const OP_STATE: u8 = 9;

/**
 * init: collateral (12), oracle id (8), max_age (u64 > 0), min_ratio_bps (u16 > 10,000),
 * bonus_bps (u16, < min ratio - 10,000), fee per block (u64, WAD), ceiling (u128).
 */
export function init(): void {
  const r = input();
  const c = r.asset();
  const oracle = r.u64();
  const maxAge = r.u64();
  const ratio = r.u16();
  const bonus = r.u16();
  const fee = r.u64();
  const ceiling = r.u128();
  r.done();
  require(maxAge > 0 && <u64>ratio > BPS && <u64>bonus + BPS < <u64>ratio, E_CONFIG);
  const w = new Writer(56).asset(c).u64(oracle).u64(maxAge).u16(ratio).u16(bonus);
  setBytes(Key.slot(SLOT_CONFIG), w.u64(fee).u128(ceiling).finish());
}

class Engine {
  c: AssetId;
  oracle: u64;
  maxAge: u64;
  ratio: U128;
  bonus: U128;
  fee: U128;
  ceiling: U128;
  debt: U128 = U128.zero();
  index: U128 = U128.from(WAD);
  last: u64 = 0;
  next: u32 = 1;

  constructor() {
    const raw = mustGetBytes(Key.slot(SLOT_CONFIG), E_NOT_INIT);
    const c = new Reader(raw.ptr, raw.len);
    this.c = c.asset();
    this.oracle = c.u64();
    this.maxAge = c.u64();
    this.ratio = U128.from(<u64>c.u16());
    this.bonus = U128.from(<u64>c.u16());
    this.fee = U128.from(c.u64());
    this.ceiling = c.u128();
    const s = getBytes(Key.slot(SLOT_STATE));
    if (s != null) {
      const r = new Reader(s.ptr, s.len);
      this.debt = r.u128();
      this.index = r.u128();
      this.last = r.u64();
      this.next = r.u32();
    }
  }

  /** The stability fee since the last call: index += ceil(index * fee * blocks / WAD). */
  accrue(): void {
    const h = height();
    if (this.last != 0 && h > this.last && !this.debt.isZero()) {
      this.index = grown(this.index, this.fee, h - this.last);
    }
    this.last = h;
  }

  /** Total debt, rounded up (what the ceiling is checked against). */
  totalDebt(): U128 {
    return debtOf(this.debt, this.index);
  }

  save(): void {
    const w = new Writer(44).u128(this.debt).u128(this.index).u64(this.last).u32(this.next);
    setBytes(Key.slot(SLOT_STATE), w.finish());
  }

  stable(): AssetId {
    return ownAsset(STABLE_SUB);
  }

  /** The oracle's median (quote per unit of C, Q64.64); traps when absent or stale. */
  price(): U128 {
    const out = callView(this.oracle, new Writer(1).u8(ORACLE_MEDIAN).finish(), 0);
    require(out.len == 24, E_PRICE);
    const r = new Reader(out.ptr, out.len);
    const p = r.u128();
    const at = r.u64();
    const h = height();
    require(!p.isZero() && at <= h && h - at <= this.maxAge, E_PRICE);
    return p;
  }
}

/** At or above the minimum ratio: floor(collateral * price / 2^64) * 10^4 >= debt * ratio. */
function safe(e: Engine, v: Loan, price: U128): bool {
  const value = U128.mulDiv(v.collateral, price, q64());
  return value.mul(U128.from(BPS)).ge(v.debt(e.index).mul(e.ratio));
}

/** The stable sent in (only the stable). */
function stableIn(e: Engine): U128 {
  const got = received();
  onlyReceived(got, [e.stable()]);
  const amount = amountOf(got, e.stable());
  require(!amount.isZero(), E_ZERO);
  return amount;
}

/** Mints `amount` against the vault, checking the ceiling and the vault's ratio. */
function mintTo(e: Engine, v: Loan, amount: U128, vout: u32): void {
  require(!amount.isZero(), E_ZERO);
  const added = normFor(amount, e.index);
  v.norm = v.norm.add(added);
  e.debt = e.debt.add(added);
  require(e.totalDebt().le(e.ceiling), E_CEILING);
  require(safe(e, v, e.price()), E_RATIO);
  issue(STABLE_SUB, amount);
  send(e.stable(), amount, vout);
}

/** Pays down up to the vault's debt; returns what was used. */
function payDown(e: Engine, v: Loan, amount: U128): U128 {
  const used = v.payDown(e.index, amount);
  e.debt = e.debt.sub(v.removed);
  return used;
}

/** open: mint (u128, may be 0), vout (u32); send C in. Returns the vault id (u32). */
function openOp(e: Engine, r: Reader): void {
  const amount = r.u128();
  const vout = r.u32();
  r.done();
  const got = received();
  onlyReceived(got, [e.c]);
  const collateral = amountOf(got, e.c);
  require(!collateral.isZero(), E_ZERO);
  const v = new Loan(e.next, collateral, U128.zero());
  e.next += 1;
  if (!amount.isZero()) mintTo(e, v, amount, vout);
  v.save(MAP_VAULT);
  e.save();
  issue(1 + v.id, U128.from(1));
  send(v.token(), U128.from(1), vout);
  setReturn(new Writer(4).u32(v.id).finish());
}

/** deposit: vault (u32); send C in (anyone may). */
function depositOp(e: Engine, r: Reader): void {
  const v = Loan.load(MAP_VAULT, r.u32(), E_VAULT);
  r.done();
  const got = received();
  onlyReceived(got, [e.c]);
  const amount = amountOf(got, e.c);
  require(!amount.isZero(), E_ZERO);
  v.collateral = v.collateral.add(amount);
  v.save(MAP_VAULT);
  e.save();
}

/** withdraw: vault (u32), amount (u128), vout (u32); send the vault's asset in. */
function withdrawOp(e: Engine, r: Reader): void {
  const v = Loan.load(MAP_VAULT, r.u32(), E_VAULT);
  const amount = r.u128();
  const vout = r.u32();
  r.done();
  v.requireOwner(E_NOT_OWNER);
  require(!amount.isZero(), E_ZERO);
  v.collateral = v.collateral.sub(amount);
  if (!v.norm.isZero()) require(safe(e, v, e.price()), E_RATIO);
  v.save(MAP_VAULT);
  e.save();
  send(e.c, amount, vout);
  send(v.token(), U128.from(1), vout);
}

/** mint: vault (u32), amount (u128), vout (u32); send the vault's asset in. */
function mintOp(e: Engine, r: Reader): void {
  const v = Loan.load(MAP_VAULT, r.u32(), E_VAULT);
  const amount = r.u128();
  const vout = r.u32();
  r.done();
  v.requireOwner(E_NOT_OWNER);
  mintTo(e, v, amount, vout);
  v.save(MAP_VAULT);
  e.save();
  send(v.token(), U128.from(1), vout);
}

/** repay: vault (u32), vout (u32); send stable in (anyone). Burns it; refunds the excess. */
function repayOp(e: Engine, r: Reader): void {
  const v = Loan.load(MAP_VAULT, r.u32(), E_VAULT);
  const vout = r.u32();
  r.done();
  const amount = stableIn(e);
  require(!v.norm.isZero(), E_ZERO);
  const used = payDown(e, v, amount);
  v.save(MAP_VAULT);
  e.save();
  burn(e.stable(), used);
  sendIfAny(e.stable(), amount.sub(used), vout);
  setReturn(new Writer(32).u128(used).u128(v.debt(e.index)).finish());
}

/**
 * liquidate: vault (u32), vout (u32); send stable in. Only below the minimum ratio:
 * repays up to the whole debt (burned) and sends floor(repaid x (1 + bonus) / price) of
 * collateral (at most all of it) and any excess stable to vout. Returns repaid, seized.
 */
function liquidateOp(e: Engine, r: Reader): void {
  const v = Loan.load(MAP_VAULT, r.u32(), E_VAULT);
  const vout = r.u32();
  r.done();
  const amount = stableIn(e);
  const p = e.price();
  require(!v.norm.isZero() && !safe(e, v, p), E_SAFE);
  const used = payDown(e, v, amount);
  const worth = U128.mulDiv(used, U128.from(BPS).add(e.bonus), U128.from(BPS));
  const seized = U128.mulDiv(worth, q64(), p).min(v.collateral);
  v.collateral = v.collateral.sub(seized);
  v.save(MAP_VAULT);
  e.save();
  burn(e.stable(), used);
  sendIfAny(e.c, seized, vout);
  sendIfAny(e.stable(), amount.sub(used), vout);
  setReturn(new Writer(32).u128(used).u128(seized).finish());
}

/**
 * redeem: vault (u32), vout (u32); send stable in (anyone). Burns it against the vault's
 * debt (at most all of it) and sends floor(amount / price) collateral to vout: the
 * vault's owner loses nothing at the oracle price. Returns the collateral sent (u128).
 */
function redeemOp(e: Engine, r: Reader): void {
  const v = Loan.load(MAP_VAULT, r.u32(), E_VAULT);
  const vout = r.u32();
  r.done();
  const amount = stableIn(e);
  require(amount.le(v.debt(e.index)), E_REDEEM);
  const out = U128.mulDiv(amount, q64(), e.price());
  require(!out.isZero(), E_ZERO);
  require(out.le(v.collateral), E_REDEEM);
  payDown(e, v, amount);
  v.collateral = v.collateral.sub(out);
  v.save(MAP_VAULT);
  e.save();
  burn(e.stable(), amount);
  send(e.c, out, vout);
  setReturn(new Writer(16).u128(out).finish());
}

/** vault: id (u32). Returns collateral, debt as of the last accrual (u128 each). */
function vaultView(e: Engine, r: Reader): void {
  const v = Loan.load(MAP_VAULT, r.u32(), E_VAULT);
  r.done();
  noneReceived();
  setReturn(new Writer(32).u128(v.collateral).u128(v.debt(e.index)).finish());
}

/** state: no fields. Returns total debt, index, ceiling (u128 each). */
function stateView(e: Engine, r: Reader): void {
  r.done();
  noneReceived();
  setReturn(new Writer(48).u128(e.totalDebt()).u128(e.index).u128(e.ceiling).finish());
}

export function call(): void {
  const r = input();
  const op = r.u8();
  const e = new Engine();
  e.accrue();
  if (op == OP_OPEN) openOp(e, r);
  else if (op == OP_DEPOSIT) depositOp(e, r);
  else if (op == OP_WITHDRAW) withdrawOp(e, r);
  else if (op == OP_MINT) mintOp(e, r);
  else if (op == OP_REPAY) repayOp(e, r);
  else if (op == OP_LIQUIDATE) liquidateOp(e, r);
  else if (op == OP_REDEEM) redeemOp(e, r);
  else if (op == OP_VAULT) vaultView(e, r);
  else if (op == OP_STATE) stateView(e, r);
  else fail(E_OP);
}
