// ElixirScope as a Mix dependency (beam/mix.exs, elixirscope_app): a copy of the sample application with
// `{:elixirscope, path: <repo>/beam}` in its deps and the collector in its config connects to `listen` and is
// recorded from its first call; with no collector listening it starts and runs as usual.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SAMPLE_APP_DIR } from "../demo/sample-app.js";
import { EBIN_DIR } from "../agent/load.js";
import { encode } from "../etf/index.js";
import { planToTerm } from "../capture/plan-term.js";
import { agentPlanOf, selectionTerm } from "../plan/agent-terms.js";
import { defaultPlan } from "../plan/plan.js";
import { countEvents } from "./events.js";
import { listenAndRecord } from "./listen.js";
import { openRecording } from "../query/index.js";

const BEAM_DIR = fileURLToPath(new URL("../../../beam", import.meta.url));
const TOKEN = "dev-secret";
const dir = mkdtempSync(join(tmpdir(), "es-dependency-"));
const project = join(dir, "sample_app");

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs `mix run -e Code` in the project with the collector at `port`; resolves with its status and output. */
function mixRun(
  code: string,
  port: number,
): Promise<{ status: number | null; output: string; exitedAt: number }> {
  const child = spawn("mix", ["run", "-e", code], {
    cwd: project,
    env: { ...process.env, MIX_ENV: "dev", ES_TEST_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.once("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, output, exitedAt: Date.now() });
    }),
  );
}

before(() => {
  cpSync(SAMPLE_APP_DIR, project, {
    recursive: true,
    filter: (src) => !/[/\\](_build|deps)$/.test(src),
  });
  const mixExs = join(project, "mix.exs");
  const text = readFileSync(mixExs, "utf8");
  assert.match(text, /deps: \[\]/);
  writeFileSync(
    mixExs,
    text.replace("deps: []", `deps: [{:elixirscope, path: ${JSON.stringify(BEAM_DIR)}, only: :dev}]`),
  );
  writeFileSync(
    join(project, "config", "config.exs"),
    readFileSync(join(project, "config", "config.exs"), "utf8") +
      `
config :elixirscope,
  collector: {"127.0.0.1", String.to_integer(System.fetch_env!("ES_TEST_PORT"))},
  token: ${JSON.stringify(TOKEN)},
  applications: [:sample_app],
  retry_seconds: 2
`,
  );
  const r = spawnSync("mix", ["compile"], {
    cwd: project,
    env: { ...process.env, MIX_ENV: "dev", ES_TEST_PORT: "1" },
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test("the dependency's default plan and selection are the recorder's default plan", () => {
  const file = join(dir, "ts-default.etf");
  const plan = defaultPlan(["sample_app"]);
  writeFileSync(file, encode([planToTerm(agentPlanOf(plan)), selectionTerm(plan)]));
  const r = spawnSync(
    "erl",
    [
      "-noshell",
      "-pa",
      EBIN_DIR,
      "-eval",
      `{ok, B} = file:read_file("${file}"), [P, S] = binary_to_term(B),
       io:format("~p ~p", [P =:= elixirscope_app:default_plan(), S =:= elixirscope_app:default_selection([sample_app])]),
       halt().`,
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  assert.equal(r.stdout, "true true", r.stderr);
});

test("an application with the dependency is recorded by listen from its first call, until it stops", async () => {
  const port = await freePort();
  const out = join(dir, "dependency.esrec");
  let connected = "";
  const recording = listenAndRecord({ port, token: TOKEN, out, onStarted: (node) => (connected = node) });
  let recordedAt = 0;
  void recording.then(() => (recordedAt = Date.now()));
  // Stopping the application stops the session, well before the VM ends.
  const run = await mixRun(
    "SampleApp.Workload.run(); Application.stop(:elixirscope); IO.puts(:app_stopped); Process.sleep(1500)",
    port,
  );
  const stats = await recording;
  assert.equal(run.status, 0, run.output);
  assert.match(
    run.output,
    /elixirscope: connected to the collector at 127\.0\.0\.1:\d+, recording sample_app/,
  );
  assert.match(run.output, /app_stopped/);
  assert.ok(stats, "an agent connected");
  assert.equal(connected, "nonode@nohost");
  assert.match(stats.ended, /the agent stopped/);
  assert.deepEqual(stats.drops, {});
  assert.ok(recordedAt > 0 && recordedAt < run.exitedAt - 500, "the session ended with the application");

  const c = await countEvents(out);
  const n = (k: string) => c.get(k) ?? 0;
  assert.equal(n("call Elixir.SampleApp.Application.start/2"), 1);
  assert.equal(n("call Elixir.SampleApp.Bank.Account.handle_call/3"), 43);
  assert.equal(n("return_from Elixir.SampleApp.Bank.Account.handle_call/3"), 0);
  // A snapshot of each of the 5 accounts and a state per call; on a loaded machine an account can handle a
  // call or two before its capture reaches it (docs/agent-protocol.md, "Processes started while recording").
  assert.ok(n("es_state") >= 43 + 5 - 2 * 5, `${n("es_state")} states`);
  assert.equal(n("call Elixir.SampleApp.Worker.init/1"), 2);
  assert.equal(n("return_from Elixir.SampleApp.Loop.loop/1"), 0);
  // The dependency's own processes (elixirscope_app, its connection attempt) are not in the recording.
  const rec = await openRecording(out);
  try {
    const crashes = (await rec.crashes()).map((c) => c.reason);
    assert.deepEqual(
      crashes.filter((r) => /attempt/.test(r)),
      [],
    );
    const procs = await rec.processes();
    assert.deepEqual(
      procs.filter((p) => /elixirscope/.test(p.name ?? "")).map((p) => p.name),
      [],
    );
  } finally {
    await rec.close();
  }
});

test("with no collector listening the application starts and runs as usual, and gives up with one line", async () => {
  const port = await freePort();
  const started = Date.now();
  const run = await mixRun(
    'IO.puts("account_calls=#{SampleApp.Workload.run()[:account_calls]}"); Process.sleep(3000)',
    port,
  );
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /account_calls=43/);
  const giveUps = run.output.match(/elixirscope: no collector at 127\.0\.0\.1:\d+ accepted this node/g) ?? [];
  assert.equal(giveUps.length, 1, run.output);
  assert.doesNotMatch(run.output, /elixirscope: connected/);
  assert.ok(Date.now() - started < 20_000);
});

test("a collector that refuses the token is logged as a refusal with what to do, never as recording", async () => {
  const port = await freePort();
  const rejected: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const recording = listenAndRecord({
    port,
    token: "not-the-app-token",
    out: join(dir, "refused.esrec"),
    stop: stopped,
    onRejected: (why) => rejected.push(why),
  });
  const run = await mixRun(
    'IO.puts("account_calls=#{SampleApp.Workload.run()[:account_calls]}"); Process.sleep(1000)',
    port,
  );
  stop();
  assert.equal(await recording, undefined, "nothing was recorded");
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /account_calls=43/);
  assert.match(
    run.output,
    /elixirscope: the collector at 127\.0\.0\.1:\d+ refused this node \(the hello carries a wrong token\); not recording\. Set config :elixirscope, token: to the token given to elixirscope listen --token/,
  );
  assert.doesNotMatch(run.output, /elixirscope: connected/);
  assert.deepEqual(rejected, ["the hello carries a wrong token"], "tried once, not again and again");
});
