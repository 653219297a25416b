// The data and call-graph views on a real recording of the sample application's bank (examples/sample_app),
// checked against what the workload did: twenty transfer orders of which the 7th and 14th are refused, each
// a Teller.handle_info/2 calling Bank.transfer/3, which withdraws from one account and deposits into the
// next.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { recordSampleApp } from "../../test/support/sample-recording.js";
import { decode } from "../etf/decode.js";
import { parsePlan } from "../plan/plan.js";
import { findIn } from "./dataflow.js";
import { parsePattern } from "./pattern.js";
import { openRecording, type Recording } from "./index.js";

const MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const file = join(mkdtempSync(join(tmpdir(), "es-flow-")), "bank.esrec");
let rec: Recording;

before(async () => {
  const timed = (mfa: string) => ({ mfa, args: true, returns: true });
  await recordSampleApp(
    file,
    ["--loop-messages", "10"],
    parsePlan({
      modules: { include: ["SampleApp.*"] },
      functions: [
        timed("SampleApp.Bank.Teller.handle_info/2"),
        timed("SampleApp.Bank.transfer/3"),
        timed("SampleApp.Bank.Account.withdraw/2"),
        timed("SampleApp.Bank.Account.deposit/2"),
      ],
    }),
  );
  rec = await openRecording(file);
});

after(async () => {
  await rec?.close();
});

test("the call graph: who called whom, how often, for how long", async () => {
  const edges = await rec.callGraph();
  const edge = (caller: string, callee: string) =>
    edges.find((e) => e.caller === caller && e.callee === callee);
  const orders = edge("SampleApp.Bank.Teller.handle_info/2", "SampleApp.Bank.transfer/3");
  assert.equal(orders?.calls, 20, "each transfer order");
  assert.equal(orders?.timed, 20);
  assert.ok(orders.totalNs! > 0 && orders.selfNs! >= 0 && orders.selfNs! <= orders.totalNs!);
  assert.equal(edge("SampleApp.Bank.transfer/3", "SampleApp.Bank.Account.withdraw/2")?.calls, 20);
  assert.equal(
    edge("SampleApp.Bank.transfer/3", "SampleApp.Bank.Account.deposit/2")?.calls,
    18,
    "not the refused",
  );
  // Without return tracing a caller's end is unknown, so its callees have no known caller.
  const loop = edges.find((e) => e.callee === "SampleApp.Loop.add/2");
  assert.equal(loop?.caller, null);
  // The Teller's process alone: only its edges.
  const teller = await rec.resolveProcess("SampleApp.Bank.Teller");
  const own = await rec.callGraph({ proc: teller.id });
  assert.ok(own.length > 0);
  assert.ok(own.every((e) => e.callee !== "SampleApp.Loop.add/2"));
});

