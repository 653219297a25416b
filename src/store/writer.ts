/**
 * Writes a recording file (see `schema.ts`) as events arrive: the ingest fills one `ColumnBuffer` per
 * table, and `flush()` commits everything gathered so far, so that a recording cut off at any moment opens
 * with everything up to its last flush. `finish()` writes how the recording ended and checkpoints the file
 * so that it is one self-contained file again (no write-ahead log beside it).
 */
import { rmSync } from "node:fs";
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import { ColumnBuffer } from "./columns.js";
import { COLUMNS, DDL, FORMAT_VERSION, type TableName } from "./schema.js";

export type Tables = Record<TableName, ColumnBuffer>;

/** Tables others refer to come first, so that a flush never commits a reference before what it names. */
const FLUSH_ORDER: TableName[] = [
  "terms",
  "mfas",
  "procs",
  "spawns",
  "names",
  "events",
  "calls",
  "messages",
  "states",
  "notes",
];

export class StoreWriter {
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly con: DuckDBConnection,
    private readonly appenders: Record<TableName, DuckDBAppender>,
    readonly tables: Tables,
  ) {}

  /** Creates (or replaces) the recording at `path`, with `meta` as its first metadata. */
  static async create(path: string, meta: Record<string, string>): Promise<StoreWriter> {
    rmSync(path, { force: true });
    rmSync(`${path}.wal`, { force: true });
    const instance = await DuckDBInstance.create(path, { threads: "1" });
    const con = await instance.connect();
    await con.run(DDL);
    await writeMeta(con, { format_version: String(FORMAT_VERSION), ...meta });
    const appenders = {} as Record<TableName, DuckDBAppender>;
    const tables = {} as Tables;
    for (const name of Object.keys(COLUMNS) as TableName[]) {
      appenders[name] = await con.createAppender(name);
      tables[name] = new ColumnBuffer(appenders[name], COLUMNS[name]);
    }
    return new StoreWriter(path, instance, con, appenders, tables);
  }

  /** Commits every row gathered so far. */
  flush(): void {
    for (const name of FLUSH_ORDER) {
      this.tables[name].flush();
      this.appenders[name].flushSync();
    }
  }

  async meta(values: Record<string, string>): Promise<void> {
    await writeMeta(this.con, values);
  }

  /** Flushes, writes the final metadata, and closes the file as one self-contained file. */
  async finish(meta: Record<string, string>): Promise<void> {
    if (this.closed) return;
    this.flush();
    for (const a of Object.values(this.appenders)) a.closeSync();
    await writeMeta(this.con, meta);
    await this.con.run("CHECKPOINT");
    this.close();
  }

  /** Closes without finishing: what was flushed stays readable. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.con.closeSync();
    this.instance.closeSync();
  }
}

async function writeMeta(con: DuckDBConnection, values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await con.run("DELETE FROM meta WHERE key = $1", [key]);
    await con.run("INSERT INTO meta VALUES ($1, $2)", [key, value]);
  }
}
