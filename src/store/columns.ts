/**
 * Rows of one table gathered column by column and handed to DuckDB's appender 2,048 at a time, as one data
 * chunk: the way to append millions of rows a second from JavaScript (a call per value would cost more than
 * the rest of ingest together).
 *
 *     const b = new ColumnBuffer(appender, COLUMNS.events);
 *     b.cols[0][b.n] = seq; ...; b.end();   // one row
 *     b.flush();                            // hand over what is gathered; then appender.flushSync() commits
 */
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DuckDBDataChunk,
  INTEGER,
  SMALLINT,
  UTINYINT,
  VARCHAR,
  blobValue,
  type DuckDBAppender,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import type { ColumnType } from "./schema.js";

export const CHUNK_ROWS = 2048;

const DUCK_TYPES: Record<ColumnType, DuckDBType> = {
  int: INTEGER,
  big: BIGINT,
  u8: UTINYINT,
  i16: SMALLINT,
  text: VARCHAR,
  bool: BOOLEAN,
  blob: BLOB,
};

export type Cell = number | bigint | string | boolean | Uint8Array | null;

export class ColumnBuffer {
  readonly cols: Cell[][];
  n = 0;
  rows = 0;
  private readonly types: DuckDBType[];
  private readonly big: boolean[];
  private readonly blob: boolean[];

  constructor(
    private readonly appender: DuckDBAppender,
    columns: readonly ColumnType[],
  ) {
    this.types = columns.map((c) => DUCK_TYPES[c]);
    this.big = columns.map((c) => c === "big");
    this.blob = columns.map((c) => c === "blob");
    this.cols = columns.map(() => new Array<Cell>(CHUNK_ROWS).fill(null));
  }

  /** Ends the row being written (its cells set in `cols[c][n]`). */
  end(): void {
    this.rows++;
    if (++this.n === CHUNK_ROWS) this.flush();
  }

  /** A whole row at once, for the small tables. */
  row(...cells: Cell[]): void {
    for (let c = 0; c < cells.length; c++) this.cols[c]![this.n] = cells[c]!;
    this.end();
  }

  /** Hands the gathered rows to the appender. */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const chunk = DuckDBDataChunk.create(this.types, n);
    for (let c = 0; c < this.cols.length; c++) {
      const col = this.cols[c]!;
      const values: DuckDBValue[] = new Array(n);
      if (this.big[c]) {
        for (let i = 0; i < n; i++) {
          const v = col[i];
          values[i] = v === null || v === undefined ? null : BigInt(v as number);
        }
      } else if (this.blob[c]) {
        for (let i = 0; i < n; i++) {
          const v = col[i];
          values[i] = v instanceof Uint8Array ? blobValue(v) : null;
        }
      } else {
        for (let i = 0; i < n; i++) values[i] = (col[i] ?? null) as DuckDBValue;
      }
      chunk.setColumnValues(c, values);
      col.fill(null, 0, n);
    }
    this.appender.appendDataChunk(chunk);
    this.n = 0;
  }
}
