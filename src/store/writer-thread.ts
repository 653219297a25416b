/**
 * The recording file's writer thread: owns the DuckDB database while a recording is written, so that
 * DuckDB's own work (appending chunks into its storage, committing, checkpointing) runs beside ingest
 * instead of inside it. It takes messages from `StoreWriter` in order:
 *
 *     {open, path, meta}  → creates the file and its tables; answers {opened} or {error}
 *     {chunks, [{table, chunk}]} → appends the rows (counting each chunk done in the shared counter)
 *     {commit}            → commits everything appended so far (and checkpoints every 2M rows)
 *     {finish, meta}      → commits, makes the process list, writes the last metadata, checkpoints,
 *                           closes; answers {finished}
 *     {close}             → closes without finishing; answers {closed}
 */
import { rmSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import { appendChunk, type Chunk } from "./columns.js";
import {
  COLUMNS,
  DDL,
  FORMAT_VERSION,
  PROCESS_LIST_TABLE,
  PROCESS_SUMMARY_DDL,
  type TableName,
} from "./schema.js";
import { runPlain, type SqlResult } from "../query/db.js";

/** Tables others refer to come first, so that a commit never holds a reference before what it names. */
const COMMIT_ORDER: TableName[] = [
  "terms",
  "mfas",
  "procs",
  "spawns",
  "apps",
  "names",
  "events",
  "calls",
  "messages",
  "states",
  "monitors",
  "notes",
];

export type WriterMessage =
  | { type: "open"; path: string; meta: Record<string, string>; done: SharedArrayBuffer }
  | { type: "chunks"; chunks: { table: TableName; chunk: Chunk }[] }
  | { type: "commit" }
  | { type: "finish"; meta: Record<string, string>; summary: (number | boolean)[][] }
  | { type: "query"; sql: string; params?: unknown[] }
  | { type: "close" };

/** Messages that ask for an answer carry an `id`, and the answer the same `id`. */
export type WriterRequest = WriterMessage & { id?: number };

export type WriterReply = { id?: number } & (
  | { type: "opened" }
  | { type: "finished" }
  | { type: "closed" }
  | { type: "rows"; result: SqlResult }
  | { type: "error"; message: string }
);

let instance: DuckDBInstance | undefined;
let con: DuckDBConnection | undefined;
let appenders: Partial<Record<TableName, DuckDBAppender>> = {};
let done: Int32Array | undefined;
let failed = false;
/** Rows appended since the last checkpoint: DuckDB holds them in memory until one. */
let sinceCheckpoint = 0;
/** A checkpoint this often keeps DuckDB's memory flat on long recordings (it grows ~100 MB a million rows). */
const CHECKPOINT_ROWS = 2_000_000;

async function writeMeta(values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await con!.run("DELETE FROM meta WHERE key = $1", [key]);
    await con!.run("INSERT INTO meta VALUES ($1, $2)", [key, value]);
  }
}

/** Makes the `process_list` table from ingest's per-process summary (through a temporary table). */
async function processList(summary: (number | boolean)[][]): Promise<void> {
  await con!.run(PROCESS_SUMMARY_DDL);
  const cell = (v: number | boolean) => (typeof v === "boolean" ? String(v) : v < 0 ? "NULL" : String(v));
  for (let i = 0; i < summary.length; i += 10_000) {
    const values = summary.slice(i, i + 10_000).map((row) => `(${row.map(cell).join(",")})`);
    await con!.run(`INSERT INTO process_summary VALUES ${values.join(",")}`);
  }
  await con!.run(PROCESS_LIST_TABLE);
}

function commit(): void {
  for (const name of COMMIT_ORDER) appenders[name]?.flushSync();
}

function close(): void {
  for (const a of Object.values(appenders)) a.closeSync();
  appenders = {};
  con?.closeSync();
  instance?.closeSync();
  con = instance = undefined;
}

async function handle(m: WriterMessage): Promise<WriterReply | undefined> {
  switch (m.type) {
    case "open": {
      done = new Int32Array(m.done);
      rmSync(m.path, { force: true });
      rmSync(`${m.path}.wal`, { force: true });
      instance = await DuckDBInstance.create(m.path, { threads: "1" });
      con = await instance.connect();
      await con.run(DDL);
      await writeMeta({ format_version: String(FORMAT_VERSION), ...m.meta });
      for (const name of Object.keys(COLUMNS) as TableName[])
        appenders[name] = await con.createAppender(name);
      return { type: "opened" };
    }
    case "chunks": {
      let error: unknown;
      for (const { table, chunk } of m.chunks) {
        try {
          if (!failed) appendChunk(appenders[table]!, COLUMNS[table], chunk);
          sinceCheckpoint += chunk.n;
        } catch (err) {
          failed = true;
          error ??= err;
        } finally {
          Atomics.add(done!, 0, 1);
          Atomics.notify(done!, 0);
        }
      }
      if (error !== undefined) throw error;
      return undefined;
    }
    case "commit":
      if (failed) return undefined;
      commit();
      if (sinceCheckpoint >= CHECKPOINT_ROWS) {
        sinceCheckpoint = 0;
        await con!.run("CHECKPOINT");
      }
      return undefined;
    case "finish":
      commit();
      for (const a of Object.values(appenders)) a.closeSync();
      appenders = {};
      // The process list of a finished recording, made once here instead of at every open.
      await processList(m.summary);
      await writeMeta(m.meta);
      await con!.run("CHECKPOINT");
      close();
      return { type: "finished" };
    case "query":
      // A question about the recording being written (the Cinema UI of `record --open`): what is committed.
      return { type: "rows", result: await runPlain(con!, m.sql, m.params) };
    case "close":
      close();
      return { type: "closed" };
  }
}

// Messages are handled strictly one after another, the asynchronous ones included.
let queue: Promise<void> = Promise.resolve();
parentPort!.on("message", (m: WriterRequest) => {
  queue = queue.then(async () => {
    try {
      const reply = await handle(m);
      if (reply) parentPort!.postMessage({ ...reply, id: m.id });
    } catch (err) {
      // A failed question is that question's problem; a failed write ends the recording.
      if (m.type !== "query") failed = true;
      const message = String((err as Error).message ?? err);
      parentPort!.postMessage({ type: "error", id: m.id, message } satisfies WriterReply);
    }
  });
});
