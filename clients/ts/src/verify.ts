// Answers a wallet can rely on without trusting any one indexer: the rules of
// `rootstate check` (cli/check.py) and spec/STATE_ROOT.md §25.3.
//
// 1. Every named indexer must report the same block hash, state hash and state root at the
//    height a proof is anchored at; the height must be one every indexer has (an indexer
//    that lags cannot vouch for a newer block), else the answer is refused naming who
//    reported what.
// 2. Every indexer's proof of a key must be anchored at that agreed block, at one height for
//    the whole answer, and must verify (§25.2) against the agreed root, for a key derived
//    here from what was asked, never from the answer.
// 3. Balances are decoded from the proved bytes; nothing an indexer rendered is used.
// Agreement among copies of one store proves nothing: name independently operated indexers.

import { Indexer } from "./client.js";
import type { HttpOptions } from "./http.js";
import { fromHex, toHex } from "./hex.js";
import { ProofError, verifyProof } from "./proof.js";
import {
  type OutpointAssets,
  type TokenInfo,
  decodeOutpointAssets,
  decodeTokenRecord,
  isOutpoint,
  outpointKey,
  storageKey,
  tokenKey,
} from "./records.js";
import type { ProofAnswer } from "./types.js";

export interface BlockReport {
  blockHash: string;
  stateHash: string;
  stateRoot: string;
}

export interface AgreedBlock extends BlockReport {
  height: number;
}

/** A refusal: nothing was verified. `indexer` names the one at fault when one is. */
export class RefusedError extends Error {
  override name = "RefusedError";
  constructor(
    message: string,
    readonly indexer: string | null = null,
    /** At a disagreement: what every indexer reported at `height`. */
    readonly reports: Record<string, BlockReport> = {},
    readonly height: number | null = null,
  ) {
    super(message);
  }
}

export interface VerifiedAmount {
  token: string;
  ticker: string;
  decimals: number;
  amount: bigint;
}

export interface VerifiedOutpoint {
  outpoint: string;
  balances: VerifiedAmount[];
  authorities: string[];
}

export interface VerifiedBalances extends AgreedBlock {
  outpoints: VerifiedOutpoint[];
  /** Sums over `outpoints`, per token, in token id order. */
  totals: VerifiedAmount[];
  /** What is not proved: e.g. an indexer that did not list an outpoint another did. */
  notes: string[];
}

export interface VerifierOptions extends HttpOptions {
  /** Times to ask again when indexers answer at different tips (a block just arrived). */
  retries?: number;
  retryDelayMs?: number;
}

function describe(report: BlockReport): string {
  return `block ${report.blockHash}, state hash ${report.stateHash}, state root ${report.stateRoot}`;
}

function same(a: BlockReport, b: BlockReport): boolean {
  return a.blockHash === b.blockHash && a.stateHash === b.stateHash && a.stateRoot === b.stateRoot;
}

