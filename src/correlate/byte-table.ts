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
import { copyBytes } from "../store/copy-bytes.js";

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

/** An entry's fields, one after another (one cache line for all of them): where its bytes are, and more. */
const FIELDS = 4;
const START = 0;
const LENGTH = 1;
const HASH = 2;
const VALUE = 3;

export class ByteTable {
  /**
   * Open addressing, linear probing, two numbers a slot: the entry's hash (so that most mismatches are told
   * without reading the entry), then EMPTY, REMOVED, or the entry's number + 1.
   */
  private slots = new Int32Array(2 * 1024);
  /** Slots not EMPTY (entries and REMOVED marks): past half the table it is rebuilt. */
  private usedSlots = 0;
  /** `FIELDS` numbers per entry; a removed entry's length is -1. */
  private fields = new Int32Array(FIELDS * 512);
  private tags = new Int32Array(512);
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
    const mask = (slots.length >> 1) - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = slots[2 * i + 1]!;
      if (s === EMPTY) return -1;
      if (s === REMOVED || slots[2 * i] !== hash) continue;
      const e = s - 1;
      const f = FIELDS * e;
      if (this.fields[f + LENGTH] !== len || this.tags[e] !== tag) continue;
      const arena = this.arena;
      const at = this.fields[f + START]! - start;
      let j = start;
      while (j < end && arena[at + j] === buf[j]) j++;
      if (j === end) return e;
    }
  }

  /** Adds a key that is not present (`find` said -1) with `value`; returns its entry. */
  insert(buf: Uint8Array, start: number, end: number, hash: number, value: number, tag = 0): number {
    const len = end - start;
    if (this.top + len > this.arena.length) this.makeRoom(len);
    if (4 * (this.usedSlots + 1) > this.slots.length) this.rebuild();
    const e = this.free.length > 0 ? this.free.pop()! : this.entries++;
    if (e >= this.tags.length) this.growEntries();
    copyBytes(this.arena, this.top, buf, start, end);
    const f = FIELDS * e;
    this.fields[f + START] = this.top;
    this.fields[f + LENGTH] = len;
    this.fields[f + HASH] = hash;
    this.fields[f + VALUE] = value;
    this.tags[e] = tag;
    this.top += len;
    if (this.place(e, hash)) this.usedSlots++;
    this.size++;
    return e;
  }

  /** Entry numbers handed out so far: every entry is below this. */
  get entryCount(): number {
    return this.entries;
  }

  /** Whether entry `e` is present. */
  has(e: number): boolean {
    return e < this.entries && this.fields[FIELDS * e + LENGTH]! >= 0;
  }

  value(e: number): number {
    return this.fields[FIELDS * e + VALUE]!;
  }

  /** Removes entry `e`; its number may be handed out again. */
  remove(e: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const f = FIELDS * e;
    for (let i = this.fields[f + HASH]! & mask; slots[2 * i + 1] !== EMPTY; i = (i + 1) & mask) {
      if (slots[2 * i + 1] !== e + 1) continue;
      slots[2 * i + 1] = REMOVED;
      this.dead += this.fields[f + LENGTH]!;
      this.fields[f + LENGTH] = -1;
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

  /**
   * Puts entry `e` in the first free slot of its probe path, a REMOVED one used again (the key is not in the
   * table, so no lookup stops before it); whether that slot was EMPTY.
   */
  private place(e: number, hash: number): boolean {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let i = hash & mask;
    for (let s = slots[2 * i + 1]; s !== EMPTY && s !== REMOVED; s = slots[2 * i + 1]) i = (i + 1) & mask;
    const fresh = slots[2 * i + 1] === EMPTY;
    slots[2 * i] = hash;
    slots[2 * i + 1] = e + 1;
    return fresh;
  }

  /** New slots, twice as many as entries need (and never fewer than now), without REMOVED marks. */
  private rebuild(): void {
    let n = this.slots.length >> 1;
    while (n < 4 * (this.size + 1)) n *= 2;
    this.slots = new Int32Array(2 * n);
    this.usedSlots = this.size;
    for (let e = 0; e < this.entries; e++) {
      const f = FIELDS * e;
      if (this.fields[f + LENGTH]! >= 0) this.place(e, this.fields[f + HASH]!);
    }
  }

  private growEntries(): void {
    const fields = new Int32Array(this.fields.length * 2);
    fields.set(this.fields);
    this.fields = fields;
    const tags = new Int32Array(this.tags.length * 2);
    tags.set(this.tags);
    this.tags = tags;
  }

  /**
   * Compacts the arena (dropping removed entries' bytes), growing it when live keys fill a quarter of it: a
   * compaction copies the live keys, so it should come seldom.
   */
  private makeRoom(need: number): void {
    const live = this.top - this.dead;
    let size = this.arena.length;
    while (4 * (live + need) > size) size *= 2;
    const arena = new Uint8Array(size);
    const old = this.arena;
    let top = 0;
    for (let e = 0; e < this.entries; e++) {
      const f = FIELDS * e;
      const len = this.fields[f + LENGTH]!;
      if (len < 0) continue;
      const from = this.fields[f + START]!;
      copyBytes(arena, top, old, from, from + len);
      this.fields[f + START] = top;
      top += len;
    }
    this.arena = arena;
    this.top = top;
    this.dead = 0;
  }
}
