// The indexers the integration tests talk to: tests/clients/indexers.py builds real LMDB
// stores with the project's own machine and runs a real `rootstate serve` over each. This
// module starts it, reads where everything is, and sends it commands (advance a store by a
// block, restart a server). Closing its stdin stops every server.

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

export interface World {
  urls: Record<"A" | "B" | "C" | "D", string>;
  outpoints: Record<
    "alice_root" | "alice_issu" | "issu_authority" | "bob_root" | "carol_root",
    string
  >;
  txids: Record<string, string>;
  addresses: Record<"alice" | "bob" | "carol" | "dave", string>;
  hello_wasm: string;
  publisher_xonly: string;
}

export class Indexers {
  private readonly lines: AsyncIterator<string>;
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
    readonly world: World,
    lines: AsyncIterator<string>,
  ) {
    this.lines = lines;
  }

  static async start(): Promise<Indexers> {
    // The Python of the repository's virtual environment, as the README installs it. Not a
    // ROOTSTATE_ variable: rootstate reads those as settings and refuses unknown ones.
    const python = process.env.TS_CLIENT_PYTHON ?? join(REPO, ".venv", "bin", "python");
    const dir = mkdtempSync(join(tmpdir(), "rootstate-ts-"));
    const child = spawn(python, ["-m", "tests.clients.indexers", dir], { cwd: REPO });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      throw new Error(
        `tests/clients/indexers.py ended before serving (is ${python} installed?):\n${stderr}`,
      );
    }
    return new Indexers(child, dir, JSON.parse(first.value) as World, lines);
  }

  async command(line: string): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${line}\n`);
    const answer = await this.lines.next();
    if (answer.done) throw new Error(`tests/clients/indexers.py ended on ${line}`);
    const parsed = JSON.parse(answer.value) as Record<string, unknown>;
    if ("error" in parsed) throw new Error(String(parsed.error));
    return parsed;
  }

  async stop(): Promise<void> {
    const ended = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    await ended;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
