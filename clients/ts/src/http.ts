// One indexer over HTTP: JSON in and out, and errors that say which indexer answered what.
// Uses the platform's fetch (node 20+, browsers), so the client adds no HTTP dependency.

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly indexer: string,
    readonly path: string,
    /** HTTP status, or 0 when the indexer did not answer at all. */
    readonly status: number,
    /** The API's stable error code (`error.code`), when it sent one. */
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

export interface HttpOptions {
  /** Milliseconds before a request is abandoned. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Amounts may be bigint in requests; the API takes them as decimal strings. */
function jsonBody(body: unknown): string {
  return JSON.stringify(body, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export class Http {
  readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetcher: typeof fetch;

  constructor(base: string, options: HttpOptions = {}) {
    this.base = base.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetcher = options.fetch ?? globalThis.fetch;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>(path, { method: "GET" });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: jsonBody(body),
    });
  }

  async request<T>(path: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await this.fetcher(this.base + path, {
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ApiError(
        this.base,
        path,
        0,
        null,
        `indexer ${this.base} did not answer ${path}: ${why}`,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(
        this.base,
        path,
        response.status,
        null,
        `indexer ${this.base} answered ${path} with ${response.status} and something not JSON`,
      );
    }
    if (!response.ok) {
      const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
      const code = typeof error?.code === "string" ? error.code : null;
      const message = typeof error?.message === "string" ? error.message : text.slice(0, 200);
      throw new ApiError(
        this.base,
        path,
        response.status,
        code,
        `indexer ${this.base} answered ${path} with ${response.status}${code ? ` ${code}` : ""}: ${message}`,
      );
    }
    return body as T;
  }
}
