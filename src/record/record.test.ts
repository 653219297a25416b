// `elixirscope record -- mix run ...` on the sample application: the recording holds exactly what the
// workload did, and the receive loop is never return-traced.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSampleApp, SAMPLE_APP_DIR } from "../demo/sample-app.js";
import { countEvents } from "./events.js";
import { openRecording } from "../query/index.js";
import { launchAndRecord } from "./launch.js";
import { defaultPlan } from "../plan/plan.js";

const MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));

/** `elixirscope record [options] --out OUT -- COMMAND` in the sample app, as a user runs it. */
function recordSample(out: string, command: string[], options: string[] = []) {
  return spawnSync(process.execPath, [MAIN, "record", ...options, "--out", out, "--", ...command], {
    cwd: SAMPLE_APP_DIR,
    encoding: "utf8",
    timeout: 120_000,
  });
}

/** The `name: count` lines the workload prints. */
function workloadCounts(stdout: string): Record<string, number> {
  return Object.fromEntries([...stdout.matchAll(/^ {2}(\w+): (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

test("recording the sample workload captures exactly what it did", async () => {
  compileSampleApp();
  const out = join(mkdtempSync(join(tmpdir(), "es-record-")), "workload.esrec");
  const r = recordSample(out, ["mix", "run", "run_workload.exs"]);
  assert.equal(r.status, 0, r.stderr);
  const expected = workloadCounts(r.stdout);
  assert.equal(expected["account_calls"], 43, r.stdout);
  assert.match(r.stderr, /Recorded [\d,]+ events in [\d.]+ s into .*workload\.esrec/);
  assert.match(r.stderr, /No event was dropped\./);

  const c = await countEvents(out);
  const n = (k: string) => c.get(k) ?? 0;
  const A = "Elixir.SampleApp.";
  assert.equal(n(`call ${A}Bank.Account.handle_call/3`), expected["account_calls"]);
  // GenServer callbacks are not return-traced by default: their states and replies come from sys.
  assert.equal(n(`return_from ${A}Bank.Account.handle_call/3`), 0);
  assert.equal(n(`call ${A}Bank.Teller.handle_info/2`), expected["transfers"]);
  assert.equal(n(`call ${A}Bank.transfer/3`), expected["transfers"]);
  assert.equal(n(`call ${A}Worker.handle_call/3`), expected["worker_calls"]);
  assert.equal(n(`call ${A}Worker.init/1`), 1 + expected["worker_restarts"]!);
  assert.equal(n(`call ${A}Bank.Account.init/1`), expected["accounts"]);
  // GenServers started during the recording: a snapshot, then one state change per callback with the call
  // that triggered it and the reply (the exact capture from init/1 on is checked by the agent's tests, on a
  // GenServer started while recording; here, on a loaded machine, the debug function can come a few calls
  // late), and the balances every account ends with.
  const rec = await openRecording(out);
  try {
    const accounts = (await rec.processes()).filter((p) => p.initialCall === "SampleApp.Bank.Account.init/1");
    assert.equal(accounts.length, expected["accounts"]);
    let changes = 0;
    const finals: string[] = [];
    for (const account of accounts) {
      const page = await rec.states(account.id, { limit: 1000 });
      assert.equal(page.items.filter((s) => s.trigger === null).length, 1, "one snapshot");
      const rest = page.items.filter((s) => s.trigger !== null);
      for (const s of rest) {
        assert.match(s.trigger!.text, /^\{:"\$gen_call", /);
        assert.notEqual(s.reply, null);
      }
      changes += rest.length;
      const last = page.items[page.items.length - 1]!.text;
      finals.push(`${/id: (\d+)/.exec(last)![1]}:${/balance: (\d+)/.exec(last)![1]}`);
    }
    assert.ok(changes > 0 && changes <= expected["account_calls"]!, `${changes} state changes`);
    // 20 transfers around the ring of 5 accounts, the 7th and 14th refused (see SampleApp.Workload).
    assert.deepEqual(finals.sort(), ["1:90", "2:100", "3:110", "4:90", "5:110"]);
    // The crash: the worker exits with the ArgumentError, and its supervisor starts a new one.
    const crashes = (await rec.crashes()).filter((c) => /ArgumentError/.test(c.reason));
    assert.equal(crashes.length, expected["worker_crashes"]);
    assert.notEqual(crashes[0]!.restartedAs, null);
    // Messages: every transfer message was sent and received.
    const transfers = await rec.messages(null, null, { pattern: "{:transfer, _, _, _}", limit: 1000 });
    assert.equal(transfers.items.length, expected["transfers"]);
    for (const m of transfers.items) assert.equal(m.status, "received");
    // Times count from the start of the recording: no event comes before it.
    const early = await rec.sql("SELECT count(*) FROM events WHERE ns < 0");
    assert.equal(Number(early.rows[0]![0]), 0, "events before the recording's start");
  } finally {
    await rec.close();
  }
  assert.equal(n(`call ${A}Chain.relay/1`), expected["chain_length"]);
  assert.equal(n(`call ${A}Loop.add/2`), expected["loop_messages"]);
  assert.equal(n(`call ${A}Loop.loop/1`), expected["loop_messages"]! + 2);
  // The gen_statem: each state function call returns the transition it made.
  const doorEvents = n(`return_from ${A}Door.locked/3`) + n(`return_from ${A}Door.open/3`);
  assert.equal(doorEvents, expected["door_events"]);
  // The tail-call rule: the receive loop gets no return tracing.
  assert.equal(n(`return_from ${A}Loop.loop/1`), 0);
});

test("record passes the command's exit status through and says when nothing could be recorded", () => {
  const out = join(mkdtempSync(join(tmpdir(), "es-record-")), "x.esrec");
  const failing = spawnSync(
    process.execPath,
    [MAIN, "record", "--out", out, "--", "erl", "-noshell", "-eval", "halt(3)."],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  assert.equal(failing.status, 3, failing.stderr);
  const missing = spawnSync(process.execPath, [MAIN, "record", "--out", out, "--", "no-such-command-xyz"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /cannot run 'no-such-command-xyz': command not found/);
});

test("record --plan traces what the plan selects, not the whole project", async () => {
  const dir = mkdtempSync(join(tmpdir(), "es-record-"));
  const plan = join(dir, "plan.json");
  writeFileSync(plan, JSON.stringify({ modules: { include: ["SampleApp.Bank.*"] } }));
  const out = join(dir, "bank.esrec");
  const r = recordSample(out, ["mix", "run", "run_workload.exs"], ["--plan", plan]);
  assert.equal(r.status, 0, r.stderr);
  const c = await countEvents(out);
  assert.equal(c.get("call Elixir.SampleApp.Bank.Account.handle_call/3"), 43);
  assert.equal(c.get("call Elixir.SampleApp.Bank.transfer/3"), 20);
  const outside = [...c.keys()].filter((k) => k.startsWith("call ") && !k.includes("SampleApp.Bank"));
  assert.deepEqual(outside, []);
});

test("return tracing refused on a loop is reported in the summary and in the recording's info", async () => {
  const dir = mkdtempSync(join(tmpdir(), "es-record-"));
  const plan = join(dir, "plan.json");
  writeFileSync(plan, JSON.stringify({ functions: [{ mfa: "SampleApp.Loop.loop/1", returns: true }] }));
  const out = join(dir, "loop.esrec");
  const r = recordSample(out, ["mix", "run", "run_workload.exs"], ["--plan", plan]);
  assert.equal(r.status, 0, r.stderr);
  const refused =
    /Not recorded: the returns of SampleApp\.Loop\.loop\/1: it can call itself in tail position \(a loop\)/;
  assert.match(r.stderr, refused);
  const c = await countEvents(out);
  assert.ok((c.get("call Elixir.SampleApp.Loop.loop/1") ?? 0) > 0);
  assert.equal(c.get("return_from Elixir.SampleApp.Loop.loop/1") ?? 0, 0);
  const info = spawnSync(process.execPath, [MAIN, "query", out, "info"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, refused);
  assert.equal(info.stdout.match(/Not recorded/g)?.length, 1, info.stdout);
});

test("record --plan with a plan that names no code records the project's application, and says so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "es-record-"));
  const plan = join(dir, "callers.json");
  writeFileSync(plan, JSON.stringify({ capture: { callers: true } }));
  const out = join(dir, "callers.esrec");
  const r = recordSample(out, ["mix", "run", "run_workload.exs"], ["--plan", plan]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    /callers\.json names no modules or functions: recording the calls of the Mix project's application sample_app/,
  );
  const c = await countEvents(out);
  assert.equal(c.get("call Elixir.SampleApp.Bank.Account.handle_call/3"), 43);
  const graph = spawnSync(process.execPath, [MAIN, "query", out, "callgraph"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(graph.status, 0, graph.stderr);
  assert.doesNotMatch(graph.stdout, /No call was recorded/);
  assert.match(graph.stdout, /SampleApp\.Bank\.transfer\/3/);
});

test("the recorder's own processes and messages are not in the recording", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "es-record-")), "own.esrec");
  const r = recordSample(out, ["mix", "run", "run_workload.exs"]);
  assert.equal(r.status, 0, r.stderr);
  const rec = await openRecording(out);
  try {
    const procs = await rec.processes();
    assert.deepEqual(
      procs.filter((p) => /elixirscope/.test(p.name ?? "")).map((p) => p.name),
      [],
      "the agent's named processes",
    );
    // The agent's helpers (the boot watcher, the sys requests of the state capture) were processes of one
    // event, their spawn.
    const lone = procs.filter((p) => p.events === 1 && /erlang\.apply\/2/.test(p.initialCall ?? ""));
    assert.deepEqual(
      lone.map((p) => p.pid),
      [],
    );
    // The sys requests that install the state capture, and their answers.
    const sys = await rec.messages(null, null, { pattern: "{:system, _, _}", limit: 100 });
    assert.deepEqual(
      sys.items.map((m) => m.text),
      [],
    );
    const answers = await rec.messages(null, null, { pattern: "{{:elixirscope_agent, _}, _}", limit: 100 });
    assert.equal(answers.items.length, 0);
    const worker = await rec.messages(null, null, { pattern: "{:system, _, {:debug, _}}", limit: 100 });
    assert.equal(worker.items.length, 0);
  } finally {
    await rec.close();
  }
  const hint = spawnSync(process.execPath, [MAIN, "query", out, "messages", "NoSuchProcess"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const named = /its named processes are (.*) \(see/.exec(hint.stderr)?.[1];
  assert.ok(named, hint.stderr);
  assert.doesNotMatch(named, /elixirscope/);
});

test("code that traces fails under the recorder, and the summary and info say why", async () => {
  // The sample app's own test of its counts traces the workload with erlang:trace/3: on OTP 25 a process has
  // one tracer, the recorder's.
  const out = join(mkdtempSync(join(tmpdir(), "es-record-")), "tracing.esrec");
  const r = recordSample(out, ["mix", "test", "test/sample_app/workload_trace_test.exs"]);
  assert.notEqual(r.status, 0, "the test fails under the recorder");
  assert.match(r.stdout + r.stderr, /invalid spec for pid or port/);
  const conflict =
    /Tracing conflict: #PID<[\d.]+> called :erlang\.trace\/3 on :all with a tracer of its own, which the VM refused for the processes this recording traces: on OTP 25 and 26 a process has one tracer/;
  assert.match(r.stderr, conflict);
  const info = spawnSync(process.execPath, [MAIN, "query", out, "info"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.match(info.stdout, conflict);
});

test("a recording file that cannot be created is the problem told, and the agent is stopped", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "es-record-")), "missing", "x.esrec");
  const r = await launchAndRecord({
    command: ["erl", "-noshell", "-eval", "timer:sleep(300), halt(5)."],
    plan: defaultPlan(),
    out,
    stdio: "pipe",
  });
  assert.equal(r.exitCode, 5);
  assert.equal(r.stats, undefined);
  assert.match(r.problem ?? "", /^cannot create the recording .*missing\/x\.esrec: /);
});
