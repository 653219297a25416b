/**
 * Puts trace events back into the order they happened. The VM sends each trace message to the tracer as
 * the event happens, but messages from processes on different schedulers can reach the tracer's mailbox in
 * either order: a receive can arrive before the send that caused it. Every event carries a timestamp from
 * the VM's one monotonic clock, so events are held for `windowNs` of trace time, kept sorted as they come
 * (they are nearly sorted already, so inserting costs a comparison or two), and released oldest first.
 * Recording order (`seq`) is then time order, and every send comes before its receive.
 *
 * The events stay byte ranges of their batch (see `scan.ts`): a batch is kept while any of its events is held.
 */
import type { RawEvent } from "./scan.js";

/** How far behind the newest event the events are released: skew between schedulers is microseconds. */
export const REORDER_WINDOW_NS = 20_000_000;

const FIELDS = ["kind", "pid", "pidEnd", "a", "aEnd", "b", "bEnd", "c", "cEnd", "batch"] as const;

export class ReorderBuffer {
  private capacity = 1 << 12;
  private ns = new Float64Array(this.capacity);
  private cols: Int32Array[] = FIELDS.map(() => new Int32Array(this.capacity));
  /** Ring buffer: events at head..head+size (mod capacity), sorted by ns. */
  private head = 0;
  private size = 0;
  private maxNs = -Infinity;
  private readonly batches = new Map<number, { buf: Buffer; held: number }>();
  private nextBatch = 0;
  /** The batch events are being added from (the latest). */
  private adding: { buf: Buffer; held: number } = { buf: Buffer.alloc(0), held: 0 };
  private readonly out: RawEvent = {
    kind: -1,
    pid: 0,
    pidEnd: 0,
    ns: 0,
    a: 0,
    aEnd: 0,
    b: 0,
    bEnd: 0,
    c: 0,
    cEnd: 0,
  };

  constructor(private readonly windowNs = REORDER_WINDOW_NS) {}

  get held(): number {
    return this.size;
  }

  /** Starts a batch; its events are then `add`ed. */
  beginBatch(buf: Buffer): void {
    this.adding = { buf, held: 0 };
    this.batches.set(this.nextBatch++, this.adding);
  }

  add(e: RawEvent): void {
    if (this.size === this.capacity) this.grow();
    const batch = this.nextBatch - 1;
    this.adding.held++;
    const mask = this.capacity - 1;
    // Insert at the end, then move back past newer events.
    let i = this.size;
    while (i > 0 && this.ns[(this.head + i - 1) & mask]! > e.ns) {
      this.move((this.head + i - 1) & mask, (this.head + i) & mask);
      i--;
    }
    const at = (this.head + i) & mask;
    this.ns[at] = e.ns;
    const c = this.cols;
    c[0]![at] = e.kind;
    c[1]![at] = e.pid;
    c[2]![at] = e.pidEnd;
    c[3]![at] = e.a;
    c[4]![at] = e.aEnd;
    c[5]![at] = e.b;
    c[6]![at] = e.bEnd;
    c[7]![at] = e.c;
    c[8]![at] = e.cEnd;
    c[9]![at] = batch;
    this.size++;
    if (e.ns > this.maxNs) this.maxNs = e.ns;
  }

  /**
   * Hands `visit` the events older than the window (all of them with `all`), oldest first, each with the
   * batch it belongs to.
   */
  release(visit: (e: RawEvent, buf: Buffer) => void, all = false): void {
    const limit = all ? Infinity : this.maxNs - this.windowNs;
    const mask = this.capacity - 1;
    const o = this.out;
    const c = this.cols;
    // Events come mostly in runs from one batch: its entry is looked up once a run.
    let batchId = -1;
    let batch = this.adding;
    while (this.size > 0 && this.ns[this.head]! <= limit) {
      const at = this.head;
      o.ns = this.ns[at]!;
      o.kind = c[0]![at]!;
      o.pid = c[1]![at]!;
      o.pidEnd = c[2]![at]!;
      o.a = c[3]![at]!;
      o.aEnd = c[4]![at]!;
      o.b = c[5]![at]!;
      o.bEnd = c[6]![at]!;
      o.c = c[7]![at]!;
      o.cEnd = c[8]![at]!;
      if (c[9]![at] !== batchId) {
        batchId = c[9]![at]!;
        batch = this.batches.get(batchId)!;
      }
      this.head = (this.head + 1) & mask;
      this.size--;
      visit(o, batch.buf);
      if (--batch.held === 0 && batchId !== this.nextBatch - 1) this.batches.delete(batchId);
    }
    for (const [id, b] of this.batches)
      if (b.held === 0 && id !== this.nextBatch - 1) this.batches.delete(id);
  }

  private move(from: number, to: number): void {
    this.ns[to] = this.ns[from]!;
    for (const col of this.cols) col[to] = col[from]!;
  }

  private grow(): void {
    const mask = this.capacity - 1;
    const capacity = this.capacity * 2;
    const ns = new Float64Array(capacity);
    const cols = FIELDS.map(() => new Int32Array(capacity));
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) & mask;
      ns[i] = this.ns[from]!;
      for (let k = 0; k < cols.length; k++) cols[k]![i] = this.cols[k]![from]!;
    }
    this.capacity = capacity;
    this.ns = ns;
    this.cols = cols;
    this.head = 0;
  }
}
