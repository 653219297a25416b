/**
 * Rows of one table gathered column by column, 2,048 at a time, and handed over as one chunk: typed arrays
 * for numeric columns (with a validity bitmap only when a column has NULLs), cells for text and blobs. The
 * writer thread (`writer-thread.ts`) copies each numeric column into a DuckDB data chunk's vector in one
 * call (`appendChunk`): the way to append millions of rows a second from JavaScript, where a call per value
 * through the high-level vector API would cost more than the rest of ingest together.
 *
 *     const b = new ColumnBuffer(COLUMNS.events, (chunk) => post(chunk));
 *     b.put(0, seq); b.put(1, ns); ...; b.end();   // one row (a null or negative id is NULL)
 *     b.flush();                                   // hand over what is gathered
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
import { copyBytes } from "./copy-bytes.js";
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

/** One chunk of rows as it travels to the writer thread: per column its data and, if any NULLs, validity. */
export interface Chunk {
  n: number;
  /** Blob columns: their bytes one after another, and `offsets` (n + 1 Int32s) where each row's start. */
  columns: { data: ArrayBuffer | Cell[]; valid: ArrayBuffer | null; offsets?: ArrayBuffer }[];
}

/** A blob column's rows, packed: one buffer to hand over instead of thousands of small ones. */
class BlobArena {
  bytes = new Uint8Array(1 << 16);
  used = 0;
  readonly offsets = new Int32Array(CHUNK_ROWS + 1);

  /** Row `i` is `prefix` (if any) then `src[start, end)`. */
  set(i: number, src: Uint8Array, start: number, end: number, prefix?: number): void {
    const need = end - start + (prefix === undefined ? 0 : 1);
    if (this.used + need > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + need));
      bigger.set(this.bytes.subarray(0, this.used));
      this.bytes = bigger;
    }
    this.offsets[i] = this.used;
    if (prefix !== undefined) this.bytes[this.used++] = prefix;
    copyBytes(this.bytes, this.used, src, start, end);
    this.used += end - start;
    this.offsets[i + 1] = this.used;
  }

  /** A NULL row: empty. */
  skip(i: number): void {
    this.offsets[i] = this.used;
    this.offsets[i + 1] = this.used;
  }
}

type Numeric = Int32Array | Int16Array | Uint8Array | Uint32Array;

interface Column {
  type: ColumnType;
  /** Numeric data (`big`: two 32-bit words a row, little-endian), blobs packed, or the cells of text columns. */
  data: Numeric | BlobArena | Cell[];
  /** One bit a row, set when the row's value is not NULL. */
  valid: Uint8Array;
  hasNull: boolean;
}

function newData(type: ColumnType): Numeric | BlobArena | Cell[] {
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
    case "blob":
      return new BlobArena();
    default:
      return new Array<Cell>(CHUNK_ROWS).fill(null);
  }
}

export class ColumnBuffer {
  n = 0;
  private readonly columns: Column[];

