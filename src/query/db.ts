/**
 * The engine's one way to ask DuckDB: SQL in, plain rows out (BIGINTs as numbers: recordings stay far below
 * 2^53 events and nanoseconds; BLOBs as bytes). Integers are written into the SQL text through `int()`, which
 * refuses anything else, so that DuckDB sees integer literals and can skip row groups by their min and max.
 *
 * A `SqlSource` is a DuckDB connection of this thread (`duckdbSource`, for a recording file) or the writer
 * thread of a recording still being written (`StoreWriter.query`), so the same engine answers both.
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { QueryError } from "./api.js";

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
}

export interface SqlSource {
  query(sql: string, params?: unknown[]): Promise<SqlResult>;
  close(): Promise<void>;
}

/** A connection's answer as plain values. */
export async function runPlain(con: DuckDBConnection, sql: string, params?: unknown[]): Promise<SqlResult> {
  const reader = await con.runAndReadAll(sql, params as never);
  return { columns: reader.columnNames(), rows: reader.getRows().map((r) => r.map(plain)) };
}

/**
 * Connections of this thread, as many as there are questions at once up to MAX_CONNECTIONS: a DuckDB
 * connection answers one query at a time, so one slow question (a coarse timeline tile fetched ahead, a
 * data-flow search) would hold up every other behind it. A question goes to an idle connection, or, with
 * none idle and the pool full, to the one with the fewest running. Closing waits for the queries still
 * running: closing a DuckDB connection under a running query blocks this thread until the query ends, and
 * the query needs this thread to end.
 */
export function duckdbSource(instance: DuckDBInstance, con: DuckDBConnection): SqlSource {
  const pool: { con: Promise<DuckDBConnection>; running: number }[] = [
    { con: Promise.resolve(con), running: 0 },
  ];
  const running = new Set<Promise<SqlResult>>();
  let closed = false;
  const pick = () => {
    let best = pool[0]!;
    for (const c of pool) if (c.running < best.running) best = c;
    if (best.running > 0 && pool.length < MAX_CONNECTIONS) {
      const added = { con: instance.connect(), running: 0 };
      // A connection that could not be made is left out: its question fails, the next ones go elsewhere.
      added.con.catch(() => pool.splice(pool.indexOf(added), 1));
      pool.push(added);
      best = added;
    }
    return best;
  };
  return {
    query: (sql, params) => {
      if (closed) return Promise.reject(new QueryError("the recording is closed"));
      const c = pick();
      c.running++;
      const q = c.con.then((con) => runPlain(con, sql, params));
      running.add(q);
      const done = () => {
        c.running--;
        running.delete(q);
      };
      q.then(done, done);
      return q;
    },
    close: async () => {
      closed = true;
      await Promise.allSettled([...running]);
      for (const c of await Promise.allSettled(pool.map((c) => c.con)))
        if (c.status === "fulfilled") c.value.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Questions answered at the same time on one recording. On the UI benchmark (2 cores, 10M events), 1, 2 and 3
 * gave the slowest zoom or pan step as 72-78, 48-64 and 44-50 ms, and the slowest of steps back to back as
 * 108-146, 111-143 and 177-188 ms: more at once helps a question wait less and costs each one more time.
 */
const MAX_CONNECTIONS = 2;

export type Row = Record<string, unknown>;

export function int(n: number | null | undefined): string {
  if (n === null || n === undefined) return "NULL";
  if (!Number.isSafeInteger(n)) throw new QueryError(`expected an integer, got ${String(n)}`);
  return String(n);
}

export function intList(ns: Iterable<number>): string {
  const parts = [...ns].map(int);
  return parts.length === 0 ? "NULL" : parts.join(",");
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v !== null && typeof v === "object") {
    if ((v as { bytes?: unknown }).bytes instanceof Uint8Array) return (v as { bytes: Uint8Array }).bytes;
    return String(v);
  }
  return v;
}

export async function rows(con: SqlSource, sql: string, params?: unknown[]): Promise<Row[]> {
  const { columns, rows: list } = await con.query(sql, params);
  return list.map((r) => {
    const o: Row = {};
    for (let i = 0; i < columns.length; i++) o[columns[i]!] = r[i];
    return o;
  });
}

export async function one(con: SqlSource, sql: string): Promise<Row | undefined> {
  return (await rows(con, sql))[0];
}

export function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
