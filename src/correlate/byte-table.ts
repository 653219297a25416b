/**
 * A hash table keyed by byte ranges, for ingest's hot path: it finds an encoded term (a message, a
 * function's atoms) by its bytes without making a string of them. A 32-bit hash picks the slot, and a hit is
 * confirmed by comparing the bytes, so lookups are exact. The keys' bytes are copied into one arena.
 *
 *     const h = hashBytes(buf, start, end);
 *     let e = table.find(buf, start, end, h);
 *     if (e < 0) e = table.insert(buf, start, end, h, value);
 *     table.value(e);
 *
 * Entries are numbered from 0 (`find` and `insert` give the number); a removed entry's number is reused.
 * `tag` is a small number that must match too (the arity of a function whose atoms are the bytes).
 */

/** A Murmur3-style 32-bit hash of `buf[start, end)`, four bytes a step. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = (end - start) | 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let s = 0; i < end; i++, s += 8) k |= buf[i]! << s;
  k = Math.imul(k, 0xcc9e2d51);
  h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const EMPTY = 0;
const REMOVED = -1;

export class ByteTable {
  /** Open addressing, linear probing: EMPTY, REMOVED, or an entry's number + 1. */
  private slots = new Int32Array(1024);
  /** Slots not EMPTY (entries and REMOVED marks): past half the table it is rebuilt. */
  private usedSlots = 0;
  private starts = new Int32Array(512);
  private lengths = new Int32Array(512);
  private hashes = new Int32Array(512);
  private tags = new Int32Array(512);
  private values = new Int32Array(512);
  /** Entry numbers handed out so far, and those free again. */
  private entries = 0;
  private readonly free: number[] = [];
  private arena = new Uint8Array(1 << 16);
  private top = 0;
  /** Arena bytes of removed entries, reclaimed when the arena is full. */
  private dead = 0;
  /** Entries present. */
  size = 0;

  /** The entry whose key is `buf[start, end)` (hashed `hash`, with `tag`), or -1. */
  find(buf: Uint8Array, start: number, end: number, hash: number, tag = 0): number {
    const len = end - start;
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === EMPTY) return -1;
      if (s === REMOVED) continue;
      const e = s - 1;
      if (this.hashes[e] !== hash || this.lengths[e] !== len || this.tags[e] !== tag) continue;
      const arena = this.arena;
      const at = this.starts[e]! - start;
      let j = start;
      while (j < end && arena[at + j] === buf[j]) j++;
      if (j === end) return e;
    }
  }

  /** Adds a key that is not present (`find` said -1) with `value`; returns its entry. */
  insert(buf: Uint8Array, start: number, end: number, hash: number, value: number, tag = 0): number {
    const len = end - start;
    if (this.top + len > this.arena.length) this.makeRoom(len);
    if (2 * (this.usedSlots + 1) > this.slots.length) this.rebuild();
    const e = this.free.length > 0 ? this.free.pop()! : this.entries++;
    if (e >= this.starts.length) this.growEntries();
    const arena = this.arena;
    const at = this.top - start;
    if (len > 64) arena.set(buf.subarray(start, end), this.top);
    else for (let j = start; j < end; j++) arena[at + j] = buf[j]!;
    this.starts[e] = this.top;
    this.top += len;
    this.lengths[e] = len;
    this.hashes[e] = hash;
    this.tags[e] = tag;
    this.values[e] = value;
    this.place(e);
    this.usedSlots++;
    this.size++;
    return e;
  }

  value(e: number): number {
    return this.values[e]!;
  }

  /** Removes entry `e`; its number may be handed out again. */
  remove(e: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = this.hashes[e]! & mask; slots[i] !== EMPTY; i = (i + 1) & mask) {
      if (slots[i] !== e + 1) continue;
      slots[i] = REMOVED;
      this.dead += this.lengths[e]!;
      this.lengths[e] = -1;
      this.free.push(e);
      this.size--;
      return;
    }
  }

  /** Removes every entry. */
  clear(): void {
    this.slots.fill(EMPTY);
    this.usedSlots = 0;
    this.entries = 0;
    this.free.length = 0;
    this.top = 0;
    this.dead = 0;
    this.size = 0;
  }

  private place(e: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = this.hashes[e]! & mask;
    while (slots[i] !== EMPTY) i = (i + 1) & mask;
    slots[i] = e + 1;
  }

  /** New slots, twice as many as entries need (and never fewer than now), without REMOVED marks. */
  private rebuild(): void {
    let n = this.slots.length;
    while (n < 4 * (this.size + 1)) n *= 2;
    this.slots = new Int32Array(n);
    this.usedSlots = this.size;
    for (let e = 0; e < this.entries; e++) if (this.lengths[e]! >= 0) this.place(e);
  }

  private growEntries(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts);
    this.lengths = grow(this.lengths);
    this.hashes = grow(this.hashes);
    this.tags = grow(this.tags);
    this.values = grow(this.values);
  }

  /** Compacts the arena (dropping removed entries' bytes), growing it when live keys fill half of it. */
  private makeRoom(need: number): void {
    const live = this.top - this.dead;
    let size = this.arena.length;
    while (2 * (live + need) > size) size *= 2;
    const arena = new Uint8Array(size);
    let top = 0;
    for (let e = 0; e < this.entries; e++) {
      const len = this.lengths[e]!;
      if (len < 0) continue;
      const from = this.starts[e]!;
      arena.set(this.arena.subarray(from, from + len), top);
      this.starts[e] = top;
      top += len;
    }
    this.arena = arena;
    this.top = top;
    this.dead = 0;
  }
}
