// Typed calls for one indexer's read API. Nothing here is verified: these are what one
// indexer says. For balances a wallet relies on, use Verifier (verify.ts), which asks
// several independent indexers and checks proofs against the root they agree on.

import { Http, type HttpOptions } from "./http.js";
import { type Query, query, segment } from "./query.js";
import type {
  AddressBalances,
  Block,
  Contract,
  ContractList,
  Events,
  Holders,
  OutpointBalances,
  ProofAnswer,
  Status,
  SimulateRequest,
  StorageEntries,
  StorageValue,
  Token,
  TokenList,
  Tx,
} from "./types.js";

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

export class Indexer {
  readonly http: Http;

  constructor(base: string, options: HttpOptions = {}) {
    this.http = new Http(base, options);
  }

  get url(): string {
    return this.http.base;
  }

  status(): Promise<Status> {
    return this.http.get("/v1/status");
  }

  /** A block by height or by hash (RPC hex). */
  block(id: number | string): Promise<Block> {
    return this.http.get(`/v1/blocks/${segment(String(id))}`);
  }

  tokens(
    options: PageOptions & { sort?: "deploy" | "holders"; order?: "asc" | "desc" } = {},
  ): Promise<TokenList> {
    return this.http.get(`/v1/tokens${query(options as Query)}`);
  }

  /** A token by id (HEIGHT:INDEX) or ticker. */
  token(token: string): Promise<Token> {
    return this.http.get(`/v1/tokens/${segment(token)}`);
  }

  holders(token: string, options: PageOptions = {}): Promise<Holders> {
    return this.http.get(`/v1/tokens/${segment(token)}/holders${query(options as Query)}`);
  }

  outpoint(outpoint: string): Promise<OutpointBalances> {
    return this.http.get(`/v1/outpoints/${segment(outpoint)}`);
  }

  /** Up to 1,000 outpoints in one request. */
  async outpoints(outpoints: string[]): Promise<OutpointBalances[]> {
    const body = await this.http.post<{ outpoints: OutpointBalances[] }>("/v1/outpoints", {
      outpoints,
    });
    return body.outpoints;
  }

  addressBalances(
    address: string,
    options: PageOptions & { proofs?: boolean } = {},
  ): Promise<AddressBalances> {
    return this.http.get(`/v1/addresses/${segment(address)}/balances${query(options as Query)}`);
  }

  /** Every outpoint the indexer lists for `address`, following its pages. */
  async addressOutpoints(address: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.addressBalances(address, cursor === undefined ? {} : { cursor });
      out.push(...page.outpoints.map((o) => o.outpoint));
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  tx(txid: string): Promise<Tx> {
    return this.http.get(`/v1/txs/${segment(txid)}`);
  }

  events(options: PageOptions & { from?: number; to?: number } = {}): Promise<Events> {
    return this.http.get(`/v1/events${query(options as Query)}`);
  }

  addressEvents(
    address: string,
    options: PageOptions & { order?: "asc" | "desc" } = {},
  ): Promise<Events> {
    return this.http.get(`/v1/addresses/${segment(address)}/events${query(options as Query)}`);
  }

  contracts(options: PageOptions = {}): Promise<ContractList> {
    return this.http.get(`/v1/contracts${query(options as Query)}`);
  }

  contract(id: string): Promise<Contract> {
    return this.http.get(`/v1/contracts/${segment(id)}`);
  }

  storage(contract: string, keyHex: string): Promise<StorageValue> {
    return this.http.get(`/v1/contracts/${segment(contract)}/storage/${segment(keyHex)}`);
  }

  /** A contract's storage entries in key order (32-byte keys and values in hex), paged. */
  storageEntries(contract: string, options: PageOptions = {}): Promise<StorageEntries> {
    return this.http.get(`/v1/contracts/${segment(contract)}/storage${query(options as Query)}`);
  }

  /** Run a call on the tip's state without committing it (see the README's simulate). */
  simulate(contract: string, request: SimulateRequest): Promise<Record<string, unknown>> {
    return this.http.post(`/v1/contracts/${segment(contract)}/simulate`, request);
  }

  /** Unverified proof answers: Verifier checks them. */
  outpointProof(outpoint: string): Promise<ProofAnswer> {
    return this.http.get(`/v1/proofs/outpoints/${segment(outpoint)}`);
  }

  tokenProof(token: string): Promise<ProofAnswer> {
    return this.http.get(`/v1/proofs/tokens/${segment(token)}`);
  }

  storageProof(contract: string, slotHex: string): Promise<ProofAnswer> {
    return this.http.get(`/v1/proofs/contracts/${segment(contract)}/storage/${segment(slotHex)}`);
  }

  stateProof(keyHex: string): Promise<ProofAnswer> {
    return this.http.get(`/v1/proofs/state/${segment(keyHex)}`);
  }
}
