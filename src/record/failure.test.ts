// What happens when one side of a recording dies: the node survives a killed collector and is left with
// no tracing within a second, and `elixirscope recover` rebuilds the recording from everything the
// collector had received; a killed node leaves a readable recording whose summary says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSampleApp } from "../demo/sample-app.js";
import { LocalNode } from "../dist/node.js";
import { rpc } from "../dist/rpc.js";
import { atom, tuple, type Term } from "../etf/terms.js";
import { formatTerm } from "../etf/index.js";
import { defaultPlan } from "../plan/plan.js";
import { openRecording } from "../query/index.js";
import { K } from "../store/schema.js";
import { attachAndRecord } from "./attach.js";

const MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));

async function recordingInfo(file: string) {
  const rec = await openRecording(file);
  try {
    return rec.info();
  } finally {
    await rec.close();
  }
}

/** Calls of SampleApp.Loop.add/2 in the recording at `file`: one per message the workload's loop got. */
async function loopAdds(file: string): Promise<number> {
  const rec = await openRecording(file);
  try {
    const r = await rec.sql(
      `SELECT count(*) FROM events e JOIN mfas m ON e.mfa = m.id WHERE e.kind = ${K.call} AND m.name LIKE '%Loop.add/2'`,
    );
    return Number(r.rows[0]![0]);
  } finally {
    await rec.close();
  }
}

test("killing the collector leaves the node running and untraced within a second; recover rebuilds the recording", async () => {
  const app = await startSampleApp();
  const driver = await LocalNode.start({ cookie: app.cookie });
  try {
    const out = join(mkdtempSync(join(tmpdir(), "es-kill-")), "killed.esrec");
    const collector = spawn(
      process.execPath,
      [MAIN, "attach", "--node", app.node, "--cookie", app.cookie, "--out", out],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    collector.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!err.includes("Ctrl-C stops")) {
      assert.ok(Date.now() < deadline && collector.exitCode === null, `attach did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const LOOP = 30_000;
    const workload = [tuple(atom("loop_messages"), LOOP)];
    await rpc(driver, app.node, "Elixir.SampleApp.Workload", "run", [workload], 60_000);
    // Long enough for the agent to have sent everything, not for the collector to have stored it all.
    await new Promise((r) => setTimeout(r, 300));
    collector.kill("SIGKILL");
    const killedAt = Date.now();

    const info = (args: Term[]) => rpc(driver, app.node, "erlang", "trace_info", args);
    const pattern = tuple(atom("Elixir.SampleApp.Bank.Account"), atom("handle_call"), 3);
    for (;;) {
      const flags = formatTerm(await info([atom("new"), atom("flags")]));
      const traced = formatTerm(await info([pattern, atom("traced")]));
      if (flags === "{:flags, []}" && traced === "{:traced, false}") break;
      assert.ok(Date.now() - killedAt < 1000, "tracing still set a second after the collector died");
      await new Promise((r) => setTimeout(r, 20));
    }
    // The node goes on working.
    const counts = await rpc(driver, app.node, "Elixir.SampleApp.Workload", "run", [[]], 60_000);
    assert.ok(counts instanceof Object);
    // The recording opens with the batches flushed before the kill, and says it was cut off.
    const cut = await recordingInfo(out);
    assert.ok(cut.events > 0);
    assert.equal(cut.complete, false);
    assert.ok(
      existsSync(`${out}.spool`),
      "the frames the collector had received are left beside the recording",
    );
    const cutAdds = await loopAdds(out);

    // The CLI says what to do, and recover rebuilds the recording from all that had been received.
    const said = execFileSync(process.execPath, [MAIN, "query", out, "info"], { encoding: "utf8" });
    assert.match(said, new RegExp(`elixirscope recover ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    const recovered = execFileSync(process.execPath, [MAIN, "recover", out], { encoding: "utf8" });
    assert.match(recovered, /rebuilt from the [\d,]+ batches the recorder had received/);
    const after = await recordingInfo(out);
    assert.ok(after.events >= cut.events, `${after.events} events after recovery, ${cut.events} before`);
    assert.ok(after.recovered !== null);
    assert.equal(existsSync(`${out}.spool`), false);
    assert.equal(
      await loopAdds(out),
      LOOP,
      `the loop got ${LOOP} messages; ${cutAdds} were stored before recovery`,
    );
    // A second recover has nothing left to do, and says so.
    const again = spawnSync(process.execPath, [MAIN, "recover", out], { encoding: "utf8" });
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /nothing to recover/);
  } finally {
    await driver.stop();
    await app.stop();
  }
});

test("killing the node leaves a readable recording whose summary says the node went down", async () => {
  const app = await startSampleApp();
  const driver = await LocalNode.start({ cookie: app.cookie });
  try {
    const out = join(mkdtempSync(join(tmpdir(), "es-kill-")), "node-died.esrec");
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    const recording = attachAndRecord({
      node: app.node,
      cookie: app.cookie,
      plan: defaultPlan(),
      out,
      onStarted: started,
    });
    await isStarted;
    await rpc(driver, app.node, "Elixir.SampleApp.Workload", "run", [[]], 60_000);
    await new Promise((r) => setTimeout(r, 200));
    app.child.kill("SIGKILL");
    const stats = await recording;
    assert.match(stats.ended, /the node went down/);
    assert.ok(stats.events > 0);
    const info = await recordingInfo(out);
    assert.match(String(info.ended), /node went down/);
    assert.ok(info.events > 0 && info.events <= stats.events);
  } finally {
    await driver.stop();
    await app.stop();
  }
});
