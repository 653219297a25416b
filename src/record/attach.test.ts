// `attach` on a running sample application: records the workload run while attached, then leaves the node
// exactly as it found it: no trace flags, no trace patterns, no sys debug functions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSampleApp } from "../demo/sample-app.js";
import { LocalNode } from "../dist/node.js";
import { rpc } from "../dist/rpc.js";
import { atom, ErlMap, Tuple, tuple, type Term } from "../etf/terms.js";
import { defaultPlan, loadPlanFile, parsePlan, PlanError } from "../plan/plan.js";
import { startNode } from "../../test/support/nodes.js";
import { formatTerm } from "../etf/index.js";
import { attachAndRecord } from "./attach.js";
import { countEvents } from "./events.js";
import { openRecording } from "../query/index.js";
import { totalDrops } from "./collect.js";

test("attach records a running node's workload and removes all its tracing when done", async () => {
  const app = await startSampleApp();
  const driver = await LocalNode.start({ cookie: app.cookie });
  try {
    const out = join(mkdtempSync(join(tmpdir(), "es-attach-")), "attach.esrec");
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const recording = attachAndRecord({
      node: app.node,
      cookie: app.cookie,
      plan: defaultPlan(),
      out,
      stop: stopped,
      onStarted: started,
    });
    await Promise.race([isStarted, recording]);
    const counts = (await rpc(driver, app.node, "Elixir.SampleApp.Workload", "run", [[]], 60_000)) as ErlMap;
    const expected = (k: string) => counts.get(atom(k)) as number;
    stop();
    const stats = await recording;
    assert.equal(totalDrops(stats), 0);
    assert.match(stats.ended, /the agent stopped/);

    const c = await countEvents(out);
    const n = (k: string) => c.get(k) ?? 0;
    assert.equal(n("call Elixir.SampleApp.Bank.Account.handle_call/3"), expected("account_calls"));
    // GenServer states and replies come from the sys capture, not from return tracing (see record.test.ts).
    assert.equal(n("return_from Elixir.SampleApp.Bank.Account.handle_call/3"), 0);
    // A snapshot of each account and its state after its calls (all of them, unless the machine was so busy
    // that the agent captured a new account a few calls late: see record.test.ts).
    assert.ok(n("es_state") > expected("accounts"), `${n("es_state")} states`);
    assert.equal(n("call Elixir.SampleApp.Bank.Teller.handle_info/2"), expected("transfers"));
    assert.equal(n("call Elixir.SampleApp.Worker.init/1"), expected("worker_restarts"));
    assert.equal(n("return_from Elixir.SampleApp.Loop.loop/1"), 0);
    // Processes registered before the attach are known by their names, and their messages are paired.
    const rec = await openRecording(out);
    try {
      const teller = await rec.resolveProcess("SampleApp.Bank.Teller");
      const transfers = await rec.messages(null, teller.id, { pattern: "{:transfer, _, _, _}", limit: 100 });
      assert.equal(transfers.items.length, expected("transfers"));
      for (const m of transfers.items) assert.equal(m.status, "received");

      // Processes started before the attach have their kinds from the hello, so the gen_statem's data, the
      // supervision tree and the worker's restart are what a recording from the start would show.
      const door = await rec.resolveProcess("SampleApp.Door");
      assert.equal(door.behaviour, "gen_statem");
      const doorStates = (await rec.states(door.id, { limit: 100 })).items;
      const wrong = doorStates.find((st) => /\{:unlock, "not 1234"\}/.test(st.trigger?.text ?? ""));
      assert.match(wrong?.text ?? "", /attempts: 1/, "a wrong code counts an attempt");
      const sup = await rec.resolveProcess("SampleApp.Worker.Supervisor");
      assert.equal(sup.behaviour, "supervisor");
      assert.equal((await rec.resolveProcess("SampleApp.Bank.Supervisor")).behaviour, "supervisor");
      const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason));
      assert.ok(crash, "the worker's crash");
      const all = await rec.processes();
      const crashed = all.find((p) => p.id === crash.proc)!;
      assert.equal(
        crashed.supervisor,
        sup.id,
        "the crashed worker, running before the attach, is supervised",
      );
      const restarted = all.find((p) => p.restartOf === crash.proc);
      assert.ok(restarted, "the worker's restart is known as one");
      assert.equal(restarted.supervisor, sup.id);
      assert.equal(crash.restartedAs, restarted.id);
    } finally {
      await rec.close();
    }

    // Nothing left behind on the node.
    const teller = await rpc(driver, app.node, "erlang", "whereis", [atom("Elixir.SampleApp.Bank.Teller")]);
    const left = async (args: Term[]) => rpc(driver, app.node, "erlang", "trace_info", args);
    assert.deepEqual(await left([teller, atom("flags")]), tuple(atom("flags"), []));
    assert.deepEqual(await left([atom("new"), atom("flags")]), tuple(atom("flags"), []));
    const pattern = (await left([
      tuple(atom("Elixir.SampleApp.Bank.Account"), atom("handle_call"), 3),
      atom("traced"),
    ])) as Tuple;
    assert.equal(String(pattern.at(1)), "false");
    const status = await rpc(driver, app.node, "sys", "get_status", [teller]);
    // The debug functions of sys:install/3 show in the status as {install, {Id, Fun}} entries.
    assert.match(formatTerm(status), /\{:status, #PID</);
    assert.doesNotMatch(formatTerm(status), /elixirscope_agent|:install/);
  } finally {
    await driver.stop();
    await app.stop();
  }
});

