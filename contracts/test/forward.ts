// Test module (not an example): a one-hop router. Input: a contract id (8 bytes) and then
// that contract's input. Forwards the input and every asset sent in to that contract
// with all the fuel left, and returns the callee's return data as its own.
import { callContract, input, received, setReturn } from "../sdk";

export function call(): void {
  const r = input();
  const callee = r.u64();
  const rest = r.bytes(r.remaining());
  r.done();
  setReturn(callContract(callee, rest, received(), 0));
}
