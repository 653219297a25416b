/**
 * Per process, what the process list shows of its events: the first and last, how many, its last exit (and
 * that exit's reason term), and whether it had a state event. Counted as event rows are written and handed
 * to the store when the recording finishes, which makes the `process_list` table from it (see
 * src/store/schema.ts) without reading the events again.
 *
 *     const s = new ProcessSummary();
 *     s.add(proc, seq, kind, term);           // for every events row
 *     s.rows();                               // [[proc, first_seq, ...], ...]
 */
import { K } from "../store/schema.js";

function grown<A extends Int32Array | Uint8Array>(a: A, size: number, fill: number): A {
  const b = new (a.constructor as new (n: number) => A)(size);
  b.set(a);
  b.fill(fill, a.length);
  return b;
}

export class ProcessSummary {
  private first = new Int32Array(1024).fill(-1);
  private last = new Int32Array(1024);
  private count = new Int32Array(1024);
  private exitSeq = new Int32Array(1024).fill(-1);
  private exitTerm = new Int32Array(1024).fill(-1);
  private hasState = new Uint8Array(1024);

  /** Counts event `seq` of `kind` in process `proc`; `term` is its term id, or -1. */
  add(proc: number, seq: number, kind: number, term: number): void {
    if (proc >= this.first.length) this.grow(proc);
    if (this.first[proc]! < 0) this.first[proc] = seq;
    this.last[proc] = seq;
    this.count[proc]!++;
    if (kind === K.exit) {
      this.exitSeq[proc] = seq;
      this.exitTerm[proc] = term;
    } else if (kind === K.state) this.hasState[proc] = 1;
  }

  private grow(proc: number): void {
    const size = Math.max(2 * this.first.length, proc + 1);
    this.first = grown(this.first, size, -1);
    this.last = grown(this.last, size, 0);
    this.count = grown(this.count, size, 0);
    this.exitSeq = grown(this.exitSeq, size, -1);
    this.exitTerm = grown(this.exitTerm, size, -1);
    this.hasState = grown(this.hasState, size, 0);
  }

  /**
   * A row for every process that had an event, with the columns of `process_summary`: proc, first_seq,
   * last_seq, events, exit_seq, exit_term, has_state (-1: none).
   */
  rows(): (number | boolean)[][] {
    const out: (number | boolean)[][] = [];
    for (let proc = 0; proc < this.first.length; proc++) {
      if (this.first[proc]! < 0) continue;
      out.push([
        proc,
        this.first[proc]!,
        this.last[proc]!,
        this.count[proc]!,
        this.exitSeq[proc]!,
        this.exitTerm[proc]!,
        this.hasState[proc] === 1,
      ]);
    }
    return out;
  }
}