test("changing the plan file while attached switches the recording to it without stopping", async () => {
  const app = await startSampleApp();
  const driver = await LocalNode.start({ cookie: app.cookie });
  try {
    const dir = mkdtempSync(join(tmpdir(), "es-replan-"));
    const planFile = join(dir, "plan.json");
    writeFileSync(planFile, JSON.stringify({ modules: { include: ["SampleApp.Bank.*"] } }));
    const out = join(dir, "replan.esrec");
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const replans: (string | undefined)[] = [];
    const recording = attachAndRecord({
      node: app.node,
      cookie: app.cookie,
      plan: loadPlanFile(planFile),
      planFile,
      onReplan: (p) => replans.push(p),
      out,
      stop: stopped,
      onStarted: started,
    });
    await isStarted;
    const workload = () => rpc(driver, app.node, "Elixir.SampleApp.Workload", "run", [[]], 60_000);
    await workload();

    const waitForReplans = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (replans.length < n) {
        assert.ok(Date.now() < deadline, "the plan change was not picked up");
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    writeFileSync(
      planFile,
      JSON.stringify({ modules: { include: ["SampleApp.Bank.*"] }, limits: { maxQueue: -5 } }),
    );
    await waitForReplans(1);
    assert.match(replans[0]!, /limits\.maxQueue/);
    // A misspelt module is refused, and the previous plan stays.
    writeFileSync(planFile, JSON.stringify({ modules: { include: ["SampleApp.Bank.*", "SampleApp.Bnak"] } }));
    await waitForReplans(2);
    assert.match(
      replans[1]!,
      /modules\.include\[1\]: .* has no module SampleApp\.Bnak \(code:which\/1 finds none\)/,
    );
    // The loop's returns are asked for and refused (it calls itself in tail position): the recording says so.
    writeFileSync(
      planFile,
      JSON.stringify({
        modules: { include: ["SampleApp.Bank.*", "SampleApp.Loop"] },
        functions: [{ mfa: "SampleApp.Loop.loop/1", returns: true }],
      }),
    );
    await waitForReplans(3);
    assert.equal(replans[2], undefined);
    await workload();
    stop();
    const stats = await recording;
    assert.deepEqual(
      stats.skipped.filter((t) => /SampleApp\.Loop/.test(t)),
      [
        "the returns of SampleApp.Loop.loop/1: it can call itself in tail position (a loop): return tracing would grow its stack",
      ],
    );

    const c = await countEvents(out);
    assert.equal(c.get("call Elixir.SampleApp.Bank.Account.handle_call/3"), 2 * 43);
    assert.equal(c.get("call Elixir.SampleApp.Loop.add/2"), 1000); // the second run only
    assert.equal(c.get("call Elixir.SampleApp.Worker.handle_call/3"), undefined); // never selected
  } finally {
    await driver.stop();
    await app.stop();
  }
});

test("attach refuses a plan naming a module the node does not have, and leaves it as it was", async () => {
  const node = await startNode();
  try {
    const out = join(mkdtempSync(join(tmpdir(), "es-attach-")), "unknown.esrec");
    const plan = parsePlan({ modules: { include: [":lists"] }, functions: [{ mfa: ":no_such_mod.f/1" }] });
    await assert.rejects(
      attachAndRecord({
        node: node.name,
        cookie: node.cookie,
        plan,
        out,
        planFile: "p.json",
        durationMs: 3000,
      }),
      (err: Error) =>
        err instanceof PlanError &&
        err.message ===
          `p.json: functions[0].mfa: ${node.name} has no module :no_such_mod (code:which/1 finds none): check its spelling`,
    );
    assert.equal(existsSync(out), false);
  } finally {
    await node.stop();
  }
});
