// Shared by examples/lending.ts and examples/stable.ts (not a contract of its own; build.sh
// builds examples/*.ts only): a debt position held as a contract asset of supply 1, the
// per-block index its debt grows by, and the roundings, every one against the borrower.
import {
  AssetId,
  Key,
  Reader,
  U128,
  Writer,
  amountOf,
  fail,
  getBytes,
  onlyReceived,
  ownAsset,
  received,
  require,
  send,
  setBytes,
} from "../../sdk";

/** 10^18: the index's and the rates' fixed point. */
export const WAD: u64 = 1_000_000_000_000_000_000;
export const BPS: u64 = 10_000;

/** 2^64: the prices' fixed point (Q64.64). */
export function q64(): U128 {
  return new U128(0, 1);
}

/** index + ceil(index * rate * blocks / WAD): the growth rounds up. */
export function grown(index: U128, rate: U128, blocks: u64): U128 {
  const growth = rate.mul(U128.from(blocks));
  return index.add(U128.mulDivUp(index, growth, U128.from(WAD)));
}

/** ceil(norm * index / WAD): a debt, read rounding up. */
export function debtOf(norm: U128, index: U128): U128 {
  return U128.mulDivUp(norm, index, U128.from(WAD));
}

/** ceil(amount * WAD / index): the normalised debt that lending `amount` adds. */
export function normFor(amount: U128, index: U128): U128 {
  return U128.mulDivUp(amount, U128.from(WAD), index);
}

export function sendIfAny(asset: AssetId, amount: U128, vout: u32): void {
  if (!amount.isZero()) send(asset, amount, vout);
}

/** A position: collateral and normalised debt (u128 each) in map `map` under its id. */
export class Loan {
  /** The normalised debt the last payDown removed. */
  removed: U128 = U128.zero();

  constructor(
    public id: u32,
    public collateral: U128,
    public norm: U128,
  ) {}

  /** The stored position; traps with `missing` when there is none. */
  static load(map: u8, id: u32, missing: i32): Loan {
    const raw = getBytes(Key.mapU32(map, id));
    if (raw == null) fail(missing);
    const r = new Reader(raw!.ptr, raw!.len);
    return new Loan(id, r.u128(), r.u128());
  }

  save(map: u8): void {
    const w = new Writer(32).u128(this.collateral).u128(this.norm);
    setBytes(Key.mapU32(map, this.id), w.finish());
  }

  debt(index: U128): U128 {
    return debtOf(this.norm, index);
  }

  /** The position's asset: the contract's sub id 1 + id, supply 1. */
  token(): AssetId {
    return ownAsset(1 + this.id);
  }

  /** Traps with `code` unless exactly the position's asset (one unit) was sent in. */
  requireOwner(code: i32): void {
    const got = received();
    const token = this.token();
    onlyReceived(got, [token]);
    require(amountOf(got, token).eq(U128.from(1)), code);
  }

  /**
   * Pays down up to the debt with `amount`; returns what was used. Paying less than the
   * debt removes floor(amount * WAD / index) normalised debt (rounding down: the
   * borrower's loss); `removed` tells the caller how much, for its totals.
   */
  payDown(index: U128, amount: U128): U128 {
    const debt = this.debt(index);
    if (amount.ge(debt)) {
      this.removed = this.norm;
      this.norm = U128.zero();
      return debt;
    }
    this.removed = U128.mulDiv(amount, U128.from(WAD), index);
    this.norm = this.norm.sub(this.removed);
    return amount;
  }
}
