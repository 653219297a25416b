// The collector's spool: frames come out in the order they went in, a spool can be read again from its start
// after the fact (what `elixirscope recover` does), and a spool past its limit is emptied once everything in
// it is stored, after which it says it can no longer rebuild the recording.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recoverRecording } from "./recover.js";
import { FrameSpool, recoverableBytes, SpoolKind } from "./spool.js";

function fresh(): { recording: string; spool: FrameSpool } {
  const recording = join(mkdtempSync(join(tmpdir(), "es-spool-")), "r.esrec");
  return { recording, spool: new FrameSpool(`${recording}.spool`) };
}

test("frames come out in order, and the file can be read again from its start", () => {
  const { recording, spool } = fresh();
  spool.push(SpoolKind.Hello, Buffer.from("hello"));
  for (let i = 0; i < 100; i++) spool.push(SpoolKind.Events, Buffer.from(`batch ${i}`));
  const taken: string[] = [];
  for (let item = spool.next(); item; item = spool.next()) taken.push(item.body.toString());
  assert.equal(taken.length, 101);
  assert.equal(taken[100], "batch 99");
  assert.ok(recoverableBytes(recording) > 0, "a spool that starts with the hello can rebuild the recording");
  spool.close();

  const again = new FrameSpool(`${recording}.spool`, true);
  const reread: string[] = [];
  for (let item = again.nextWhole(); item && item !== "truncated"; item = again.nextWhole()) {
    reread.push(item.body.toString());
  }
  assert.deepEqual(reread, taken);
  again.close();
});

test("a spool past its limit is emptied once all is taken out, and can no longer rebuild the recording", async () => {
  const { recording, spool } = fresh();
  spool.push(SpoolKind.Hello, Buffer.from("hello"));
  for (let i = 0; i < 50; i++) spool.push(SpoolKind.Events, Buffer.alloc(1000, i));
  assert.equal(spool.emptyIfPast(10_000), false, "not while frames wait");
  while (spool.next()) {
    // take everything out, as ingest does
  }
  assert.equal(spool.emptyIfPast(100_000), false, "not under the limit");
  assert.equal(spool.emptyIfPast(10_000), true);
  assert.ok(statSync(`${recording}.spool`).size < 100);
  assert.equal(recoverableBytes(recording), 0);
  // Frames after the emptying still come out in order.
  spool.push(SpoolKind.Events, Buffer.from("later"));
  assert.equal(spool.next()?.body.toString(), "later");
  spool.close();
  await assert.rejects(recoverRecording(recording), /was emptied once everything in it was stored/);
});

test("recover says what is wrong when there is no spool", async () => {
  const { recording, spool } = fresh();
  spool.remove();
  await assert.rejects(recoverRecording(recording), /nothing to recover .* there is no .*\.spool beside it/);
});
