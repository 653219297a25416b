// Export of a recording large enough that a page's terms do not all stay in the term cache (a 200,000-event
// synthetic recording, with more distinct terms than the cache holds and old terms used again late), checked
// against what single-event questions say of the same events.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSyntheticRecording } from "../../bench/support/synthetic-recording.js";
import { exportRecording } from "./export.js";
import { openRecording, type Recording } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "es-export-"));
const file = join(dir, "synthetic.esrec");
const EVENTS = 200_000;
let rec: Recording;

before(async () => {
  await writeSyntheticRecording(file, EVENTS);
  rec = await openRecording(file);
});

after(async () => {
  await rec?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("jsonl: every event once, in order, each saying what a question about that event says", async () => {
  const out = join(dir, "events.jsonl");
  assert.equal(await exportRecording(rec, "jsonl", out), EVENTS);
  const lines = readFileSync(out, "utf8").trimEnd().split("\n");
  assert.equal(lines.length, EVENTS);
  const events = lines.map((l) => JSON.parse(l) as { seq: number; text: string | null; kind: string });
  assert.ok(events.every((e, i) => e.seq === i));
  assert.deepEqual(
    events.filter((e) => e.text === "<term not in the recording>").map((e) => e.seq),
    [],
    "every term is in the recording",
  );
  // Every 397th event, and every state event among the last ones (states are replayed from checkpoints).
  const sample = events.filter((e, i) => i % 397 === 0 || (i > EVENTS - 3000 && e.kind === "state"));
  assert.ok(sample.some((e) => e.kind === "state"));
  for (const e of sample) assert.equal(e.text, (await rec.event(e.seq)).text, `event #${e.seq}`);
});

test("perfetto: one JSON document with a slice for every call that returned", async () => {
  const out = join(dir, "trace.json");
  assert.equal(await exportRecording(rec, "perfetto", out), EVENTS);
  const trace = JSON.parse(readFileSync(out, "utf8")) as { traceEvents: { ph: string; name: string }[] };
  const slices = trace.traceEvents.filter((e) => e.ph === "X").length;
  const returned = await rec.sql("SELECT count(*) FROM calls WHERE outcome <> 0");
  assert.equal(slices, Number(returned.rows[0]![0]));
  assert.ok(trace.traceEvents.some((e) => e.ph === "M" && e.name === "thread_name"));
});
