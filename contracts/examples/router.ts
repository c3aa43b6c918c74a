// Multi-hop swaps across AMM pools (examples/amm.ts) in one call with one minimum out.
// The router holds nothing between calls: it passes what it was sent to the first pool
// (call_contract with the assets from its custody), each pool returns its output to the
// router's custody (AMM op 6, send_to_caller), the router passes that to the next pool,
// and the last output goes to the caller's output. One min-out covers the whole route;
// a hop that fails, or a final amount below it, fails the whole call (nothing moves).
// Input layouts: contracts/README.md.
import {
  Holding,
  Reader,
  U128,
  Writer,
  callContract,
  fail,
  input,
  received,
  require,
  send,
  setReturn,
} from "../sdk";

/** Unknown operation byte. */
const E_OP: i32 = 100;
/** No hop, more than MAX_HOPS, or not exactly one asset sent in. */
const E_ROUTE: i32 = 101;
/** The route's output is below the minimum. */
const E_SLIPPAGE: i32 = 102;
/** A pool's return data is not (amount u128, asset 12). */
const E_POOL: i32 = 103;

const MAX_HOPS: u8 = 4;
const OP_ROUTE: u8 = 1;
const AMM_SWAP_TO_CALLER: u8 = 6;

/**
 * route: min_out (u128), vout (u32), hops (u8, 1..4), then each pool's contract id (8);
 * send exactly one asset in. Returns the amount out (u128) and the asset out (12).
 */
function route(r: Reader): void {
  const minOut = r.u128();
  const vout = r.u32();
  const hops = r.u8();
  require(hops >= 1 && hops <= MAX_HOPS, E_ROUTE);
  const pools = new Array<u64>();
  for (let i: u8 = 0; i < hops; i++) pools.push(r.u64());
  r.done();
  const got = received();
  require(got.length == 1 && !got[0].amount.isZero(), E_ROUTE);
  let asset = got[0].asset;
  let amount = got[0].amount;
  // Each pool's own minimum is zero: the route's minimum is checked once, at the end.
  const hop = new Writer(17).u8(AMM_SWAP_TO_CALLER).u128(U128.zero()).finish();
  for (let i = 0; i < pools.length; i++) {
    const out = callContract(pools[i], hop, [new Holding(asset, amount)], 0);
    require(out.len == 28, E_POOL);
    const back = new Reader(out.ptr, out.len);
    amount = back.u128();
    asset = back.asset();
  }
  require(amount.ge(minOut), E_SLIPPAGE);
  send(asset, amount, vout);
  setReturn(new Writer(28).u128(amount).asset(asset).finish());
}

export function call(): void {
  const r = input();
  const op = r.u8();
  if (op == OP_ROUTE) route(r);
  else fail(E_OP);
}
