// The version-0 recording log: records read back in order; a file cut off mid-record opens with what was
// complete; foreign, corrupt and future-version files fail with a clear message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRecording, RecordingWriter, RecordKind } from "./recording-file.js";

function sample(dir: string): string {
  const file = join(dir, "r.esrec");
  const w = new RecordingWriter(file, { tool: "test" });
  w.hello(Buffer.from([131, 106]));
  w.events(0n, Buffer.from([1, 2, 3]));
  w.events(3n, Buffer.from([4, 5]));
  w.note({ drops: 2, reason: "rate_limit" });
  w.end({ events: 5 });
  w.close();
  return file;
}

test("records read back in order", () => {
  const file = sample(mkdtempSync(join(tmpdir(), "es-rec-")));
  const r = readRecording(file);
  assert.deepEqual(r.metadata, { tool: "test" });
  assert.equal(r.truncated, false);
  assert.deepEqual(
    r.entries.map((e) => e.kind),
    [RecordKind.Hello, RecordKind.Events, RecordKind.Events, RecordKind.Note, RecordKind.End],
  );
  const second = r.entries[2]!;
  assert.ok(
    second.kind === RecordKind.Events && second.firstSeq === 3n && second.frame.equals(Buffer.from([4, 5])),
  );
});

test("a file cut off at any byte opens with the complete records before the cut", () => {
  const dir = mkdtempSync(join(tmpdir(), "es-rec-"));
  const whole = readFileSync(sample(dir));
  const headerEnd = 6 + 6 + JSON.stringify({ tool: "test" }).length;
  let previous = 0;
  for (let cut = headerEnd; cut < whole.length; cut++) {
    const file = join(dir, `cut-${cut}.esrec`);
    writeFileSync(file, whole.subarray(0, cut));
    const r = readRecording(file);
    assert.ok(r.entries.length >= previous && r.entries.length < 5);
    previous = r.entries.length;
  }
  assert.equal(previous, 4);
});

test("foreign, corrupt and newer files fail clearly", () => {
  const dir = mkdtempSync(join(tmpdir(), "es-rec-"));
  writeFileSync(join(dir, "text.esrec"), "hello world, not a recording");
  assert.throws(() => readRecording(join(dir, "text.esrec")), /is not an ElixirScope recording/);
  const whole = readFileSync(sample(dir));
  const newer = Buffer.from(whole);
  newer.writeUInt16BE(9, 6);
  writeFileSync(join(dir, "newer.esrec"), newer);
  assert.throws(
    () => readRecording(join(dir, "newer.esrec")),
    /format version 9; this ElixirScope reads version 0/,
  );
  const corrupt = Buffer.from(whole);
  corrupt[6 + 6 + JSON.stringify({ tool: "test" }).length] = 77; // the first record's kind
  writeFileSync(join(dir, "corrupt.esrec"), corrupt);
  assert.throws(() => readRecording(join(dir, "corrupt.esrec")), /is corrupt: unknown record kind 77/);
  assert.throws(() => readRecording(join(dir, "missing.esrec")), /cannot open recording .*ENOENT/);
});
