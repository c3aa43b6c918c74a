// The JSON the rootstate API answers (GET /openapi.json is the full contract). Amounts are
// decimal strings of base units because they exceed 2^53; txids and block hashes are in
// RPC (reversed) hex; outpoints are TXID:VOUT; token ids HEIGHT:INDEX.

export interface Status {
  network: string;
  protocol_version: number;
  activation_height: number;
  indexed: { height: number; hash: string; state_hash: string } | null;
  node: { height: number | null; error: string | null; checked_at: number | null };
  lag_blocks: number | null;
  sync_progress: number | null;
  undo: { depth: number; oldest_height: number | null };
  last_reorg: { first_height: number; last_height: number; depth: number } | null;
}

export interface Block {
  height: number;
  hash: string;
  state_hash: string;
  events_hash: string;
  event_count: number;
  state_root: string;
}

export interface Amount {
  token: string;
  ticker: string | null;
  decimals: number | null;
  amount: string;
}

export interface OutpointBalances {
  outpoint: string;
  balances: Amount[];
  authorities: string[];
  script_pubkey?: string | null;
  address?: string | null;
}

export interface AddressBalances {
  address: string;
  script_pubkey: string;
  balances: Amount[];
  outpoints: OutpointBalances[];
  next: string | null;
}

export interface Token {
  id: string;
  ticker: string;
  decimals: number;
  kind: "open_mint" | "issuer";
  max_supply: string;
  minted: string;
  burned: string;
  supply: string;
  mints: number;
  holders: number;
  outpoints: number;
  terms: { amount: string; cap: number; start: number | null; end: number | null } | null;
  authority: string | null;
  deploy: { txid: string; height: number; index: number };
}

export interface Page {
  next: string | null;
}

export interface TokenList extends Page {
  tokens: Token[];
}

export interface Holders extends Page {
  token: string;
  ticker: string;
  decimals: number;
  holder_count: number;
  holders: { script_pubkey: string; address: string | null; amount: string }[];
}

/** An event; `type` says which of the optional fields it has. */
export interface ProtocolEvent {
  height: number;
  index: number;
  type: string;
  txid: string;
  outpoint?: string | null;
  token?: string;
  amount?: string;
  [field: string]: unknown;
}

export interface Events extends Page {
  events: ProtocolEvent[];
}

export interface Tx {
  txid: string;
  block: { height: number; hash: string | null };
  status: string;
  reason: { code: number; name: string } | null;
  payload: string | null;
  message: unknown;
  decode_error: { code: number; name: string } | null;
  events: ProtocolEvent[];
}

export interface Contract {
  id: string;
  code_hash: string;
  code_size: number;
  created_by: string;
  txid: string;
  height: number;
  index: number;
  [field: string]: unknown;
}

export interface ContractList extends Page {
  contracts: Contract[];
}

export interface StorageValue {
  contract: string;
  key: string;
  value: string | null;
}

export interface StorageEntries extends Page {
  contract: string;
  entries: { key: string; value: string }[];
}

export interface SimulateRequest {
  /** The call's input, hex. */
  input: string;
  assets?: { asset: string; amount: string | bigint }[];
  outputs?: { value: number; script_pubkey?: string; address?: string }[];
  inputs?: string[];
  fuel?: number;
}

/** The block a proof was read at (spec §11.2), all four from one store snapshot. */
export interface Anchor {
  height: number;
  block_hash: string;
  state_hash: string;
  state_root: string;
}

/** spec §25: the key, its value (null: absent) and the proof bytes, all hex. */
export interface StateProof {
  key: string;
  value: string | null;
  proof: string;
}

export interface ProofAnswer {
  anchor: Anchor;
  proof: StateProof;
  [field: string]: unknown;
}

export interface ComposeOutput {
  vout: number;
  role: string;
  value: number;
  script_pubkey: string;
  address: string | null;
  balances: Amount[];
  authorities: string[];
}

export interface ComposeAnswer {
  psbt: string;
  txid: string;
  fee: number;
  vsize: number;
  payload: string;
  message: unknown;
  valid_from_height: number;
  inputs: { outpoint: string; value: number; balances: Amount[]; authorities: string[] }[];
  outputs: ComposeOutput[];
}

/** A UTXO the wallet pays from; `tokens` must name every token it carries. */
export interface Funding {
  outpoint: string;
  value: number;
  address?: string;
  script_pubkey?: string;
  tokens?: string[];
  prev_tx?: string;
  input_weight?: number;
}

export interface ComposeCommon {
  funding: Funding[];
  change_address: string;
  fee_rate: number;
}

export interface TransferRequest extends ComposeCommon {
  transfers: { token: string; amount: string | bigint; address: string }[];
}

export interface MintRequest extends ComposeCommon {
  token: string;
  address: string;
  amount?: string | bigint;
}

export interface BurnRequest extends ComposeCommon {
  token: string;
  amount: string | bigint;
}
