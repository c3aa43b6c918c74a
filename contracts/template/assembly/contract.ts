// __NAME__: a counter anyone may add to, which also keeps tips (any assets sent to it) in
// custody. Made by `rootstate contract new`; the tutorial in rootstate's contracts/README.md
// walks through it. Every input is the SDK codec's fixed layout (little-endian integers).
//
//   entry        input          assets sent in   effect
//   init         start (u64)    none             sets the count
//   call op 1    n (u64, > 0)   none             adds n; emits and returns the new count
//   call op 2    -              at least one     keeps them; counts the tip; returns the tips
//   call op 3    -              none             returns count (u64), tips (u64)
import {
  E_OVERFLOW,
  Key,
  Writer,
  emit,
  fail,
  getU64,
  input,
  noneReceived,
  received,
  require,
  setReturn,
  setU64,
} from "rootstate-sdk";

/** Unknown operation byte. Contract codes start at 100 (the SDK's are 1 to 99). */
const E_OP: i32 = 100;
/** Adding zero: a call that changes nothing is refused rather than paid for. */
const E_ZERO: i32 = 101;
/** A tip with no assets sent in. */
const E_NO_TIP: i32 = 102;

const SLOT_COUNT: u8 = 1;
const SLOT_TIPS: u8 = 2;

const OP_ADD: u8 = 1;
const OP_TIP: u8 = 2;
const OP_VIEW: u8 = 3;

export function init(): void {
  noneReceived();
  const r = input();
  const start = r.u64();
  r.done();
  setU64(Key.slot(SLOT_COUNT), start);
}

export function call(): void {
  const r = input();
  const op = r.u8();
  if (op == OP_ADD) {
    noneReceived();
    const n = r.u64();
    r.done();
    require(n > 0, E_ZERO);
    const count = getU64(Key.slot(SLOT_COUNT)) + n;
    // An overflowing count wraps to below what it was: refuse it.
    require(count >= n, E_OVERFLOW);
    setU64(Key.slot(SLOT_COUNT), count);
    const out = new Writer(8).u64(count).finish();
    emit(out);
    setReturn(out);
  } else if (op == OP_TIP) {
    r.done();
    // Whatever was sent in stays in the contract's custody: that is all a tip needs.
    require(received().length > 0, E_NO_TIP);
    const tips = getU64(Key.slot(SLOT_TIPS)) + 1;
    setU64(Key.slot(SLOT_TIPS), tips);
    setReturn(new Writer(8).u64(tips).finish());
  } else if (op == OP_VIEW) {
    noneReceived();
    r.done();
    const w = new Writer(16).u64(getU64(Key.slot(SLOT_COUNT))).u64(getU64(Key.slot(SLOT_TIPS)));
    setReturn(w.finish());
  } else {
    fail(E_OP);
  }
}
