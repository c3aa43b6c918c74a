// Test module (not an example): exercises the host additions of CONTRACTS.md §17.5-§17.7
// through the SDK. Input: one byte naming the action, then its arguments. "Logs" is an
// emit (so it traps inside a read-only call); action 7 answers with return data instead.
//   1 pubkey(32) sig(64) msg(rest)   logs 1 byte: schnorrVerify's result
//   2                                logs blockTime u64 LE, medianTime u64 LE
//   3 asset(12) amount(16)           sendToCaller(asset, amount)
//   4 id(8) input(rest)              logs callView(id, input)'s return data
//   5 id(8) input(rest)              forwards every asset received to contract id with the
//                                    input (callContract), then logs its return data
//                                    followed by this contract's custody (16 bytes each)
//                                    of every asset received
//   6 value(rest)                    stores value in slot 1 (a write: traps in a view)
//   7 asset(12)                      returns this contract's custody of asset (16 bytes)
import {
  Bytes,
  Key,
  Writer,
  balanceOf,
  blockTime,
  callContract,
  callView,
  emit,
  fail,
  input,
  medianTime,
  received,
  schnorrVerify,
  sendToCaller,
  setBytes,
  setReturn,
  E_INPUT,
} from "../sdk";

export function call(): void {
  const r = input();
  const action = r.u8();
  if (action == 1) {
    const pubkey = r.bytes(32);
    const sig = r.bytes(64);
    const msg = r.bytes(r.remaining());
    emit(new Writer(1).u8(schnorrVerify(pubkey, msg, sig) ? 1 : 0).finish());
  } else if (action == 2) {
    r.done();
    emit(new Writer(16).u64(blockTime()).u64(medianTime()).finish());
  } else if (action == 3) {
    const asset = r.asset();
    const amount = r.u128();
    r.done();
    sendToCaller(asset, amount);
  } else if (action == 4) {
    const id = r.u64();
    emit(callView(id, r.bytes(r.remaining()), 0));
  } else if (action == 5) {
    const id = r.u64();
    const got = received();
    const back = callContract(id, r.bytes(r.remaining()), got, 0);
    const w = new Writer(back.len + 16 * got.length);
    w.bytes(back);
    for (let i = 0; i < got.length; i++) w.u128(balanceOf(got[i].asset));
    emit(w.finish());
  } else if (action == 6) {
    const value: Bytes = r.bytes(r.remaining());
    setBytes(Key.slot(1), value);
  } else if (action == 7) {
    const asset = r.asset();
    r.done();
    setReturn(new Writer(16).u128(balanceOf(asset)).finish());
  } else {
    fail(E_INPUT);
  }
}
