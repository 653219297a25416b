/**
 * Tests of the byte-keyed tables ingest finds terms and waiting messages with: exact under hash collisions,
 * removals and reuse of entry numbers, arena compaction and growth; message keys live while held.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteTable, hashBytes } from "./byte-table.js";
import { MessageKeys } from "./message-keys.js";

const key = (i: number) => Buffer.from(`key-${i}-${"x".repeat(i % 37)}`);

test("a ByteTable finds exactly the bytes it was given, even when every hash is the same", () => {
  for (const sameHash of [false, true]) {
    const t = new ByteTable();
    const h = (b: Buffer) => (sameHash ? 7 : hashBytes(b, 0, b.length));
    const n = sameHash ? 300 : 20_000;
    for (let i = 0; i < n; i++) {
      const b = key(i);
      assert.equal(t.find(b, 0, b.length, h(b)), -1);
      assert.equal(t.value(t.insert(b, 0, b.length, h(b), i * 3)), i * 3);
    }
    assert.equal(t.size, n);
    for (let i = 0; i < n; i++) {
      // The same bytes inside a larger buffer, at an offset.
      const b = Buffer.concat([Buffer.from("pad"), key(i), Buffer.from("!")]);
      const e = t.find(b, 3, b.length - 1, h(key(i)));
      assert.ok(e >= 0);
      assert.equal(t.value(e), i * 3);
    }
    const other = Buffer.from("key-1-y");
    assert.equal(t.find(other, 0, other.length, h(other)), -1);
  }
});

test("a ByteTable's tags tell apart equal bytes, and removed entries are gone while others stay", () => {
  const t = new ByteTable();
  const b = Buffer.from("handle_call");
  const h = hashBytes(b, 0, b.length);
  const two = t.insert(b, 0, b.length, h, 2, 2);
  const three = t.insert(b, 0, b.length, h, 3, 3);
  assert.equal(t.find(b, 0, b.length, h, 2), two);
  assert.equal(t.find(b, 0, b.length, h, 3), three);
  assert.equal(t.find(b, 0, b.length, h, 4), -1);

  // Many inserts and removals: the arena is compacted and entry numbers reused, answers stay exact.
  const live = new Map<number, number>();
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 400; i++) {
      const k = key(round * 400 + i);
      live.set(round * 400 + i, t.insert(k, 0, k.length, hashBytes(k, 0, k.length), round * 400 + i));
    }
    for (const [i, e] of live) {
      if (i % 3 === round % 3) continue;
      t.remove(e);
      live.delete(i);
    }
  }
  for (let i = 0; i < 50 * 400; i++) {
    const k = key(i);
    const e = t.find(k, 0, k.length, hashBytes(k, 0, k.length));
    if (live.has(i)) assert.equal(t.value(e), i);
    else assert.equal(e, -1, `key ${i} was removed`);
  }
  assert.equal(t.size, live.size + 2);
  t.clear();
  assert.equal(t.size, 0);
  assert.equal(t.find(b, 0, b.length, h, 2), -1);
});

test("a message key lives while something holds it, and remembers a term for one interner generation", () => {
  const keys = new MessageKeys();
  const m = Buffer.from([131, 100, 0, 4, 112, 105, 110, 103]);
  const h = hashBytes(m, 0, m.length);
  const k = keys.acquire(m, 0, m.length, h);
  assert.equal(keys.acquire(m, 0, m.length, h), k);
  keys.rememberTerm(k, 42, 0);
  assert.equal(keys.term(k, 0), 42);
  assert.equal(keys.term(k, 1), -1);
  keys.release(k);
  assert.equal(keys.find(m, 0, m.length, h), k);
  keys.release(k);
  assert.equal(keys.find(m, 0, m.length, h), -1);
  assert.equal(keys.size, 0);
  // A number handed out again starts with no term.
  const other = Buffer.from("other");
  const k2 = keys.acquire(other, 0, other.length, hashBytes(other, 0, other.length));
  assert.equal(keys.term(k2, 0), -1);
});
