/**
 * A hash table from a pair of non-negative 32-bit integers to a non-negative integer, in typed arrays:
 * ingest finds the sends waiting for a receive by (receiver, message number) with it, millions of times a
 * second, where a `Map` of `Map`s would cost an entry object or two per message.
 *
 *     const t = new PairTable();
 *     t.set(receiver, key, slot);
 *     t.get(receiver, key);      // slot, or -1
 *     t.delete(receiver, key);
 *
 * Open addressing with linear probing; a deletion shifts the entries after it back, so no marks are left.
 */

const EMPTY = -1;

function hashPair(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

export class PairTable {
  /** The pair's first number, or EMPTY. */
  private firsts = new Int32Array(1024).fill(EMPTY);
  private seconds = new Int32Array(1024);
  private values = new Int32Array(1024);
  size = 0;

  /** The value of `(a, b)`, or -1. */
  get(a: number, b: number): number {
    const firsts = this.firsts;
    const mask = firsts.length - 1;
    for (let i = hashPair(a, b) & mask; ; i = (i + 1) & mask) {
      const f = firsts[i]!;
      if (f === EMPTY) return -1;
      if (f === a && this.seconds[i] === b) return this.values[i]!;
    }
  }

  /** Sets the value of `(a, b)`, adding the pair if it is not there. */
  set(a: number, b: number, value: number): void {
    if (2 * (this.size + 1) > this.firsts.length) this.grow();
    const firsts = this.firsts;
    const mask = firsts.length - 1;
    let i = hashPair(a, b) & mask;
    for (; firsts[i] !== EMPTY; i = (i + 1) & mask) {
      if (firsts[i] === a && this.seconds[i] === b) {
        this.values[i] = value;
        return;
      }
    }
    firsts[i] = a;
    this.seconds[i] = b;
    this.values[i] = value;
    this.size++;
  }

  /** Removes `(a, b)` if it is there. */
  delete(a: number, b: number): void {
    const firsts = this.firsts;
    const seconds = this.seconds;
    const values = this.values;
    const mask = firsts.length - 1;
    let i = hashPair(a, b) & mask;
    for (; ; i = (i + 1) & mask) {
      const f = firsts[i]!;
      if (f === EMPTY) return;
      if (f === a && seconds[i] === b) break;
    }
    this.size--;
    // Entries after it that would no longer be found past the hole move back into it.
    for (let j = (i + 1) & mask; firsts[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hashPair(firsts[j]!, seconds[j]!) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      firsts[i] = firsts[j]!;
      seconds[i] = seconds[j]!;
      values[i] = values[j]!;
      i = j;
    }
    firsts[i] = EMPTY;
  }

  private grow(): void {
    const { firsts, seconds, values } = this;
    this.firsts = new Int32Array(firsts.length * 2).fill(EMPTY);
    this.seconds = new Int32Array(firsts.length * 2);
    this.values = new Int32Array(firsts.length * 2);
    this.size = 0;
    for (let i = 0; i < firsts.length; i++)
      if (firsts[i] !== EMPTY) this.set(firsts[i]!, seconds[i]!, values[i]!);
  }
}
