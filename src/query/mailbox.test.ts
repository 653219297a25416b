// Mailboxes on a real recording of the sample application's workload: a supervisor's recorded init/1 return is
// no GenServer state, so its mailbox is not "everything it ever received".
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordSampleWorkload } from "../demo/sample-app.js";
import { openRecording, type Recording } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "es-mailbox-"));
const file = join(dir, "workload.esrec");
let rec: Recording;

before(async () => {
  const r = await recordSampleWorkload(file);
  assert.equal(r.exitCode, 0, r.output);
  rec = await openRecording(file);
});

after(async () => {
  await rec?.close();
});

test("a supervisor's mailbox holds what came since it last acted, not the acks and exits it took long ago", async () => {
  const sup = await rec.resolveProcess("SampleApp.Worker.Supervisor");
  assert.equal(sup.behaviour, "supervisor");
  // Its init/1's return is recorded (a traced callback's), as its one state.
  assert.equal((await rec.states(sup.id)).items.length, 1);
  const end = rec.info().events - 1;
  const box = await rec.mailbox(sup.id, end);
  assert.equal(box.basis, "since_last_action");
  // It started the worker (its :ack), took the crashed worker's :EXIT, answered the client's count_children and
  // started the new worker (another :ack), then replied: nothing it received is left after that.
  assert.deepEqual(
    box.messages.map((m) => m.text),
    [],
  );
  // Just after the crashed worker's exit signal arrived, that is what it had received since it last acted.
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  const exit = (await rec.history(sup.id, { kinds: ["receive"], after: crash.seq, limit: 1 })).items[0]!;
  assert.match(exit.text!, /^\{:EXIT, #PID<[\d.]+>, \{%ArgumentError/);
  const then = await rec.mailbox(sup.id, exit.seq);
  assert.deepEqual(
    then.messages.map((m) => m.receiveSeq),
    [exit.seq],
  );
});
