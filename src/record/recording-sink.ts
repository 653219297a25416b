/**
 * Where a recording session's frames go: a new recording file (src/store) filled by ingest
 * (src/correlate) as the batches arrive. Made once the agent's hello is in, since the hello says which node,
 * which clocks and which plan the events belong to.
 */
import { statSync } from "node:fs";
import type { AgentHello } from "../capture/agent-frames.js";
import { Ingest } from "../correlate/ingest.js";
import { formatTerm } from "../etf/format.js";
import type { SqlSource } from "../query/db.js";
import { StoreWriter } from "../store/writer.js";

export interface RecordingSink {
  readonly path: string;
  /** How the recording was started (the command, the node attached to, the plan). */
  readonly about: Record<string, unknown>;
  readonly ingest: Ingest;
  /** Bytes on disk so far (the file and its write-ahead log). */
  size(): number;
  /** Settles what is open, writes `meta` (how it ended) and closes the file. */
  finish(meta: Record<string, unknown>): Promise<void>;
  /** Closes without finishing, keeping what was flushed. */
  close(): void;
  /** SQL over what is written so far, while the recording is being written (the Cinema of `--open`). */
  readonly live: SqlSource | null;
}

function fileSize(path: string): number {
  let n = 0;
  for (const p of [path, `${path}.wal`]) {
    try {
      n += statSync(p).size;
    } catch {
      // not there
    }
  }
  return n;
}

/** Creates the recording file at `path` for the session that sent `hello`; `about` says how it was started. */
export async function createRecordingSink(
  path: string,
  hello: AgentHello,
  about: Record<string, unknown>,
): Promise<RecordingSink> {
  const wallMs = Number((hello.monotonicNs + hello.timeOffsetNs) / 1_000_000n);
  const store = await StoreWriter.create(path, {
    node: hello.node,
    otp_release: hello.otpRelease,
    elixir_version: hello.elixirVersion ?? "",
    started_at: new Date(wallMs).toISOString(),
    base_ns: String(hello.monotonicNs),
    time_offset_ns: String(hello.timeOffsetNs),
    plan: formatTerm(hello.plan),
    applied: formatTerm(hello.applied),
    recorder: JSON.stringify({ tool: "elixirscope", ...about }),
  });
  const ingest = new Ingest(store, hello);
  let open = true;
  return {
    path,
    about,
    ingest,
    get live(): SqlSource | null {
      return open ? { query: (sql, params) => store.query(sql, params), close: async () => {} } : null;
    },
    size: () => fileSize(path),
    finish: async (meta) => {
      open = false;
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(meta)) values[k] = typeof v === "string" ? v : JSON.stringify(v);
      await ingest.finish(values);
    },
    close: () => {
      open = false;
      void store.close();
    },
  };
}
