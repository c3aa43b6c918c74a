// Asset ids and the contract's custody: balance, send to an output, issue, burn, and
// the assets sent into the current call.
import { E_RECEIVED, fail } from "./error";
import * as host from "./host";
import { U128 } from "./u128";

// Scratch for host calls; a fresh instance per execution, so nothing survives a call.
const SCRATCH_ASSET: usize = memory.data(12);
const SCRATCH_AMOUNT: usize = memory.data(16);

/**
 * A 12-byte asset id: the 8-byte id of the token or issuing contract (height u32 and
 * index u32, big-endian, as in the state keys) followed by the sub id (0 for a v1
 * token, >= 1 for an asset a contract issued), big-endian like the state keys. The id
 * half is kept as the raw bytes loaded into a u64: equality is all a contract needs.
 */
export class AssetId {
  constructor(
    public id: u64,
    public sub: u32,
  ) {}

  static load(ptr: usize): AssetId {
    return new AssetId(load<u64>(ptr), bswap<u32>(load<u32>(ptr, 8)));
  }

  store(ptr: usize): void {
    store<u64>(ptr, this.id);
    store<u32>(ptr, bswap<u32>(this.sub), 8);
  }

  eq(o: AssetId): bool {
    return this.id == o.id && this.sub == o.sub;
  }
}

/** This contract's 8-byte id, as raw bytes in a u64 (compare with AssetId.id). */
export function selfId(): u64 {
  host.self_id(SCRATCH_ASSET);
  return load<u64>(SCRATCH_ASSET);
}

/** The asset this contract issues under sub id `sub` (>= 1). */
export function ownAsset(sub: u32): AssetId {
  return new AssetId(selfId(), sub);
}

/** The contract's custody of `asset`. */
export function balanceOf(asset: AssetId): U128 {
  asset.store(SCRATCH_ASSET);
  host.balance(SCRATCH_ASSET, SCRATCH_AMOUNT);
  return U128.load(SCRATCH_AMOUNT);
}

/** Moves `amount` of `asset` from custody to output `vout` of the calling transaction. */
export function send(asset: AssetId, amount: U128, vout: u32): void {
  asset.store(SCRATCH_ASSET);
  amount.store(SCRATCH_AMOUNT);
  host.send(SCRATCH_ASSET, SCRATCH_AMOUNT, <i32>vout);
}

/** Mints `amount` of this contract's asset `sub` into its own custody. */
export function issue(sub: u32, amount: U128): void {
  amount.store(SCRATCH_AMOUNT);
  host.issue(sub, SCRATCH_AMOUNT);
}

/** Burns `amount` of `asset` from custody. */
export function burn(asset: AssetId, amount: U128): void {
  asset.store(SCRATCH_ASSET);
  amount.store(SCRATCH_AMOUNT);
  host.burn(SCRATCH_ASSET, SCRATCH_AMOUNT);
}

/**
 * Moves `amount` of `asset` from custody to the custody of the contract that called this
 * one (a router chaining pools). Traps when the transaction made the call (no calling
 * contract), inside a read-only call, or beyond custody.
 */
export function sendToCaller(asset: AssetId, amount: U128): void {
  asset.store(SCRATCH_ASSET);
  amount.store(SCRATCH_AMOUNT);
  host.send_to_caller(SCRATCH_ASSET, SCRATCH_AMOUNT);
}

/** One (asset, amount) record: 12 + 16 bytes in memory. */
export class Holding {
  constructor(
    public asset: AssetId,
    public amount: U128,
  ) {}
}

export const HOLDING_SIZE: i32 = 28;
const RECEIVED_CAP: i32 = 16 * HOLDING_SIZE;
const RECEIVED_BUF: usize = memory.data(RECEIVED_CAP);

/** The assets sent into this call, in the order the host lists them. */
export function received(): Array<Holding> {
  // One host call for up to RECEIVED_CAP bytes of records, a second only beyond.
  let buf = RECEIVED_BUF;
  const len = host.received(buf, RECEIVED_CAP);
  if (len > RECEIVED_CAP) {
    buf = heap.alloc(<usize>len);
    host.received(buf, len);
  }
  const out = new Array<Holding>();
  for (let off = 0; off + HOLDING_SIZE <= len; off += HOLDING_SIZE) {
    const p = buf + <usize>off;
    out.push(new Holding(AssetId.load(p), U128.load(p + 12)));
  }
  return out;
}

/** The amount of `asset` among `got`; zero when absent. */
export function amountOf(got: Array<Holding>, asset: AssetId): U128 {
  let total = U128.zero();
  for (let i = 0; i < got.length; i++) {
    if (got[i].asset.eq(asset)) total = total.add(got[i].amount);
  }
  return total;
}

/**
 * Traps with E_RECEIVED unless every record in `got` is one of `allowed`; returns
 * nothing: use amountOf for the amounts.
 */
export function onlyReceived(got: Array<Holding>, allowed: Array<AssetId>): void {
  for (let i = 0; i < got.length; i++) {
    let ok = false;
    for (let j = 0; j < allowed.length; j++) {
      if (got[i].asset.eq(allowed[j])) ok = true;
    }
    if (!ok) fail(E_RECEIVED);
  }
}

/** Traps with E_RECEIVED if any asset was sent into this call. */
export function noneReceived(): void {
  if (received().length != 0) fail(E_RECEIVED);
}
