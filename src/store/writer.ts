/**
 * Writes a recording file (see `schema.ts`) as events arrive. Ingest fills one `ColumnBuffer` per table;
 * each full chunk goes to the writer thread (`writer-thread.ts`), which owns the DuckDB database, and
 * `flush()` has it commit everything so far, so that a recording cut off at any moment opens with everything
 * up to its last flush. `finish()` writes how the recording ended and checkpoints the file so that it is one
 * self-contained file again (no write-ahead log beside it).
 *
 * Memory stays bounded: when the writer thread falls more than `MAX_CHUNKS_IN_FLIGHT` chunks behind, the
 * ingest waits for it. Chunks go over `CHUNKS_PER_MESSAGE` at a time (a message costs more than its rows'
 * bytes: the writer thread wakes for each), and whatever is gathered at each flush.
 */
import { Worker } from "node:worker_threads";
import { ColumnBuffer, type Chunk } from "./columns.js";
import { COLUMNS, type TableName } from "./schema.js";
import type { WriterMessage, WriterReply } from "./writer-thread.js";
import type { SqlResult } from "../query/db.js";

export type Tables = Record<TableName, ColumnBuffer>;

const MAX_CHUNKS_IN_FLIGHT = 256;
const CHUNKS_PER_MESSAGE = 16;

export class StoreWriter {
  readonly tables: Tables;
  private closed = false;
  private sent = 0;
  /** Chunks the writer thread has appended, counted by it. */
  private readonly done: Int32Array;
  private error: Error | undefined;
  private readonly waiting = new Map<number, (r: WriterReply) => void>();
  private nextId = 0;
  /** Chunks not yet posted, and their buffers to transfer. */
  private outbox: { table: TableName; chunk: Chunk }[] = [];
  private outboxTransfer: ArrayBuffer[] = [];

  private constructor(
    readonly path: string,
    private readonly worker: Worker,
    doneBuffer: SharedArrayBuffer,
  ) {
    this.done = new Int32Array(doneBuffer);
    this.tables = {} as Tables;
    for (const name of Object.keys(COLUMNS) as TableName[]) {
      this.tables[name] = new ColumnBuffer(COLUMNS[name], (chunk) => this.send(name, chunk));
    }
    worker.on("message", (r: WriterReply) => {
      const w = r.id === undefined ? undefined : this.waiting.get(r.id);
      if (w) {
        this.waiting.delete(r.id!);
        w(r);
      } else if (r.type === "error")
        this.error ??= new Error(`cannot write the recording ${path}: ${r.message}`);
    });
    // A writer thread that dies answers every question still waiting with what went wrong.
    const died = (err: Error) => {
      this.error ??= err;
      for (const w of this.waiting.values()) w({ type: "error", message: err.message });
      this.waiting.clear();
    };
    worker.on("error", died);
    worker.on("exit", (code) => died(new Error(`the recording's writer thread stopped (exit ${code})`)));
  }

  /** Creates (or replaces) the recording at `path`, with `meta` as its first metadata. */
  static async create(path: string, meta: Record<string, string>): Promise<StoreWriter> {
    const worker = new Worker(new URL("./writer-thread.js", import.meta.url));
    const doneBuffer = new SharedArrayBuffer(4);
    const writer = new StoreWriter(path, worker, doneBuffer);
    const reply = await writer.request({ type: "open", path, meta, done: doneBuffer });
    if (reply.type === "error") {
      await worker.terminate();
      throw new Error(`cannot create the recording ${path}: ${reply.message}`);
    }
    return writer;
  }

  private post(m: WriterMessage, transfer: ArrayBuffer[] = []): void {
    if (this.error) throw this.error;
    this.worker.postMessage(m, transfer);
  }

  private request(m: WriterMessage): Promise<WriterReply> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, resolve);
      this.worker.postMessage({ ...m, id });
    });
  }

  /** Runs a query on the recording as written so far (everything flushed). */
  async query(sql: string, params?: unknown[]): Promise<SqlResult> {
    if (this.closed) throw new Error(`the recording ${this.path} is closed`);
    const r = await this.request({ type: "query", sql, params });
    if (r.type === "error") throw new Error(r.message);
    if (r.type !== "rows") throw new Error(`unexpected answer ${r.type}`);
    return r.result;
  }

  private send(table: TableName, chunk: Chunk): void {
    // Wait (blocking: ingest is synchronous) while the writer thread is too far behind.
    while (this.sent - Atomics.load(this.done, 0) >= MAX_CHUNKS_IN_FLIGHT) {
      Atomics.wait(this.done, 0, Atomics.load(this.done, 0), 100);
      if (this.error) throw this.error;
    }
    for (const c of chunk.columns) {
      if (c.data instanceof ArrayBuffer) this.outboxTransfer.push(c.data);
      if (c.valid) this.outboxTransfer.push(c.valid);
      if (c.offsets) this.outboxTransfer.push(c.offsets);
    }
    this.outbox.push({ table, chunk });
    this.sent++;
    if (this.outbox.length >= CHUNKS_PER_MESSAGE) this.postChunks();
  }

  private postChunks(): void {
    if (this.outbox.length === 0) return;
    const chunks = this.outbox;
    const transfer = this.outboxTransfer;
    this.outbox = [];
    this.outboxTransfer = [];
    this.post({ type: "chunks", chunks }, transfer);
  }

  /** Hands every row gathered so far to the writer thread, which commits them. */
  flush(): void {
    for (const t of Object.values(this.tables)) t.flush();
    this.postChunks();
    this.post({ type: "commit" });
  }

  /**
   * Flushes, writes the final metadata and the process list (from `summary`, ingest's per-process rows of
   * `process_summary`), and closes the file as one self-contained file.
   */
  async finish(meta: Record<string, string>, summary: (number | boolean)[][]): Promise<void> {
    if (this.closed) return;
    for (const t of Object.values(this.tables)) t.flush();
    this.postChunks();
    if (this.error) throw this.error;
    this.closed = true;
    const reply = await this.request({ type: "finish", meta, summary });
    await this.worker.terminate();
    if (reply.type === "error") throw new Error(`cannot finish the recording ${this.path}: ${reply.message}`);
  }

  /** Closes without finishing: what was flushed stays readable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Chunks handed over before are appended, as they would have been one by one.
    if (!this.error) this.postChunks();
    await this.request({ type: "close" });
    await this.worker.terminate();
  }
}
