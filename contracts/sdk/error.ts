// Error codes passed to rootstate.abort. Codes 1..99 belong to the SDK; a contract
// uses 100 and above for its own (each example's README section lists them).
import * as host from "./host";

/** The input was shorter than its layout, longer than it, or a field was out of range. */
export const E_INPUT: i32 = 1;
/** An unsigned 128-bit result did not fit (add or multiply overflow). */
export const E_OVERFLOW: i32 = 2;
/** A subtraction would have gone below zero. */
export const E_UNDERFLOW: i32 = 3;
/** Division by zero in the SDK's 128/256-bit arithmetic. */
export const E_DIV_ZERO: i32 = 4;
/** A stored value had the wrong length (storage is corrupt or the key is misused). */
export const E_STORAGE: i32 = 5;
/** The assets sent into the call do not match what the entry point expects. */
export const E_RECEIVED: i32 = 6;
/** schnorrVerify was given a key other than 32 bytes or a signature other than 64. */
export const E_SIGNATURE_LENGTH: i32 = 7;
/** AssemblyScript's own runtime abort (assert(), bounds checks, allocation failure). */
export const E_RUNTIME: i32 = 99;

/** Traps the whole message with a contract-defined error code; never returns. */
export function fail(code: i32): void {
  host.abort(code);
  // The host never returns from abort; unreachable keeps the compiler's control flow
  // honest if a host ever did.
  unreachable();
}

/** fail(code) unless cond holds. */
export function require(cond: bool, code: i32): void {
  if (!cond) fail(code);
}

/**
 * Target of `--use abort=sdk/error/runtimeAbort`: AssemblyScript calls `abort(msg, file,
 * line, col)` on a failed assert or a bounds check; the message and position are
 * dropped (they would import env.abort, which publish rejects) and the module traps
 * through the host with E_RUNTIME.
 */
export function runtimeAbort(
  message: string | null,
  fileName: string | null,
  lineNumber: u32,
  columnNumber: u32,
): void {
  fail(E_RUNTIME);
}
