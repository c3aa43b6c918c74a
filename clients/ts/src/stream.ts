// GET /v1/stream as an async iterator of Server-Sent Events, with reconnection: when the
// connection drops or the server sheds load, the stream is reopened after a back-off from
// the last cursor received (Last-Event-ID), so no block is skipped and none is repeated.
// Built on fetch rather than EventSource, which node 20 lacks and which cannot set headers.

import { ApiError } from "./http.js";

export interface StreamMessage {
  /** `hello`, `event`, `block`, `reorg` or `error` (api/sse.py). */
  event: string;
  /** The resume cursor HEIGHT-BLOCKHASH, on `hello` and `block` messages. */
  id: string | null;
  data: unknown;
}

export interface StreamOptions {
  /** Start after this cursor; by default at the indexer's tip. */
  cursor?: string;
  signal?: AbortSignal;
  /** First back-off in ms, doubled per failed attempt up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Give up after this many reconnections in a row that received nothing (default: never). */
  maxAttempts?: number;
  /** Told of every reconnection, with why the previous connection ended. */
  onReconnect?: (attempt: number, reason: string) => void;
  fetch?: typeof fetch;
}

/** Split a byte stream into SSE messages (the WHATWG event-stream format, as the API sends it). */
async function* messages(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  let fields: { event?: string; id?: string; data: string[] } = { data: [] };
  // A reader rather than `for await`: not every browser can iterate a ReadableStream.
  const reader = body.getReader();
  try {
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r?\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer[newline] === "\r" ? 2 : 1));
        if (line === "") {
          if (fields.data.length) {
            yield {
              event: fields.event ?? "message",
              id: fields.id ?? null,
              data: JSON.parse(fields.data.join("\n")) as unknown,
            };
          }
          fields = { data: [] };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (name === "event") fields.event = value;
        else if (name === "id") fields.id = value;
        else if (name === "data") fields.data.push(value);
      }
    }
  } finally {
    // The consumer stopped (or the stream ended): release the connection now.
    await reader.cancel().catch(() => undefined);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Live messages from `base`; ends only when `signal` aborts (or maxAttempts is reached). */
export async function* subscribe(
  base: string,
  options: StreamOptions = {},
): AsyncGenerator<StreamMessage> {
  const fetcher = options.fetch ?? globalThis.fetch;
  const url = `${base.replace(/\/+$/, "")}/v1/stream`;
  const first = options.backoffMs ?? 250;
  let cursor = options.cursor ?? null;
  let attempt = 0;
  while (!options.signal?.aborted) {
    let reason: string;
    try {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (cursor !== null) headers["last-event-id"] = cursor;
      const response = await fetcher(url, {
        headers,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (response.status === 400) {
        // A cursor the index never had: reconnecting cannot help, so say so.
        const body = (await response.json()) as { error?: { code?: string; message?: string } };
        throw new ApiError(
          base,
          "/v1/stream",
          400,
          body.error?.code ?? null,
          `indexer ${base} refused the stream: ${body.error?.message ?? "400"}`,
        );
      }
      if (!response.ok || response.body === null) {
        reason = `status ${response.status}`;
        await response.body?.cancel();
      } else {
        for await (const message of messages(response.body)) {
          attempt = 0; // the connection worked: the next failure starts the back-off afresh
          if (message.id !== null) cursor = message.id;
          yield message;
        }
        reason = "the server closed the stream";
      }
    } catch (error) {
      if (error instanceof ApiError || options.signal?.aborted) {
        if (options.signal?.aborted) return;
        throw error;
      }
      reason = error instanceof Error ? error.message : String(error);
    }
    attempt += 1;
    if (options.maxAttempts !== undefined && attempt > options.maxAttempts) {
      throw new ApiError(
        base,
        "/v1/stream",
        0,
        null,
        `indexer ${base}: stream lost (${reason}) after ${attempt - 1} reconnections`,
      );
    }
    options.onReconnect?.(attempt, reason);
    await sleep(
      Math.min(first * 2 ** (attempt - 1), options.maxBackoffMs ?? 10_000),
      options.signal,
    );
  }
}
