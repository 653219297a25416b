// The call graph of a recording made with `capture.callers` and no return tracing: the VM names each call's
// caller, so the edges of the sample application's bank are all there (twenty transfer orders, the 7th and
// 14th refused: Teller.handle_info/2 calls Bank.transfer/3, which withdraws from one account and deposits
// into the next), and the receive loop's tail calls have no caller of their own.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordSampleApp } from "../../test/support/sample-recording.js";
import { parsePlan } from "../plan/plan.js";
import { openRecording, type Recording } from "./index.js";

const file = join(mkdtempSync(join(tmpdir(), "es-callers-")), "bank.esrec");
let rec: Recording;

before(async () => {
  await recordSampleApp(
    file,
    ["--loop-messages", "10"],
    parsePlan({ modules: { include: ["SampleApp.*"] }, capture: { callers: true, callbackReturns: false } }),
  );
  rec = await openRecording(file);
});

after(async () => {
  await rec?.close();
});

test("with callers, the call graph has every edge of the bank without return tracing", async () => {
  const edges = await rec.callGraph();
  const calls = (caller: string | null, callee: string) =>
    edges.find((e) => e.caller === caller && e.callee === callee)?.calls;
  assert.equal(calls("SampleApp.Bank.Teller.handle_info/2", "SampleApp.Bank.transfer/3"), 20);
  assert.equal(calls("SampleApp.Bank.transfer/3", "SampleApp.Bank.Account.withdraw/2"), 20);
  assert.equal(calls("SampleApp.Bank.transfer/3", "SampleApp.Bank.Account.deposit/2"), 18, "not the refused");
  // Callers the plan does not trace are named too: the behaviour calling its callback.
  assert.equal(calls(":gen_server.try_dispatch/4", "SampleApp.Bank.Teller.handle_info/2"), 20);
  // Nothing was timed: no function had return tracing.
  assert.ok(edges.every((e) => e.timed === 0));
  // loop/1 calls itself last: each call returns where the first would, never to loop/1.
  const loops = edges.filter((e) => e.callee === "SampleApp.Loop.loop/1");
  assert.ok(loops.length > 0);
  assert.ok(loops.every((e) => e.caller !== "SampleApp.Loop.loop/1"));
});

test("with callers, a call in a process's history says where it came from", async () => {
  const teller = await rec.resolveProcess("SampleApp.Bank.Teller");
  const page = await rec.history(teller.id, { kinds: ["call"], limit: 1000 });
  const transfer = page.items.find((e) => e.mfa === "SampleApp.Bank.transfer/3");
  assert.equal(transfer?.caller, "SampleApp.Bank.Teller.handle_info/2");
  assert.equal(transfer?.other, null);
});
