// BTC-settled OTC sale. A seller deposits tokens with a price in sats and the
// scriptPubKey to be paid; any transaction that pays at least that many sats to that
// script in one of its outputs, and calls `take`, receives the tokens at an output it
// names. Payment and delivery happen in the same Bitcoin transaction, so neither side
// can cheat and no PSBT coordination is needed. After the seller's expiry height
// anyone may return unsold tokens to the seller's script (they can go nowhere else).
// Input layouts: contracts/README.md.
import {
  AssetId,
  Bytes,
  E_RECEIVED,
  Key,
  Reader,
  U128,
  Writer,
  amountOf,
  emit,
  fail,
  getBytes,
  height,
  input,
  mustGetBytes,
  noneReceived,
  onlyReceived,
  outputCount,
  outputPays,
  outputScript,
  outputValue,
  received,
  remove,
  require,
  send,
  setBytes,
  setReturn,
  setU64,
  getU64,
  txId,
} from "../sdk";

/** Unknown operation byte. */
const E_OP: i32 = 100;
/** No such open offer. */
const E_NO_OFFER: i32 = 101;
/** No output of the transaction pays the price to the seller's script. */
const E_NOT_PAID: i32 = 102;
/** Reclaim before the offer's expiry height. */
const E_NOT_EXPIRED: i32 = 103;
/** Reclaim to an output whose script is not the seller's. */
const E_WRONG_SCRIPT: i32 = 104;
/** Zero price, or a seller script empty or longer than MAX_SCRIPT. */
const E_TERMS: i32 = 105;

/** Longest seller scriptPubKey accepted (bare multisig and every standard type fit). */
const MAX_SCRIPT: i32 = 200;

const SLOT_NEXT_ID: u8 = 1;
const MAP_OFFER: u8 = 2;
const SLOT_PAID: u8 = 3;

const OP_OFFER: u8 = 1;
const OP_TAKE: u8 = 2;
const OP_RECLAIM: u8 = 3;
const OP_VIEW: u8 = 4;

/** An offer as stored: asset, amount, price, expiry, seller script. */
class Offer {
  constructor(
    public asset: AssetId,
    public amount: U128,
    public price: u64,
    public expiry: u64,
    public script: Bytes,
  ) {}

  encode(): Bytes {
    return new Writer(12 + 16 + 8 + 8 + 2 + this.script.len)
      .asset(this.asset)
      .u128(this.amount)
      .u64(this.price)
      .u64(this.expiry)
      .script(this.script)
      .finish();
  }

  static decode(b: Bytes): Offer {
    const r = new Reader(b.ptr, b.len);
    const o = new Offer(r.asset(), r.u128(), r.u64(), r.u64(), r.script());
    r.done();
    return o;
  }
}

function offerKey(id: u32): Key {
  return Key.mapU32(MAP_OFFER, id);
}

function loadOffer(id: u32): Offer {
  return Offer.decode(mustGetBytes(offerKey(id), E_NO_OFFER));
}

/** offer: price_sats (u64), expiry_height (u64), seller script; send one asset in. */
function offer(r: Reader): void {
  const price = r.u64();
  const expiry = r.u64();
  const script = r.script();
  r.done();
  require(price > 0 && script.len > 0 && script.len <= MAX_SCRIPT, E_TERMS);
  const got = received();
  require(got.length > 0, E_RECEIVED);
  // One asset per offer: every record must be of the first record's asset.
  const asset = got[0].asset;
  onlyReceived(got, [asset]);
  const amount = amountOf(got, asset);
  require(!amount.isZero(), E_RECEIVED);
  const key = Key.slot(SLOT_NEXT_ID);
  const id = <u32>(getU64(key) + 1);
  setU64(key, <u64>id);
  setBytes(offerKey(id), new Offer(asset, amount, price, expiry, script).encode());
  emit(new Writer(5).u8(OP_OFFER).u32(id).finish());
  setReturn(new Writer(4).u32(id).finish());
}

/**
 * Claims output `vout` of this transaction as a payment, once: a nested call could
 * otherwise take two offers of the same seller with one payment. Slot SLOT_PAID holds
 * the txid and the outputs already claimed in it, so storage stays one value.
 */
function claimPayment(vout: u32): bool {
  const tx = txId();
  const key = Key.slot(SLOT_PAID);
  const prev = getBytes(key);
  let w: Writer;
  if (prev != null && prev.len >= 32 && memory.compare(prev.ptr, tx.ptr, 32) == 0) {
    const r = new Reader(prev.ptr + 32, prev.len - 32);
    while (r.remaining() > 0) if (r.u32() == vout) return false;
    w = new Writer(prev.len + 4).bytes(prev);
  } else {
    w = new Writer(36).bytes(tx);
  }
  setBytes(key, w.u32(vout).finish());
  return true;
}

/** An output of this transaction paying at least `price` sats to `script`, or -1. */
function findPayment(price: u64, script: Bytes): i32 {
  const n = outputCount();
  for (let i = 0; i < n; i++) {
    if (outputValue(i) >= price && outputScript(i).equals(script) && claimPayment(<u32>i)) {
      return i;
    }
  }
  return -1;
}

/**
 * take: offer_id (u32), vout (u32) to receive the tokens; pay the seller in the same tx.
 * reclaim: offer_id (u32), vout (u32) whose script is the seller's; after expiry.
 */
function close(op: u8, r: Reader): void {
  const id = r.u32();
  const vout = r.u32();
  r.done();
  noneReceived();
  const o = loadOffer(id);
  if (op == OP_TAKE) {
    require(findPayment(o.price, o.script) >= 0, E_NOT_PAID);
  } else {
    require(height() >= o.expiry, E_NOT_EXPIRED);
    require(outputPays(vout, o.script), E_WRONG_SCRIPT);
  }
  remove(offerKey(id));
  send(o.asset, o.amount, vout);
  emit(new Writer(5).u8(op).u32(id).finish());
}

/** view: offer_id (u32); returns the stored offer record. */
function view(r: Reader): void {
  const id = r.u32();
  r.done();
  noneReceived();
  setReturn(loadOffer(id).encode());
}

export function call(): void {
  const r = input();
  const op = r.u8();
  if (op == OP_OFFER) offer(r);
  else if (op == OP_TAKE || op == OP_RECLAIM) close(op, r);
  else if (op == OP_VIEW) view(r);
  else fail(E_OP);
}
