// History and events as a reader takes them, on a real recording of the sample application's workload: a
// GenServer's state events read as its state after each (not as the changes the agent sent), and a reply sent to
// a caller's alias names the process that received it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordSampleWorkload } from "../demo/sample-app.js";
import { openRecording, type Recording } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "es-history-"));
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

test("an account's state events read as its state after each, as state --at gives it", async () => {
  const account = await rec.resolveProcess(":account_3");
  const events = (await rec.history(account.id, { kinds: ["state"], limit: 1000 })).items;
  // Opened with 100; each transfer it takes part in is a withdrawal or a deposit of 10 (one withdrawal of 1000
  // refused), then its balance is read: states after every call.
  assert.ok(events.length >= 9, `account_3 has ${events.length} state events`);
  for (const e of events) {
    assert.match(e.text!, /^%\{balance: \d+, history: \[.*\], id: 3\}$/, `#${e.seq}`);
    assert.equal(e.text, (await rec.stateAt(account.id, e.seq))!.text, `#${e.seq}`);
  }
  // The refused withdrawal changes nothing: its state is the one before.
  const refused = events.findIndex((e, i) => i > 0 && e.text === events[i - 1]!.text);
  assert.ok(refused > 0, "a call that changed nothing has the same state as the one before");
  // The same texts in the events of every process, in why's chain and in the term an event's expansion fetches.
  const all = (await rec.events({ procs: [account.id], kinds: ["state"], limit: 1000 })).items;
  assert.deepEqual(
    all.map((e) => e.text),
    events.map((e) => e.text),
  );
  const last = events[events.length - 1]!;
  assert.equal((await rec.why(last.seq))[0]!.text, `state ${last.text}`);
  assert.equal((await rec.term({ seq: last.seq, slot: "main" }))!.text, last.text);
});

test("a reply sent to the caller's alias names the process that received it", async () => {
  const account = await rec.resolveProcess(":account_3");
  const teller = await rec.resolveProcess("SampleApp.Bank.Teller");
  const replies = (await rec.history(account.id, { kinds: ["send"], limit: 1000 })).items.filter((e) =>
    /^\{\[:alias \| #Reference<[\d.]+>\], \{:(ok|error), /.test(e.text ?? ""),
  );
  // One reply per withdrawal and deposit the teller asked of it.
  assert.ok(replies.length >= 8, `account_3 sent ${replies.length} replies`);
  for (const e of replies) {
    assert.notEqual(e.link, null, `#${e.seq} was received`);
    assert.equal(e.other, teller.id, `#${e.seq} went to the teller`);
    assert.equal((await rec.event(e.link!)).proc, teller.id);
  }
});