test("flow: the amount a deposit carried comes from the withdrawal and the transfer order before it", async () => {
  const teller = await rec.resolveProcess("SampleApp.Bank.Teller");
  const deposits = await rec.messages(null, null, {
    pattern: '{:"$gen_call", _, {:deposit, _}}',
    limit: 100,
  });
  assert.equal(deposits.items.length, 18);
  const last = deposits.items[deposits.items.length - 1]!;
  const page = await rec.origins(last.receiveSeq!, { pattern: "10", limit: 12 });
  assert.equal(page.items.length, 12);
  assert.notEqual(page.next, null, "there is more further back");
  assert.ok(
    page.items.every((o, i) => i === 0 || o.seq < page.items[i - 1]!.seq),
    "newest first",
  );
  assert.ok(
    page.items.every((o) => o.seq < last.receiveSeq!),
    "only earlier events",
  );
  // Its own send first, with where the amount is in the message; then the call that sent it.
  assert.equal(page.items[0]!.seq, last.sendSeq);
  assert.equal(page.items[0]!.path, "{3}{2}");
  assert.equal(page.items[1]!.mfa, "SampleApp.Bank.Account.deposit/2");
  assert.equal(page.items[1]!.path, "[1]", "the second argument");
  // The withdrawal of the same amount for the same order, and the order itself as Bank.transfer/3 got it.
  const withdrawal = page.items.find((o) => o.kind === "send" && /:withdraw, 10\}\}$/.test(o.text ?? ""));
  assert.ok(withdrawal, "the withdrawal's call message");
  const transfer = page.items.find((o) => o.mfa === "SampleApp.Bank.transfer/3" && o.kind === "call");
  assert.ok(transfer && transfer.seq < withdrawal.seq);
  assert.equal(transfer.path, "[2]");
  // Further back, by pattern: the order as the Teller received it, the whole message matching.
  const orders = await rec.origins(last.receiveSeq!, { pattern: "{:transfer, _, _, 10}", limit: 100 });
  const received = orders.items.filter((o) => o.kind === "receive" && o.proc === teller.id);
  assert.equal(received.length, 18, "the Teller received the 18 orders of 10");
  assert.ok(received.every((o) => o.path === ""));
  // A large integer is looked for in the terms' bytes first: the two refused orders of 1,000.
  const big = await rec.origins(last.receiveSeq!, { pattern: "1000", limit: 200 });
  const refused = big.items.filter((o) => o.kind === "receive" && o.proc === teller.id);
  assert.deepEqual(
    refused.map((o) => [o.text, o.path]),
    [
      ["{:transfer, 5, 1, 1000}", "{4}"],
      ["{:transfer, 3, 4, 1000}", "{4}"],
    ],
  );
  // By default, the message itself: only its send carried that very term (its call reference is unique).
  const own = await rec.origins(last.receiveSeq!);
  assert.deepEqual(
    own.items.map((o) => o.seq),
    [last.sendSeq],
  );
});

test("flow finds exactly the events a decoding of every earlier event's term finds", async () => {
  // DuckDB picks the terms holding the value's bytes first (pattern-bytes.ts): checked against all of them.
  const all = await rec.sql(
    "SELECT e.seq, t.etf FROM events e JOIN terms t ON t.id = e.term ORDER BY e.seq DESC",
  );
  const terms = all.rows.map(([seq, etf]) => ({ seq: Number(seq), term: decode(etf as Uint8Array) }));
  const last = rec.info().events - 1;
  const node = rec.info().node;
  for (const text of ["{:transfer, _, _, 10}", "1000", "%{balance: _}", "{:ok, _}", ":normal", "{_, _}"]) {
    const pattern = parsePattern(text);
    const expected = terms
      .filter((t) => t.seq < last && findIn(pattern, t.term, node) !== undefined)
      .map((t) => t.seq);
    const got = await rec.origins(last, { pattern: text, limit: 10_000 });
    assert.deepEqual(
      got.items.map((o) => o.seq),
      expected.slice(0, 10_000),
      text,
    );
    assert.ok(expected.length > 0 || text === ":normal", `${text} is in the recording`);
  }
});

test("flow on the command line, and its errors", async () => {
  const deposits = await rec.messages(null, null, { pattern: '{:"$gen_call", _, {:deposit, _}}', limit: 1 });
  const seq = deposits.items[0]!.receiveSeq!;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, "query", file, ...args], { encoding: "utf8" });
  const ok = run("flow", `#${seq}`, "{:transfer, _, _, _}");
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /SampleApp\.Bank\.Teller {2}receive {2}\{:transfer, \d, \d, 10\}/);
  assert.match(ok.stdout, /call SampleApp\.Bank\.Teller\.handle_info\/2 .* at \[0\]$/m);
  const graph = run("callgraph", "--limit", "3");
  assert.equal(graph.status, 0, graph.stderr);
  assert.match(graph.stdout, / -> .* calls/);
  const bad = run("flow", `#${seq}`, "{:transfer,");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /the value to look for/);
  const none = run("flow", "#999999999");
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /there is no event #999999999/);
});
