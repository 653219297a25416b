/**
 * The engine's one way to ask DuckDB: SQL in, plain rows out (BIGINTs as numbers: recordings stay far below
 * 2^53 events and nanoseconds). Integers are written into the SQL text through `int()`, which refuses
 * anything else, so that DuckDB sees integer literals and can skip row groups by their min and max.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { QueryError } from "./api.js";

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
  if (typeof v === "bigint") return Number(v);
  if (v !== null && typeof v === "object" && (v as { bytes?: unknown }).bytes instanceof Uint8Array)
    return (v as { bytes: Uint8Array }).bytes;
  return v;
}

export async function rows(con: DuckDBConnection, sql: string, params?: unknown[]): Promise<Row[]> {
  const reader = await con.runAndReadAll(sql, params as never);
  const names = reader.columnNames();
  return reader.getRows().map((r) => {
    const o: Row = {};
    for (let i = 0; i < names.length; i++) o[names[i]!] = plain(r[i]);
    return o;
  });
}

export async function one(con: DuckDBConnection, sql: string): Promise<Row | undefined> {
  return (await rows(con, sql))[0];
}

export function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
