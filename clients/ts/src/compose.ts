// Compose routes: the indexer builds an unsigned transaction (a BIP174 PSBT) from the
// wallet's UTXOs, and the wallet signs it itself. The PSBT is decoded here with
// @scure/btc-signer and checked against the request and the answer, so what the wallet is
// asked to sign spends exactly the funding it named and pays exactly the outputs described.

import { Transaction } from "@scure/btc-signer";
import type { Indexer } from "./client.js";
import { toHex } from "./hex.js";
import type {
  BurnRequest,
  ComposeAnswer,
  ComposeCommon,
  Funding,
  MintRequest,
  TransferRequest,
} from "./types.js";

export class ComposeMismatchError extends Error {
  override name = "ComposeMismatchError";
}

export interface Composed {
  answer: ComposeAnswer;
  /** The decoded PSBT, ready for the wallet's signer. */
  tx: Transaction;
}

function base64ToBytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The outpoint a PSBT input spends, as TXID:VOUT (btc-signer keeps txids in RPC order). */
function spentOutpoint(tx: Transaction, index: number): string {
  const input = tx.getInput(index);
  if (input.txid === undefined || input.index === undefined) {
    throw new ComposeMismatchError(`PSBT input ${index} names no outpoint`);
  }
  return `${toHex(input.txid)}:${input.index}`;
}

/** Decode `psbt` (base64) and check it spends `funding`, in order, and nothing else. */
export function decodePsbt(base: string, psbt: string, funding: Funding[]): Transaction {
  const fail = (why: string): never => {
    throw new ComposeMismatchError(`indexer ${base} composed a PSBT that ${why}`);
  };
  let tx: Transaction;
  try {
    tx = Transaction.fromPSBT(base64ToBytes(psbt));
  } catch (error) {
    return fail(`does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
  const spent = Array.from({ length: tx.inputsLength }, (_, i) => spentOutpoint(tx, i));
  const asked = funding.map((f) => f.outpoint.toLowerCase());
  if (spent.join() !== asked.join()) {
    fail(`spends ${spent.join(", ")} instead of the funding ${asked.join(", ")}`);
  }
  return tx;
}

/** The PSBT's outputs must be the answer's, and its txid the one the answer names. */
function checkAnswer(base: string, answer: ComposeAnswer, tx: Transaction): void {
  const fail = (why: string): never => {
    throw new ComposeMismatchError(`indexer ${base} composed a PSBT that ${why}`);
  };
  if (tx.id !== answer.txid) fail(`has txid ${tx.id}, not the ${answer.txid} it announced`);
  if (tx.outputsLength !== answer.outputs.length) {
    fail(`has ${tx.outputsLength} outputs, not the ${answer.outputs.length} it described`);
  }
  answer.outputs.forEach((described, vout) => {
    const output = tx.getOutput(vout);
    const script = output.script === undefined ? "" : toHex(output.script);
    if (script !== described.script_pubkey || output.amount !== BigInt(described.value)) {
      fail(`pays ${output.amount} sat to ${script} at output ${vout}, not what it described`);
    }
  });
}

async function compose(indexer: Indexer, kind: string, request: ComposeCommon): Promise<Composed> {
  const answer = await indexer.http.post<ComposeAnswer>(`/v1/compose/${kind}`, request);
  const tx = decodePsbt(indexer.url, answer.psbt, request.funding);
  checkAnswer(indexer.url, answer, tx);
  return { answer, tx };
}

/** A transfer; every recipient must be paid the address and amount asked for. */
export async function composeTransfer(
  indexer: Indexer,
  request: TransferRequest,
): Promise<Composed> {
  const composed = await compose(indexer, "transfer", request);
  for (const transfer of request.transfers) {
    const paid = composed.answer.outputs.some(
      (o) =>
        o.role === "recipient" &&
        o.address === transfer.address &&
        o.balances.some((b) => BigInt(b.amount) === BigInt(transfer.amount)),
    );
    if (!paid) {
      throw new ComposeMismatchError(
        `indexer ${indexer.url} composed no output paying ${transfer.amount} to ${transfer.address}`,
      );
    }
  }
  return composed;
}

export function composeMint(indexer: Indexer, request: MintRequest): Promise<Composed> {
  return compose(indexer, "mint", request);
}

export function composeBurn(indexer: Indexer, request: BurnRequest): Promise<Composed> {
  return compose(indexer, "burn", request);
}

/** A contract call (POST /v1/compose/call): the answer includes the call's simulation. */
export function composeCall(
  indexer: Indexer,
  request: ComposeCommon & { contract: string; input: string; [field: string]: unknown },
): Promise<Composed> {
  return compose(indexer, "call", request);
}

export interface Published {
  answer: Record<string, unknown> & {
    commit: { psbt: string; txid: string; fee: number; vsize: number };
    reveal: { psbt: string; txid: string; fee: number; vsize: number };
    commit_outpoint: string;
  };
  commit: Transaction;
  reveal: Transaction;
}

/** Publish a contract by taproot envelope: a commit PSBT and the reveal that spends it. */
export async function composePublish(
  indexer: Indexer,
  request: ComposeCommon & { code: string; init?: string; pubkey?: string },
): Promise<Published> {
  const answer = await indexer.http.post<Published["answer"]>("/v1/compose/publish", request);
  const commit = decodePsbt(indexer.url, answer.commit.psbt, request.funding);
  const reveal = decodePsbt(indexer.url, answer.reveal.psbt, [
    { outpoint: answer.commit_outpoint, value: 0 },
  ]);
  if (commit.id !== answer.commit.txid || !answer.commit_outpoint.startsWith(`${commit.id}:`)) {
    throw new ComposeMismatchError(
      `indexer ${indexer.url} announced a commit txid its PSBT does not have`,
    );
  }
  return { answer, commit, reveal };
}
