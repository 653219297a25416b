/**
 * Rows of one table gathered column by column and handed to DuckDB's appender 2,048 at a time, as one data
 * chunk: the way to append millions of rows a second from JavaScript. Numeric columns are typed arrays
 * copied into the chunk's vectors in one call each, with a validity bitmap only when a column has NULLs
 * (a call per value, through the high-level vector API, would cost more than the rest of ingest together).
 *
 *     const b = new ColumnBuffer(appender, COLUMNS.events);
 *     b.put(0, seq); b.put(1, ns); ...; b.end();   // one row (a null or negative id is NULL)
 *     b.flush();                                   // hand over what is gathered; appender.flushSync() commits
 */
import duckdb from "@duckdb/node-bindings";
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

export type Cell = number | string | boolean | Uint8Array | null;

type Numeric = Int32Array | Int16Array | Uint8Array | Uint32Array;

interface Column {
  type: ColumnType;
  /** Numeric data (`big`: two 32-bit words a row, little-endian), or the cells of text and blob columns. */
  data: Numeric | Cell[];
  /** One bit a row, set when the row's value is not NULL. */
  valid: Uint8Array;
  hasNull: boolean;
}

function newData(type: ColumnType): Numeric | Cell[] {
  switch (type) {
    case "int":
      return new Int32Array(CHUNK_ROWS);
    case "i16":
      return new Int16Array(CHUNK_ROWS);
    case "u8":
    case "bool":
      return new Uint8Array(CHUNK_ROWS);
    case "big":
      return new Uint32Array(2 * CHUNK_ROWS);
    default:
      return new Array<Cell>(CHUNK_ROWS).fill(null);
  }
}

export class ColumnBuffer {
  n = 0;
  rows = 0;
  private readonly columns: Column[];
  private readonly types: DuckDBType[];

  constructor(
    private readonly appender: DuckDBAppender,
    columns: readonly ColumnType[],
  ) {
    this.types = columns.map((c) => DUCK_TYPES[c]);
    this.columns = columns.map((type) => ({
      type,
      data: newData(type),
      valid: new Uint8Array(CHUNK_ROWS / 8).fill(0xff),
      hasNull: false,
    }));
  }

  /** Sets column `c` of the row being written. For numeric columns other than `big`, a negative value is NULL. */
  put(c: number, v: Cell): void {
    const col = this.columns[c]!;
    const i = this.n;
    if (v === null || (typeof v === "number" && v < 0 && col.type !== "big")) {
      col.valid[i >> 3]! &= ~(1 << (i & 7));
      col.hasNull = true;
      return;
    }
    switch (col.type) {
      case "big": {
        const x = v as number;
        const hi = Math.floor(x / 4294967296);
        (col.data as Uint32Array)[2 * i] = x - hi * 4294967296;
        (col.data as Uint32Array)[2 * i + 1] = hi >>> 0;
        break;
      }
      case "bool":
        (col.data as Uint8Array)[i] = v ? 1 : 0;
        break;
      case "text":
      case "blob":
        (col.data as Cell[])[i] = v;
        break;
      default:
        (col.data as Numeric)[i] = v as number;
    }
  }

  /** Column `c`'s data, for callers that write typed columns directly (`big` columns: use `put`). */
  data(c: number): Int32Array | Int16Array | Uint8Array {
    return this.columns[c]!.data as Int32Array;
  }

  /** Marks column `c` of the row being written NULL. */
  setNull(c: number): void {
    const col = this.columns[c]!;
    const i = this.n;
    col.valid[i >> 3]! &= ~(1 << (i & 7));
    col.hasNull = true;
  }

  /** Ends the row being written. */
  end(): void {
    this.rows++;
    if (++this.n === CHUNK_ROWS) this.flush();
  }

  /** A whole row at once, for the small tables. */
  row(...cells: Cell[]): void {
    for (let c = 0; c < cells.length; c++) this.put(c, cells[c]!);
    this.end();
  }

  /** Hands the gathered rows to the appender. */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const chunk = DuckDBDataChunk.create(this.types, n);
    for (let c = 0; c < this.columns.length; c++) {
      const col = this.columns[c]!;
      if (Array.isArray(col.data)) {
        const values: DuckDBValue[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const v = (col.valid[i >> 3]! >> (i & 7)) & 1 ? col.data[i]! : null;
          values[i] = v instanceof Uint8Array ? blobValue(v) : (v as DuckDBValue);
        }
        chunk.setColumnValues(c, values);
        col.data.fill(null, 0, n);
      } else {
        const vector = duckdb.data_chunk_get_vector(chunk.chunk, c);
        const width = col.data.BYTES_PER_ELEMENT * (col.type === "big" ? 2 : 1);
        duckdb.copy_data_to_vector(vector, 0, col.data.buffer as ArrayBuffer, col.data.byteOffset, n * width);
        if (col.hasNull) {
          duckdb.vector_ensure_validity_writable(vector);
          duckdb.copy_data_to_vector_validity(
            vector,
            0,
            col.valid.buffer as ArrayBuffer,
            0,
            Math.ceil(n / 64) * 8,
          );
        }
      }
      col.valid.fill(0xff);
      col.hasNull = false;
    }
    this.appender.appendDataChunk(chunk);
    this.n = 0;
  }
}
