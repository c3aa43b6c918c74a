// Test module (not an example): exposes the SDK's u128 arithmetic so that
// tests/contracts/test_sdk_math.py can check it against Python integers.
// Input: op (u8), a (u128), b (u128), c (u128). Returns the u128 result.
// Ops: 1 a+b, 2 a-b, 3 a*b, 4 a/b, 5 floor(a*b/c), 6 ceil(a*b/c), 7 floor(sqrt(a*b)),
// 8 index a one-byte array at a.lo (an AssemblyScript bounds check: abort code 99).
import { E_INPUT, U128, Writer, fail, input, setReturn } from "../sdk";

export function call(): void {
  const r = input();
  const op = r.u8();
  const a = r.u128();
  const b = r.u128();
  const c = r.u128();
  r.done();
  let out: U128;
  if (op == 1) out = a.add(b);
  else if (op == 2) out = a.sub(b);
  else if (op == 3) out = a.mul(b);
  else if (op == 4) out = a.div(b);
  else if (op == 5) out = U128.mulDiv(a, b, c);
  else if (op == 6) out = U128.mulDivUp(a, b, c);
  else if (op == 7) out = U128.sqrtMul(a, b);
  else if (op == 8) {
    const one = new StaticArray<u8>(1);
    out = U128.from(<u64>one[<i32>a.lo]);
  } else {
    fail(E_INPUT);
    return;
  }
  setReturn(new Writer(16).u128(out).finish());
}
