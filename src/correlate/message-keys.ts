/**
 * Numbers for the messages ingest is waiting on, by their bytes: a send waiting for its receive, a
 * received message a process has not handled yet. Two messages get the same number exactly when their
 * bytes are equal, so pairing compares numbers. A number lives while something holds it (`acquire` …
 * `release`): memory is what is waiting, not the whole recording.
 *
 *     const k = keys.acquire(buf, start, end, hash);  // a send starts waiting
 *     keys.find(buf, start, end, hash) === k;         // a receive of the same bytes
 *     keys.release(k);                                // paired: no longer waiting
 */
import { ByteTable } from "./byte-table.js";

export class MessageKeys {
  private readonly table = new ByteTable();
  private holds = new Int32Array(1024);
  /** A term number remembered for each message, and the interner generation it is good for (-1: none). */
  private terms = new Int32Array(1024);
  private gens = new Int32Array(1024);

  /** The number of the message `buf[start, end)` (with `hashBytes` `hash`), held once more. */
  acquire(buf: Uint8Array, start: number, end: number, hash: number): number {
    let k = this.table.find(buf, start, end, hash);
    if (k < 0) {
      k = this.table.insert(buf, start, end, hash, 0);
      if (k >= this.holds.length) this.grow();
      this.gens[k] = -1;
    }
    this.holds[k]!++;
    return k;
  }

  /** The number of the message if something holds it, else -1 (so nothing waits on it). */
  find(buf: Uint8Array, start: number, end: number, hash: number): number {
    return this.table.find(buf, start, end, hash);
  }

  /** The term number remembered for message `k` in the interner's generation `gen`, or -1. */
  term(k: number, gen: number): number {
    return this.gens[k] === gen ? this.terms[k]! : -1;
  }

  /** Remembers that message `k` is term `term` in the interner's generation `gen` (saves looking it up again). */
  rememberTerm(k: number, term: number, gen: number): void {
    this.terms[k] = term;
    this.gens[k] = gen;
  }

  release(k: number): void {
    if (--this.holds[k]! === 0) this.table.remove(k);
  }

  private grow(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.holds = grow(this.holds);
    this.terms = grow(this.terms);
    this.gens = grow(this.gens);
  }

  /** Messages held (for tests). */
  get size(): number {
    return this.table.size;
  }
}