  constructor(
    columns: readonly ColumnType[],
    private readonly emit: (chunk: Chunk) => void,
  ) {
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
      if (col.data instanceof BlobArena) col.data.skip(i);
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
        (col.data as Cell[])[i] = v;
        break;
      case "blob":
        (col.data as BlobArena).set(i, v as Uint8Array, 0, (v as Uint8Array).length);
        break;
      default:
        (col.data as Numeric)[i] = v as number;
    }
  }

  /** Sets numeric column `c` (not `big`) of the row being written: `put` for a number, a negative one NULL. */
  putInt(c: number, v: number): void {
    if (v < 0) this.setNull(c);
    else (this.columns[c]!.data as Numeric)[this.n] = v;
  }

  /** Sets `big` column `c` of the row being written: `put` for a number. */
  putBig(c: number, x: number): void {
    const data = this.columns[c]!.data as Uint32Array;
    const hi = Math.floor(x / 4294967296);
    data[2 * this.n] = x - hi * 4294967296;
    data[2 * this.n + 1] = hi >>> 0;
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

  /** Sets blob column `c` of the row being written to `prefix` then `src[start, end)`, copied once. */
  putBytes(c: number, src: Uint8Array, start: number, end: number, prefix?: number): void {
    (this.columns[c]!.data as BlobArena).set(this.n, src, start, end, prefix);
  }

  /** Ends the row being written. */
  end(): void {
    if (++this.n === CHUNK_ROWS) this.flush();
  }

  /** A whole row at once, for the small tables. */
  row(...cells: Cell[]): void {
    for (let c = 0; c < cells.length; c++) this.put(c, cells[c]!);
    this.end();
  }

  /** Hands the gathered rows over (the numeric columns' buffers go with them; new ones replace them). */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const columns: Chunk["columns"] = this.columns.map((col) => {
      const valid = col.hasNull ? col.valid.slice(0, Math.ceil(n / 64) * 8).buffer : null;
      col.valid.fill(0xff);
      col.hasNull = false;
      if (Array.isArray(col.data)) {
        const cells = col.data.slice(0, n);
        col.data.fill(null, 0, n);
        return { data: cells, valid };
      }
      if (col.data instanceof BlobArena) {
        const arena = col.data;
        const data = arena.bytes.slice(0, arena.used).buffer;
        const offsets = arena.offsets.slice(0, n + 1).buffer;
        arena.used = 0;
        return { data, valid, offsets };
      }
      const width = col.data.BYTES_PER_ELEMENT * (col.type === "big" ? 2 : 1);
      const data = col.data.buffer.slice(0, n * width) as ArrayBuffer;
      return { data, valid };
    });
    this.n = 0;
    this.emit({ n, columns });
  }
}

/** Appends one chunk to a DuckDB appender whose table has the column types `types`. */
export function appendChunk(appender: DuckDBAppender, types: readonly ColumnType[], chunk: Chunk): void {
  const { n } = chunk;
  const dc = DuckDBDataChunk.create(
    types.map((t) => DUCK_TYPES[t]),
    n,
  );
  for (let c = 0; c < types.length; c++) {
    const { data, valid, offsets } = chunk.columns[c]!;
    if (offsets && data instanceof ArrayBuffer) {
      // Each row's bytes straight into the vector (what the node API's blob vector does, without its objects).
      const off = new Int32Array(offsets);
      const bytes = new Uint8Array(data);
      const bits = valid ? new Uint8Array(valid) : null;
      const vector = duckdb.data_chunk_get_vector(dc.chunk, c);
      for (let i = 0; i < n; i++) {
        if (bits && !((bits[i >> 3]! >> (i & 7)) & 1)) continue;
        duckdb.vector_assign_string_element_len(vector, i, bytes.subarray(off[i]!, off[i + 1]!));
      }
      if (valid) {
        duckdb.vector_ensure_validity_writable(vector);
        duckdb.copy_data_to_vector_validity(vector, 0, valid, 0, valid.byteLength);
      }
    } else if (Array.isArray(data)) {
      const values: DuckDBValue[] = new Array(n);
      const bits = valid ? new Uint8Array(valid) : null;
      for (let i = 0; i < n; i++) {
        const v = bits && !((bits[i >> 3]! >> (i & 7)) & 1) ? null : data[i]!;
        values[i] = v instanceof Uint8Array ? blobValue(v) : (v as DuckDBValue);
      }
      dc.setColumnValues(c, values);
    } else {
      const vector = duckdb.data_chunk_get_vector(dc.chunk, c);
      duckdb.copy_data_to_vector(vector, 0, data, 0, data.byteLength);
      if (valid) {
        duckdb.vector_ensure_validity_writable(vector);
        duckdb.copy_data_to_vector_validity(vector, 0, valid, 0, valid.byteLength);
      }
    }
  }
  appender.appendDataChunk(dc);
}
