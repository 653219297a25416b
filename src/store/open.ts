/**
 * Opens a recording file for reading, with a clear error for everything that is not a readable recording of
 * this format: a missing file, a file of another kind, a recording of another format version, a damaged
 * database. A recording cut off while being written opens with everything up to its last flush (DuckDB
 * replays its write-ahead log).
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { FORMAT_VERSION } from "./schema.js";

export class RecordingError extends Error {}

export interface OpenedStore {
  instance: DuckDBInstance;
  con: DuckDBConnection;
  meta: Map<string, string>;
}

function head(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export async function openStore(path: string): Promise<OpenedStore> {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new RecordingError(`${path} is a folder, not a recording`);
    size = st.size;
  } catch (err) {
    if (err instanceof RecordingError) throw err;
    throw new RecordingError(
      `there is no recording at ${path}: make one with 'elixirscope record --out ${path} -- <command>'`,
    );
  }
  const bytes = head(path);
  if (bytes.subarray(0, 6).toString("latin1") === "ESREC\0") {
    throw new RecordingError(
      `${path} is a recording of format version 0 (written by ElixirScope 0.1); this version reads version ${FORMAT_VERSION}: record it again`,
    );
  }
  if (size < 16 || bytes.subarray(8, 12).toString("latin1") !== "DUCK") {
    throw new RecordingError(`${path} is not an ElixirScope recording (it is not a DuckDB database file)`);
  }
  let instance: DuckDBInstance;
  let con: DuckDBConnection;
  try {
    // Questions may be any SQL (`query sql`, the Cinema): they read this recording and no other file.
    instance = await DuckDBInstance.create(path, {
      access_mode: "READ_ONLY",
      enable_external_access: "false",
    });
    con = await instance.connect();
  } catch (err) {
    const why = firstLine(err);
    if (/lock/i.test(why)) {
      throw new RecordingError(
        `${path} is still being recorded by another process (${why.replace(/^.*?(PID \d+).*$/, "$1")}): open it once that recording ends, or watch it live with 'record --open'`,
      );
    }
    throw new RecordingError(`${path} is damaged and cannot be opened: ${why}`);
  }
  let meta: Map<string, string>;
  try {
    const rows = (await con.runAndReadAll("SELECT key, value FROM meta")).getRows();
    meta = new Map(rows.map(([k, v]) => [String(k), String(v)]));
  } catch {
    con.closeSync();
    instance.closeSync();
    throw new RecordingError(
      `${path} is a DuckDB database but not an ElixirScope recording (it has no meta table)`,
    );
  }
  const version = Number(meta.get("format_version"));
  if (version !== FORMAT_VERSION) {
    con.closeSync();
    instance.closeSync();
    throw new RecordingError(
      `${path} is a recording of format version ${meta.get("format_version") ?? "?"}; this ElixirScope reads version ${FORMAT_VERSION}`,
    );
  }
  return { instance, con, meta };
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split("\n")[0]!;
}
