/**
 * Opens a recording file for reading, with a clear error for everything that is not a readable recording of
 * this format: a missing file, a file of another kind, a recording of another format version, a damaged
 * database. A recording cut off while being written opens with everything up to its last flush (DuckDB
 * replays its write-ahead log).
 *
 * Damage shows in two ways: a file shorter than its database header says (a copy cut short) is refused on
 * opening; a part overwritten shows when a question reads it (DuckDB checks every block's checksum), and
 * `damageOf` turns that DuckDB error into the same kind of sentence: what is wrong and what to do.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { RecordingError } from "./errors.js";
import { FORMAT_VERSION, spoolPath } from "./schema.js";

export { RecordingError };

export interface OpenedStore {
  instance: DuckDBInstance;
  con: DuckDBConnection;
  meta: Map<string, string>;
}

function readAt(path: string, position: number, length: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, position);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** DuckDB's file: a 4 KiB main header, two 4 KiB database headers (the newer one counts), then the blocks. */
const HEADER_BYTES = 4096;

/**
 * The size the file's newer database header says it has (its blocks after the three headers), or undefined
 * when the header does not read as one (then DuckDB is left to judge). A database header is a checksum, then
 * iteration, meta block, free list, block count and block size, each 8 bytes.
 */
function expectedSize(path: string): number | undefined {
  let best: { iteration: bigint; size: number } | undefined;
  for (const at of [HEADER_BYTES, 2 * HEADER_BYTES]) {
    const h = readAt(path, at, 48);
    if (h.length < 48) return undefined;
    const iteration = h.readBigUInt64LE(8);
    const blocks = h.readBigUInt64LE(32);
    const blockSize = h.readBigUInt64LE(40);
    const sane = blockSize >= 4096n && blockSize <= 1n << 30n && (blockSize & (blockSize - 1n)) === 0n;
    if (!sane || blocks > 1n << 32n) continue;
    if (best === undefined || iteration > best.iteration)
      best = { iteration, size: 3 * HEADER_BYTES + Number(blocks * blockSize) };
  }
  return best?.size;
}

/** What to do about a damaged recording: recover it from its spool if its recorder left one, else make it again. */
function remedy(path: string): string {
  return existsSync(spoolPath(path))
    ? `rebuild it with 'elixirscope recover ${path}' (its recorder left ${spoolPath(path)})`
    : "copy it again from where it was made, or record it again";
}

function damaged(path: string, what: string, detail: string): RecordingError {
  return new RecordingError(`${path} is damaged: ${what}; ${remedy(path)}`, { cause: detail });
}

/**
 * The RecordingError saying what is wrong with the file at `path` when `err`, a DuckDB error met while
 * reading it, means the file is damaged (cut short, overwritten, unreadable); undefined for any other error.
 * The DuckDB message stays in the error's `cause`.
 */
export function damageOf(path: string, err: unknown): RecordingError | undefined {
  if (err instanceof RecordingError) return err;
  const message = String((err as Error)?.message ?? err);
  if (/Could not read enough bytes|file is (too small|truncated)/i.test(message))
    return damaged(path, "it is cut short (part of its end is missing)", message);
  if (/checksum|Corrupt database/i.test(message))
    return damaged(path, "part of it was overwritten (a block's checksum does not match)", message);
  if (/^(IO|Serialization) Error/.test(message))
    return damaged(path, "it cannot be read as a recording database", message);
  return undefined;
}

/** Runs `read`, a question to the recording at `path`, turning DuckDB's word for a damaged file into ours. */
export async function readingRecording<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw damageOf(path, err) ?? err;
  }
}

function isLockError(message: string): boolean {
  return /Could not set lock|Conflicting lock/i.test(message);
}

const OPEN_LATER = "open it once that recording ends, or watch it live with 'record --open'";

function beingRecorded(path: string, message: string, advice = OPEN_LATER): RecordingError {
  const pid = /PID \d+/.exec(message)?.[0];
  return new RecordingError(
    `${path} is still being recorded by another process${pid ? ` (${pid})` : ""}: ${advice}`,
  );
}

/**
 * Throws if a recorder is writing the file at `path` now (it holds DuckDB's lock on it); does nothing
 * otherwise, also when the file is missing or damaged. What `recover` asks before replacing a file.
 */
export async function assertNotBeingRecorded(path: string, advice?: string): Promise<void> {
  if (!existsSync(path)) return;
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
  } catch (err) {
    const message = String((err as Error)?.message ?? err);
    if (isLockError(message)) throw beingRecorded(path, message, advice);
  } finally {
    instance?.closeSync();
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
  const bytes = readAt(path, 0, 16);
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
    if (isLockError(why)) throw beingRecorded(path, why);
    throw damageOf(path, err) ?? damaged(path, "DuckDB cannot open it", why);
  }
  const close = () => {
    con.closeSync();
    instance.closeSync();
  };
  const expected = expectedSize(path);
  if (expected !== undefined && statSync(path).size < expected) {
    close();
    throw damaged(
      path,
      `it is cut short (${statSync(path).size.toLocaleString("en-US")} of its ${expected.toLocaleString("en-US")} bytes)`,
      "file smaller than its database header says",
    );
  }
  let meta: Map<string, string>;
  try {
    const rows = (await con.runAndReadAll("SELECT key, value FROM meta")).getRows();
    meta = new Map(rows.map(([k, v]) => [String(k), String(v)]));
  } catch (err) {
    close();
    throw (
      damageOf(path, err) ??
      new RecordingError(
        `${path} is a DuckDB database but not an ElixirScope recording (it has no meta table)`,
      )
    );
  }
  const version = Number(meta.get("format_version"));
  if (version !== FORMAT_VERSION) {
    close();
    throw new RecordingError(
      `${path} is a recording of format version ${meta.get("format_version") ?? "?"}; this ElixirScope reads version ${FORMAT_VERSION}`,
    );
  }
  return { instance, con, meta };
}

/** What a finished recording holds, as `info` counts it: its events and the time from its start to the last. */
export interface StoredFigures {
  events: number;
  durationNs: number;
}

/** Reads the figures of the recording at `path` (closed by its writer). */
export async function storedFigures(path: string): Promise<StoredFigures> {
  const { instance, con } = await openStore(path);
  try {
    const r = (await con.runAndReadAll("SELECT count(*), coalesce(max(ns), 0) FROM events")).getRows()[0]!;
    return { events: Number(r[0]), durationNs: Number(r[1]) };
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split("\n")[0]!;
}
