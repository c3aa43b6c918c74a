// Raw host bindings: exactly the rootstate host ABI (import module "rootstate").
// Pointers and lengths are i32 offsets into this module's memory; integers in memory
// are little-endian; amounts are u128 (16 bytes LE); asset ids are 12 bytes
// (8-byte contract/token id + u32 LE sub id, sub 0 = a v1 token); outpoints are
// 36 bytes (txid in internal order + vout u32 LE). Contracts normally use the typed
// wrappers in the other sdk modules instead of these.

// @ts-ignore: decorator
@external("rootstate", "input_len")
export declare function input_len(): i32;
// @ts-ignore: decorator
@external("rootstate", "input_read")
export declare function input_read(ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "self_id")
export declare function self_id(ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "caller_id")
export declare function caller_id(ptr: usize): i32;
// @ts-ignore: decorator
@external("rootstate", "block_height")
export declare function block_height(): i64;
// @ts-ignore: decorator
@external("rootstate", "tx_id")
export declare function tx_id(ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "tx_input_count")
export declare function tx_input_count(): i32;
// @ts-ignore: decorator
@external("rootstate", "tx_input")
export declare function tx_input(index: i32, ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "tx_input_assets")
export declare function tx_input_assets(index: i32, ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("rootstate", "tx_output_count")
export declare function tx_output_count(): i32;
// @ts-ignore: decorator
@external("rootstate", "tx_output_value")
export declare function tx_output_value(index: i32): i64;
// @ts-ignore: decorator
@external("rootstate", "tx_output_script")
export declare function tx_output_script(index: i32, ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("rootstate", "received")
export declare function received(ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("rootstate", "balance")
export declare function balance(asset_ptr: usize, out_ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "send")
export declare function send(asset_ptr: usize, amount_ptr: usize, vout: i32): void;
// @ts-ignore: decorator
@external("rootstate", "issue")
export declare function issue(sub: u32, amount_ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "burn")
export declare function burn(asset_ptr: usize, amount_ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "storage_get")
export declare function storage_get(key_ptr: usize, val_ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("rootstate", "storage_set")
export declare function storage_set(key_ptr: usize, val_ptr: usize, val_len: i32): void;
// @ts-ignore: decorator
@external("rootstate", "storage_delete")
export declare function storage_delete(key_ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "emit")
export declare function emit(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("rootstate", "sha256")
export declare function sha256(ptr: usize, len: i32, out_ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "call_contract")
export declare function call_contract(
  id_ptr: usize,
  input_ptr: usize,
  input_len: i32,
  assets_ptr: usize,
  assets_count: i32,
  fuel: i64,
): i32;
// @ts-ignore: decorator
@external("rootstate", "return_data_read")
export declare function return_data_read(ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "set_return")
export declare function set_return(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("rootstate", "abort")
export declare function abort(code: i32): void;
// @ts-ignore: decorator
@external("rootstate", "schnorr_verify")
export declare function schnorr_verify(
  pubkey_ptr: usize,
  msg_ptr: usize,
  msg_len: i32,
  sig_ptr: usize,
): i32;
// @ts-ignore: decorator
@external("rootstate", "block_time")
export declare function block_time(): i64;
// @ts-ignore: decorator
@external("rootstate", "block_median_time")
export declare function block_median_time(): i64;
// @ts-ignore: decorator
@external("rootstate", "send_to_caller")
export declare function send_to_caller(asset_ptr: usize, amount_ptr: usize): void;
// @ts-ignore: decorator
@external("rootstate", "call_view")
export declare function call_view(
  id_ptr: usize,
  input_ptr: usize,
  input_len: i32,
  fuel: i64,
): i32;