function compareIds(a: string, b: string): number {
  const x = a.split(":").map(Number);
  const y = b.split(":").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

export class Verifier {
  readonly indexers: Indexer[];
  /** Agreements of the current operation only: after a reorg, a height holds another block. */
  private readonly agreedAt = new Map<number, AgreedBlock>();
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(indexers: (string | Indexer)[], options: VerifierOptions = {}) {
    const urls = new Set<string>();
    this.indexers = [];
    for (const one of indexers) {
      const indexer = typeof one === "string" ? new Indexer(one, options) : one;
      if (!urls.has(indexer.url)) this.indexers.push(indexer);
      urls.add(indexer.url);
    }
    if (this.indexers.length === 0) throw new RefusedError("name at least one indexer");
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
  }

  private async each<T>(ask: (indexer: Indexer) => Promise<T>): Promise<T[]> {
    try {
      return await Promise.all(this.indexers.map(ask));
    } catch (error) {
      if (error instanceof Error && "indexer" in error && typeof error.indexer === "string") {
        throw new RefusedError(error.message, error.indexer);
      }
      throw error;
    }
  }

  /** The highest height every indexer has indexed. */
  async commonHeight(): Promise<number> {
    const tips = await this.each(async (indexer) => {
      const indexed = (await indexer.status()).indexed;
      if (indexed === null)
        throw new RefusedError(`indexer ${indexer.url} has indexed no block yet`, indexer.url);
      return indexed.height;
    });
    return Math.min(...tips);
  }

  /** The block every indexer reports at `height`; RefusedError naming them unless all agree. */
  async agreed(height: number): Promise<AgreedBlock> {
    const known = this.agreedAt.get(height);
    if (known !== undefined) return known;
    const blocks = await this.each((indexer) => indexer.block(height));
    const reports: Record<string, BlockReport> = {};
    const groups: { report: BlockReport; urls: string[] }[] = [];
    this.indexers.forEach((indexer, i) => {
      const block = blocks[i]!;
      const report = {
        blockHash: String(block.hash),
        stateHash: String(block.state_hash),
        stateRoot: String(block.state_root),
      };
      reports[indexer.url] = report;
      const group = groups.find((g) => same(g.report, report));
      if (group) group.urls.push(indexer.url);
      else groups.push({ report, urls: [indexer.url] });
    });
    if (groups.length > 1) {
      groups.sort((a, b) => b.urls.length - a.urls.length);
      const lines = groups.map((g) => `  ${g.urls.join(", ")}: ${describe(g.report)}`);
      // The indexer at fault is the one outside the largest group, when exactly one is.
      const outliers = groups.slice(1).flatMap((g) => g.urls);
      throw new RefusedError(
        `the indexers disagree at height ${height}; nothing is verified:\n${lines.join("\n")}`,
        outliers.length === 1 && groups[0]!.urls.length > 1 ? outliers[0]! : null,
        reports,
        height,
      );
    }
    const agreed = { height, ...reports[this.indexers[0]!.url]! };
    this.agreedAt.set(height, agreed);
    return agreed;
  }

  /** A root to trust: the block all indexers agree on at the highest height all have. */
  async agreedRoot(): Promise<AgreedBlock> {
    this.agreedAt.clear();
    return this.agreed(await this.commonHeight());
  }

  /** Verify one answer's proof of `key`: the proved value (null: absent) and its height. */
  async checked(
    base: string,
    answer: ProofAnswer,
    key: Uint8Array,
  ): Promise<{ height: number; value: Uint8Array | null }> {
    let height: number;
    let value: Uint8Array | null;
    let proof: Uint8Array;
    try {
      height = answer.anchor.height;
      if (!Number.isSafeInteger(height) || height < 0)
        throw new TypeError(`height ${String(height)}`);
      value = answer.proof.value === null ? null : fromHex(answer.proof.value, "value");
      proof = fromHex(answer.proof.proof, "proof");
    } catch (error) {
      throw new RefusedError(
        `indexer ${base} sent a malformed proof answer (${String(error)})`,
        base,
      );
    }
    const agreed = await this.agreed(height);
    const fields = [
      ["block_hash", "blockHash"],
      ["state_hash", "stateHash"],
      ["state_root", "stateRoot"],
    ] as const;
    for (const [wire, name] of fields) {
      if (answer.anchor[wire] !== agreed[name]) {
        throw new RefusedError(
          `indexer ${base} anchors its proof at height ${height} with ${wire} ${String(answer.anchor[wire])}, but the indexers agree on ${agreed[name]}`,
          base,
        );
      }
    }
    try {
      verifyProof(fromHex(agreed.stateRoot), key, value, proof);
    } catch (error) {
      if (!(error instanceof ProofError)) throw error;
      throw new RefusedError(
        `indexer ${base} sent a proof for ${toHex(key)} that does not verify: ${error.message}`,
        base,
      );
    }
    return { height, value };
  }

  /** Ask every indexer to prove `key`; one value, at one height all of them agree on. */
  private async provedByAll(
    key: Uint8Array,
    ask: (indexer: Indexer) => Promise<ProofAnswer>,
  ): Promise<{ height: number; value: Uint8Array | null }> {
    for (let attempt = 0; ; attempt++) {
      const answers = await this.each(ask);
      const heights = [...new Set(answers.map((a) => a.anchor?.height))];
      if (heights.length > 1) {
        if (attempt < this.retries) {
          await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
          continue;
        }
        const each = this.indexers.map(
          (indexer, i) => `${indexer.url} at ${String(answers[i]!.anchor?.height)}`,
        );
        throw new RefusedError(
          `the indexers answered at different heights (${each.join(", ")}): retry when all are at the same tip`,
        );
      }
      let proved: { height: number; value: Uint8Array | null } | null = null;
      for (const [i, indexer] of this.indexers.entries()) {
        proved = await this.checked(indexer.url, answers[i]!, key);
      }
      return proved!; // one root and one key prove one value
    }
  }

  /** What `outpoints` hold, proved; `listed` says which indexer listed which (for notes). */
  async outpoints(
    outpoints: string[],
    listed: Map<string, string[]> = new Map(),
  ): Promise<VerifiedBalances> {
    this.agreedAt.clear();
    const wanted = [...new Set(outpoints.map((o) => o.toLowerCase()))].sort();
    const held = new Map<string, OutpointAssets>();
    const heights = new Set<number>();
    for (const outpoint of wanted) {
      if (!isOutpoint(outpoint))
        throw new RefusedError(`${outpoint.slice(0, 100)} is not an outpoint (TXID:VOUT)`);
      const proved = await this.provedByAll(outpointKey(outpoint), (indexer) =>
        indexer.outpointProof(outpoint),
      );
      heights.add(proved.height);
      if (heights.size > 1) {
        throw new RefusedError(
          `the indexers moved from height ${[...heights].join(" to ")} during the check: retry`,
        );
      }
      held.set(outpoint, decodeOutpointAssets(proved.value));
    }
    const height = heights.size ? [...heights][0]! : await this.commonHeight();
    const agreed = await this.agreed(height);
    const tokens = await this.tokensOf([...held.values()]);
    const totals = new Map<string, bigint>();
    const result: VerifiedBalances = { ...agreed, outpoints: [], totals: [], notes: [] };
    for (const [outpoint, assets] of held) {
      result.outpoints.push({
        outpoint,
        balances: assets.balances.map(({ token, amount }) => {
          totals.set(token, (totals.get(token) ?? 0n) + amount);
          return { token, ...tokens.get(token)!, amount };
        }),
        authorities: assets.authorities,
      });
    }
    result.totals = [...totals.keys()]
      .sort(compareIds)
      .map((token) => ({ token, ...tokens.get(token)!, amount: totals.get(token)! }));
    for (const [base, texts] of listed) {
      const missing = wanted.filter((o) => !texts.includes(o) && !isEmpty(held.get(o)!));
      if (missing.length) result.notes.push(`indexer ${base} did not list ${missing.join(", ")}`);
    }
    return result;
  }

  /** What `address` holds: the union of the outpoints every indexer lists, each proved. */
  async address(address: string): Promise<VerifiedBalances> {
    const lists = await this.each((indexer) => indexer.addressOutpoints(address));
    const listed = new Map(
      this.indexers.map((indexer, i) => [indexer.url, lists[i]!.map((o) => o.toLowerCase())]),
    );
    const result = await this.outpoints(lists.flat(), listed);
    result.notes.push(
      "the outpoints of an address are those the indexers list; what each holds is proved, that the address has no others is not",
    );
    return result;
  }

  /** A token's record, proved: ticker, decimals and supply figures. */
  async token(token: string): Promise<TokenInfo & { height: number }> {
    this.agreedAt.clear();
    const proved = await this.provedByAll(tokenKey(token), (indexer) => indexer.tokenProof(token));
    if (proved.value === null) throw new RefusedError(`token ${token} is proved not to exist`);
    return { ...decodeTokenRecord(proved.value), height: proved.height };
  }

  /** A contract storage slot's value (null: unset), proved. */
  async storage(
    contract: string,
    slotHex: string,
  ): Promise<{ height: number; value: Uint8Array | null }> {
    this.agreedAt.clear();
    const key = storageKey(contract, slotHex);
    return this.provedByAll(key, (indexer) => indexer.storageProof(contract, slotHex));
  }

  /** Tickers and decimals from proved token records, asked of the first indexer. */
  private async tokensOf(
    held: OutpointAssets[],
  ): Promise<Map<string, { ticker: string; decimals: number }>> {
    const out = new Map<string, { ticker: string; decimals: number }>();
    const first = this.indexers[0]!;
    for (const token of new Set(held.flatMap((a) => a.balances.map((b) => b.token)))) {
      const { value } = await this.checked(
        first.url,
        await first.tokenProof(token),
        tokenKey(token),
      );
      if (value === null)
        throw new RefusedError(`token ${token} is proved not to exist`, first.url);
      const record = decodeTokenRecord(value);
      out.set(token, { ticker: record.ticker, decimals: record.decimals });
    }
    return out;
  }
}

function isEmpty(assets: OutpointAssets): boolean {
  return assets.balances.length === 0 && assets.authorities.length === 0;
}
