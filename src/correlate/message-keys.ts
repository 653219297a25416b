/**
 * Numbers for the messages ingest is waiting on, by their bytes: a send waiting for its receive, a
 * received message a process has not handled yet. Two messages get the same number exactly when their
 * bytes are equal, so pairing compares numbers. A number lives while something holds it (`acquire` …
 * `release`): memory is what is waiting, not the whole recording.
 *
 *     const k = keys.acquire(buf, start, end, hash);  // a send starts waiting
 *     keys.find(buf, start, end, hash) === k;         // a receive of the same bytes
 *     keys.release(k);                                // paired: no longer waiting
 *
 * The numbers are entries of a `TermTable`, which the interner shares (ingest gives both the same one):
 * a message's number is then also where its term number is found.
 */
import { TermTable } from "./term-table.js";

export class MessageKeys {
  constructor(readonly table = new TermTable()) {}

  /** The number of the message `buf[start, end)` (with `hashBytes` `hash`), held once more. */
  acquire(buf: Uint8Array, start: number, end: number, hash: number): number {
    let k = this.table.find(buf, start, end, hash);
    if (k < 0) k = this.table.add(buf, start, end, hash);
    this.table.hold(k);
    return k;
  }

  /**
   * The number of the message if something holds it (or the interner has its bytes), else -1 (so nothing
   * waits on it).
   */
  find(buf: Uint8Array, start: number, end: number, hash: number): number {
    return this.table.find(buf, start, end, hash);
  }

  /** The term number remembered for message `k` in the interner's generation `gen`, or -1. */
  term(k: number, gen: number): number {
    return this.table.term(k, gen);
  }

  /** Remembers that message `k` is term `term` in the interner's generation `gen` (saves looking it up again). */
  rememberTerm(k: number, term: number, gen: number): void {
    this.table.setTerm(k, term, gen);
  }

  release(k: number): void {
    this.table.release(k);
  }

  /** Messages held (for tests). */
  get size(): number {
    return this.table.held;
  }
}
