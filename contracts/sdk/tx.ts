// The calling transaction and block, the caller, events, return data and nested calls.
import * as host from "./host";
import { Bytes, Writer } from "./codec";
import { Holding, HOLDING_SIZE } from "./asset";
import { E_SIGNATURE_LENGTH, fail } from "./error";

/** Height of the block holding the calling transaction. */
export function height(): u64 {
  return <u64>host.block_height();
}

/** The block header's time field (seconds; miners may skew it by hours either way). */
export function blockTime(): u64 {
  return <u64>host.block_time();
}

/**
 * The median of the header times of this block and the 10 before it (Bitcoin's median
 * time past): never decreases from block to block, so deadlines and staleness use it.
 */
export function medianTime(): u64 {
  return <u64>host.block_median_time();
}

/**
 * BIP340: true when `sig` (64 bytes) is a valid Schnorr signature of `msg` (any length up
 * to 65,536 bytes, hashed as BIP340 does) by the x-only public key `pubkey` (32 bytes).
 * A key that is not a curve point verifies nothing; wrong lengths trap in the SDK.
 */
export function schnorrVerify(pubkey: Bytes, msg: Bytes, sig: Bytes): bool {
  if (pubkey.len != 32 || sig.len != 64) fail(E_SIGNATURE_LENGTH);
  return host.schnorr_verify(pubkey.ptr, msg.ptr, msg.len, sig.ptr) == 1;
}

/** The calling transaction's txid (32 bytes, internal byte order). */
export function txId(): Bytes {
  const b = Bytes.alloc(32);
  host.tx_id(b.ptr);
  return b;
}

export function inputCount(): i32 {
  return host.tx_input_count();
}

/** The outpoint input i spends: txid (32, internal order) + vout u32 LE. */
export function inputOutpoint(i: i32): Bytes {
  const b = Bytes.alloc(36);
  host.tx_input(i, b.ptr);
  return b;
}

/** The protocol assets input i's outpoint carried, as (asset, amount) records. */
export function inputAssets(i: i32): Bytes {
  const len = host.tx_input_assets(i, 0, 0);
  const b = Bytes.alloc(len);
  host.tx_input_assets(i, b.ptr, len);
  return b;
}

export function outputCount(): i32 {
  return host.tx_output_count();
}

/** Output i's value in sats. */
export function outputValue(i: i32): u64 {
  return <u64>host.tx_output_value(i);
}

/** Output i's scriptPubKey. */
export function outputScript(i: i32): Bytes {
  const len = host.tx_output_script(i, 0, 0);
  const b = Bytes.alloc(len);
  host.tx_output_script(i, b.ptr, len);
  return b;
}

/** True when output `vout` exists and its scriptPubKey is `script`. */
export function outputPays(vout: u32, script: Bytes): bool {
  return vout < <u32>outputCount() && outputScript(<i32>vout).equals(script);
}

// Scratch for caller_id.
const CALLER: usize = memory.data(8);

/** True when a contract (not the transaction) made this call. */
export function calledByContract(): bool {
  return host.caller_id(CALLER) == 1;
}

/** Logs an event with these bytes. */
export function emit(data: Bytes): void {
  host.emit(data.ptr, data.len);
}

/** Sets this call's return data. */
export function setReturn(data: Bytes): void {
  host.set_return(data.ptr, data.len);
}

/**
 * Calls contract `id` (8 raw bytes in a u64) with `input` and `assets` from this
 * contract's custody, giving it at most `fuel`; returns its return data. A trap in the
 * callee traps this call too (all or nothing).
 */
export function callContract(id: u64, input: Bytes, assets: Array<Holding>, fuel: u64): Bytes {
  const idp = heap.alloc(8);
  store<u64>(idp, id);
  const w = new Writer(assets.length * HOLDING_SIZE);
  for (let i = 0; i < assets.length; i++) w.asset(assets[i].asset).u128(assets[i].amount);
  const a = w.finish();
  const len = host.call_contract(idp, input.ptr, input.len, a.ptr, assets.length, <i64>fuel);
  const out = Bytes.alloc(len);
  host.return_data_read(out.ptr);
  return out;
}

/**
 * A read-only call of contract `id` with `input`, giving it at most `fuel` (0: all that is
 * left); returns its return data. The callee runs its `call` export but any state change
 * (storage writes, custody moves, issue, burn, emit, call_contract) traps, and it leaves
 * no event: a view such as a price quote.
 */
export function callView(id: u64, input: Bytes, fuel: u64): Bytes {
  const idp = heap.alloc(8);
  store<u64>(idp, id);
  const len = host.call_view(idp, input.ptr, input.len, <i64>fuel);
  const out = Bytes.alloc(len);
  host.return_data_read(out.ptr);
  return out;
}
