/**
 * Why the recording file is DuckDB: the same `events` rows (the first rows of a recording the store
 * benchmark ingested) inserted into a fresh DuckDB file the way `StoreWriter` appends them (2,048-row data
 * chunks through the appender), and into SQLite (better-sqlite3, a prepared INSERT in one transaction, `seq`
 * as the rowid), with and without the index on `(proc, seq)` that `history` would need there. Reports the
 * insert rate and the file's bytes per row of each.
 */
import { rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { DuckDBInstance } from "@duckdb/node-api";
import { appendChunk, ColumnBuffer, type Cell } from "../../src/store/columns.js";
import { COLUMNS } from "../../src/store/schema.js";

interface SqliteStatement {
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  transaction(fn: () => void): () => void;
  close(): void;
}
type SqliteOpen = new (path: string) => SqliteDatabase;

const EVENTS_DDL = `CREATE TABLE events (seq INTEGER, ns BIGINT, proc INTEGER, kind UTINYINT, mfa INTEGER,
  other INTEGER, term INTEGER, link INTEGER, cause INTEGER, depth SMALLINT)`;
const SQLITE_DDL = `CREATE TABLE events (seq INTEGER PRIMARY KEY, ns INTEGER, proc INTEGER, kind INTEGER,
  mfa INTEGER, other INTEGER, term INTEGER, link INTEGER, cause INTEGER, depth INTEGER)`;

export interface StoreFigures {
  rows: number;
  seconds: number;
  rowsPerSec: number;
  bytes: number;
  bytesPerRow: number;
}

export interface StorageChoice {
  duckdb: StoreFigures;
  sqlite: StoreFigures;
  sqliteIndexed: StoreFigures;
}

/** The first `limit` rows of `events` in the recording at `path`, column by column. */
export async function readEventColumns(path: string, limit: number): Promise<Cell[][]> {
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
  const con = await instance.connect();
  try {
    const reader = await con.runAndReadAll(`SELECT * FROM events WHERE seq < ${limit} ORDER BY seq`);
    return reader.getColumns().map((col) => col.map((v) => (typeof v === "bigint" ? Number(v) : v) as Cell));
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

function figures(rows: number, seconds: number, path: string): StoreFigures {
  const bytes = statSync(path).size;
  return { rows, seconds, rowsPerSec: rows / seconds, bytes, bytesPerRow: bytes / rows };
}

async function intoDuckDb(cols: Cell[][], path: string): Promise<StoreFigures> {
  const rows = cols[0]!.length;
  const t0 = performance.now();
  const instance = await DuckDBInstance.create(path, { threads: "1" });
  const con = await instance.connect();
  await con.run(EVENTS_DDL);
  const appender = await con.createAppender("events");
  const buf = new ColumnBuffer(COLUMNS.events, (chunk) => appendChunk(appender, COLUMNS.events, chunk));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols.length; c++) buf.put(c, cols[c]![r]!);
    buf.end();
  }
  buf.flush();
  appender.flushSync();
  appender.closeSync();
  await con.run("CHECKPOINT");
  con.closeSync();
  instance.closeSync();
  return figures(rows, (performance.now() - t0) / 1000, path);
}

function intoSqlite(cols: Cell[][], path: string, indexed: boolean): StoreFigures {
  const Database = createRequire(import.meta.url)("better-sqlite3") as SqliteOpen;
  const rows = cols[0]!.length;
  const t0 = performance.now();
  const db = new Database(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  db.exec(SQLITE_DDL);
  if (indexed) db.exec("CREATE INDEX events_proc ON events (proc, seq)");
  const insert = db.prepare("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const [seq, ns, proc, kind, mfa, other, term, link, cause, depth] = cols as [
    Cell[],
    Cell[],
    Cell[],
    Cell[],
    Cell[],
    Cell[],
    Cell[],
    Cell[],
    Cell[],
    Cell[],
  ];
  db.transaction(() => {
    for (let r = 0; r < rows; r++)
      insert.run(seq[r], ns[r], proc[r], kind[r], mfa[r], other[r], term[r], link[r], cause[r], depth[r]);
  })();
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return figures(rows, (performance.now() - t0) / 1000, path);
}

/** Inserts `cols` into each store under `dir`, and removes the files again. */
export async function compareStores(cols: Cell[][], dir: string): Promise<StorageChoice> {
  const files = [`${dir}/choice.duckdb`, `${dir}/choice.sqlite`, `${dir}/choice-indexed.sqlite`];
  try {
    const duckdb = await intoDuckDb(cols, files[0]!);
    const sqlite = intoSqlite(cols, files[1]!, false);
    const sqliteIndexed = intoSqlite(cols, files[2]!, true);
    return { duckdb, sqlite, sqliteIndexed };
  } finally {
    for (const f of files)
      for (const suffix of ["", ".wal", "-wal", "-shm"]) rmSync(f + suffix, { force: true });
  }
}
