/**
 * Encoded terms by their bytes, one entry per distinct bytes, shared by the two things ingest looks terms
 * up for, so that a message is hashed, found and copied once for both:
 *
 * - the interner (`interner.ts`): the term's number in the current generation (`intern`, `interned`);
 * - message keys (`message-keys.ts`): how many hold the entry as a waiting message's number (`hold`).
 *
 * An entry stays while it is held or interned in the current generation. A new generation (the interner
 * starting over) drops the interned entries nothing holds; held ones stay, with no number until interned
 * again.
 */
import { ByteTable } from "./byte-table.js";

/** Per entry: holds, a term number, the generation that number is good for, and whether it is interned. */
const META = 4;
const HOLDS = 0;
const TERM = 1;
const TERM_GEN = 2;
const INTERNED_GEN = 3;

export class TermTable {
  private readonly bytes = new ByteTable();
  private meta = new Int32Array(META * 1024);
  /** Counts the interner's fresh starts. */
  generation = 0;
  /** Entries interned in the current generation. */
  interned = 0;
  /** Entries held at least once. */
  held = 0;

  /** The entry of `buf[start, end)` (hashed `hash`), or -1. */
  find(buf: Uint8Array, start: number, end: number, hash: number): number {
    return this.bytes.find(buf, start, end, hash);
  }

  /** Adds the bytes (not present: `find` said -1), neither held nor interned yet; returns the entry. */
  add(buf: Uint8Array, start: number, end: number, hash: number): number {
    const e = this.bytes.insert(buf, start, end, hash, 0);
    if (META * (e + 1) > this.meta.length) {
      const meta = new Int32Array(Math.max(2 * this.meta.length, META * (e + 1)));
      meta.set(this.meta);
      this.meta = meta;
    }
    const m = META * e;
    this.meta[m + HOLDS] = 0;
    this.meta[m + TERM] = -1;
    this.meta[m + TERM_GEN] = -1;
    this.meta[m + INTERNED_GEN] = -1;
    return e;
  }

  hold(e: number): void {
    if (this.meta[META * e + HOLDS]!++ === 0) this.held++;
  }

  /** One hold fewer; the entry goes when nothing holds it and the interner does not have it. */
  release(e: number): void {
    const m = META * e;
    if (--this.meta[m + HOLDS]! > 0) return;
    this.held--;
    if (this.meta[m + INTERNED_GEN] !== this.generation) this.bytes.remove(e);
  }

  /** The term number of entry `e` for generation `gen`, or -1. */
  term(e: number, gen: number): number {
    const m = META * e;
    return this.meta[m + TERM_GEN] === gen ? this.meta[m + TERM]! : -1;
  }

  /** Remembers `term` as entry `e`'s number in generation `gen` (without interning it). */
  setTerm(e: number, term: number, gen: number): void {
    const m = META * e;
    this.meta[m + TERM] = term;
    this.meta[m + TERM_GEN] = gen;
  }

  /** Whether the interner has entry `e` in the current generation (its number: `term(e, generation)`). */
  isInterned(e: number): boolean {
    return this.meta[META * e + INTERNED_GEN] === this.generation;
  }

  /** The interner gives entry `e` the number `term` in the current generation. */
  intern(e: number, term: number): void {
    const m = META * e;
    this.meta[m + TERM] = term;
    this.meta[m + TERM_GEN] = this.generation;
    this.meta[m + INTERNED_GEN] = this.generation;
    this.interned++;
  }

  /** The interner starts over: entries nothing holds go (but `keep`), held ones lose their number. */
  newGeneration(keep = -1): void {
    this.generation++;
    this.interned = 0;
    if (this.held === 0 && keep < 0) {
      this.bytes.clear();
      return;
    }
    for (let e = 0; e < this.bytes.entryCount; e++)
      if (e !== keep && this.bytes.has(e) && this.meta[META * e + HOLDS] === 0) this.bytes.remove(e);
  }
}
