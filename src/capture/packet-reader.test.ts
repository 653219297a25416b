// The {packet, 4} splitter: frames split anywhere across chunks, several frames in one chunk, views without
// copies, and refusal of absurd lengths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PacketReader, packet } from "./packet-reader.js";

function frames(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`frame ${i} `.repeat(i % 7)));
}

test("frames come out whole and in order however the stream is cut", () => {
  const originals = frames(50);
  const stream = Buffer.concat(originals.map(packet));
  for (const step of [1, 2, 3, 5, 7, 64, 1000, stream.length]) {
    const reader = new PacketReader();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += step) out.push(...reader.push(stream.subarray(i, i + step)));
    assert.equal(out.length, originals.length, `step ${step}`);
    out.forEach((f, i) => assert.ok(f.equals(originals[i]!), `step ${step}, frame ${i}`));
    assert.equal(reader.pending, 0);
  }
});

test("a frame inside one chunk is a view of it, not a copy", () => {
  const chunk = Buffer.concat([packet(Buffer.from("abc")), packet(Buffer.from("defg"))]);
  const [a, b] = new PacketReader().push(chunk);
  assert.equal(a!.buffer, chunk.buffer);
  assert.equal(b!.toString(), "defg");
});

test("many small chunks of one big frame cost linear time", () => {
  const big = Buffer.alloc(8 * 1024 * 1024, 7);
  const stream = packet(big);
  const reader = new PacketReader();
  const started = process.hrtime.bigint();
  let out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 1024) out = out.concat(reader.push(stream.subarray(i, i + 1024)));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(out.length, 1);
  assert.ok(out[0]!.equals(big));
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test("a length over the limit is refused", () => {
  const reader = new PacketReader(1000);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(1001);
  assert.throws(() => reader.push(head), /1001 bytes, over the 1000-byte limit/);
});
