/**
 * Tests of the structures ingest pairs sends with receives in: the pair table against a `Map` under many
 * sets and deletions (deletions shift entries back), and the waiting sends' queues (oldest first per
 * receiver and message, by name, settled oldest first with slots reused).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PairTable } from "./pair-table.js";
import { PendingSends } from "./pending-sends.js";

test("a PairTable answers like a Map of pairs through sets, overwrites and deletions", () => {
  const t = new PairTable();
  const m = new Map<string, number>();
  let x = 12345;
  const rand = (n: number) => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n;
  for (let i = 0; i < 200_000; i++) {
    const a = rand(300);
    const b = rand(500);
    if (rand(3) === 0) {
      t.delete(a, b);
      m.delete(`${a},${b}`);
    } else {
      t.set(a, b, i);
      m.set(`${a},${b}`, i);
    }
  }
  assert.equal(t.size, m.size);
  for (let a = 0; a < 300; a++)
    for (let b = 0; b < 500; b++) assert.equal(t.get(a, b), m.get(`${a},${b}`) ?? -1);
});

test("waiting sends are taken oldest first per receiver and message, and settled oldest first", () => {
  const w = new PendingSends();
  const add = (seq: number, receiver: number, key: number, name?: string) =>
    w.add(seq, 1, receiver, -1, seq * 10, seq, key, name);
  const s1 = add(1, 7, 3);
  const s2 = add(2, 8, 3);
  const s3 = add(3, 7, 3);
  const s4 = add(4, -1, 3, "server");
  const s5 = add(5, 7, 4);
  assert.equal(w.size, 5);
  assert.equal(w.takeFor(7, 3), s1);
  w.free(s1);
  assert.equal(w.oldest(), s2);
  // A send settled from the middle of its queue leaves the others in order.
  const s6 = add(6, 7, 3);
  w.unqueue(s3);
  w.free(s3);
  assert.equal(w.takeFor(7, 3), s6);
  assert.equal(w.takeFor(7, 3), -1);
  assert.deepEqual(w.named(3), [s4]);
  assert.equal(w.name[s4], "server");
  assert.equal(w.takeNamed(3, 0), s4);
  assert.equal(w.named(3), undefined);
  w.free(s4);
  assert.equal(w.seq[w.takeFor(7, 4)], 5);
  w.free(s5);
  w.free(s6);
  assert.equal(w.oldest(), s2);
  assert.equal(w.term[s2], 20);
  w.unqueue(s2);
  w.free(s2);
  assert.equal(w.oldest(), -1);
  assert.equal(w.size, 0);

  // Many sends, most taken soon, some never: slots are reused and the oldest stay in seq order.
  const never: number[] = [];
  for (let seq = 100; seq < 50_100; seq++) {
    if (seq % 97 === 0) {
      add(seq, 1000, seq % 101);
      never.push(seq);
      continue;
    }
    const s = add(seq, seq % 13, seq % 101);
    assert.equal(w.takeFor(seq % 13, seq % 101), s);
    w.free(s);
  }
  assert.equal(w.size, never.length);
  for (const seq of never) {
    const s = w.oldest();
    assert.equal(w.seq[s], seq);
    w.unqueue(s);
    w.free(s);
  }
  assert.equal(w.oldest(), -1);
});
