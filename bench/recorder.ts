/**
 * What recording costs the recorded program, against what tracing itself costs the VM.
 *
 * Three workloads of the sample application (`SampleApp.Bench`: GenServer calls, small local calls, message
 * ping-pong), each timed by its own `:timer.tc` inside the VM (so VM start-up is excluded), median of REPS
 * runs in one VM, under four set-ups, each in a fresh `mix run` of bench/support/recorder_workload.exs:
 *
 * - untraced: no tracing at all;
 * - floor: the trace flags and patterns the agent sets for PLAN (checked: the script prints the patterns
 *   and flags in force, and they must be the recorder's), every trace message going to one process with an
 *   off-heap mailbox that only counts and discards it: the VM's own cost of tracing;
 * - dbg: the same flags and patterns through OTP's dbg with a file trace port, flushed and stopped after
 *   each run (the flush is not part of the workload's time; it is reported);
 * - record: `launchAndRecord` with PLAN, the workload's time from its own output; one session (one VM)
 *   per run, because load shedding turns a source off for the rest of a session and the next runs would
 *   trace less than the plan asks. The script first waits until the agent's watcher has set the patterns
 *   of the bench modules, which Mix loads lazily.
 *
 * The GenServer workload is recorded under the default plan (DEFAULT_PLAN: GenServer states from the sys
 * capture, no return tracing of GenServer callbacks; its floor and dbg set the same flags and patterns,
 * without the state capture, which has no counterpart in a plain trace), and once more with every callback's
 * return traced and no state capture (the default before), where each return event carries the server's
 * 100-key map. For the default plan there is also a floor with the agent's state capture (floor --state:
 * its sys debug function installed as the agent installs it, its es_state messages discarded too), which
 * splits record's cost into what capturing state costs the VM and what shipping and storing add. Then the
 * recorder alone:
 *
 * - throughput: `calls(N)` with only calls traced (two small events per iteration), the rate at which
 *   events reach Node and are decoded, from the first events frame to the last, against the rate at which
 *   the VM generates the same events into the floor's discarding process;
 * - flood: plans asking for more than the limits allow, checking that what the VM generated is accounted
 *   for (recorded + dropped) and that memory stays within the limit plus a stated margin.
 *
 * Those plans select calls only, so their runs preload the bench modules (`preload`, see preloadDir).
 * Other work on the machine makes every figure noisier: the last row says how busy it was before the start.
 *
 * Run: `node dist/bench/run.js recorder` (about two minutes on two cores); `ES_BENCH_ONLY=genserver,throughput`
 * runs only those parts.
 */
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EBIN_DIR } from "../src/agent/load.js";
import { compileSampleApp, SAMPLE_APP_DIR } from "../src/demo/sample-app.js";
import { parsePlan, type Plan } from "../src/plan/plan.js";
import type { CollectStats } from "../src/record/collect.js";
import { launchAndRecord } from "../src/record/launch.js";
import { mixEbin } from "../src/record/mix-project.js";
import type { BenchResult } from "./result.js";

const SCRIPT = fileURLToPath(new URL("../../bench/support/recorder_workload.exs", import.meta.url));

type Workload = "genserver" | "calls" | "pingpong";
/** What compare() records: PLAN, or the default plan for the GenServer workload. */
type Setup = { plan: object; floorArgs: string[]; label: string };
const WORKLOADS: Record<Workload, { n: number; what: string }> = {
  genserver: { n: 100_000, what: "GenServer calls, 8 clients" },
  calls: { n: 300_000, what: "local calls with small maps" },
  pingpong: { n: 200_000, what: "message ping-pong" },
};
const REPS = 3;

/**
 * The plan of the comparison: the default capture (calls without arguments, OTP callback returns, messages,
 * process events) minus GenServer state, which has no counterpart in a plain trace. The floor and dbg set
 * the same: `call` + `arity`, `send`, `receive`, `procs`, `monotonic_timestamp` on every process, a local
 * pattern on every function of SampleApp.Bench and the modules under it, `{exception_trace}` on the KV
 * server's gen_server callbacks, and the process events' patterns on the monitor BIFs (`erlang:monitor/2,3`,
 * `spawn_opt/4`, `demonitor/1,2`).
 */
const PLAN = {
  modules: { include: ["SampleApp.Bench.*"] },
  capture: {
    calls: true,
    args: false,
    callbackReturns: true,
    messages: true,
    state: false,
    processEvents: true,
  },
};

/**
 * The default plan's capture for the bench modules: calls without arguments, messages, process events,
 * GenServer and gen_statem states (sys), and the returns of callbacks other than GenServers'.
 */
const DEFAULT_PLAN = {
  modules: { include: ["SampleApp.Bench.*"] },
  capture: {
    calls: true,
    args: false,
    callbackReturns: "auto",
    messages: true,
    state: true,
    processEvents: true,
  },
};

const SETUPS: Record<Workload, Setup> = {
  genserver: { plan: DEFAULT_PLAN, floorArgs: ["--no-callback-returns"], label: "the default plan" },
  calls: { plan: PLAN, floorArgs: [], label: "" },
  pingpong: { plan: PLAN, floorArgs: [], label: "" },
};

const THROUGHPUT_N = 1_500_000;
const THROUGHPUT_PLAN = {
  modules: { include: ["SampleApp.Bench.*"] },
  capture: { args: false, callbackReturns: false, messages: false, state: false, processEvents: false },
};
const THROUGHPUT_TARGET = 1_000_000;

/** Flood 1: every call of the hot function with its arguments, 20,000 events/s allowed. */
const RATE_FLOOD_N = 1_000_000;
const RATE_FLOOD_PLAN = {
  functions: [{ mfa: "SampleApp.Bench.Calls.tally/2", args: true, returns: false }],
  capture: { messages: false, state: false, processEvents: false, callbackReturns: false },
  limits: { maxEventsPerSec: 20_000 },
};

/** Flood 2: the GenServer workload with every argument (the 100-key state included), small queue and memory. */
const MEMORY_FLOOD_N = 100_000;
const MEMORY_FLOOD_MB = 16;
const MEMORY_FLOOD_PLAN = {
  modules: { include: ["SampleApp.Bench.*"] },
  capture: { args: true, callbackReturns: true, messages: true, state: false, processEvents: true },
  limits: { maxQueue: 20_000, maxMemoryMb: MEMORY_FLOOD_MB },
};
/**
 * What the VM may hold beyond the tracer's own memory limit: the socket's queue, which the agent lets grow to
 * 16 MiB before it counts the collector as busy, and 16 MiB for the batch being encoded and allocator slack.
 */
const MEMORY_MARGIN_MB = 32;

const MB = 1024 * 1024;

interface ScriptOutput {
  /** Each run's time in microseconds, as the workload measured it. */
  runs: number[];
  /** Every other `TAG value` line, by tag, in order. */
  facts: Map<string, string[]>;
  text: string;
}

function parseOutput(text: string): ScriptOutput {
  const facts = new Map<string, string[]>();
  for (const m of text.matchAll(/^([A-Z]+) (.*)$/gm)) {
    const list = facts.get(m[1]!) ?? [];
    list.push(m[2]!);
    facts.set(m[1]!, list);
  }
  return { runs: (facts.get("RUN") ?? []).map(Number), facts, text };
}

function fact(out: ScriptOutput, tag: string): string {
  const v = out.facts.get(tag)?.[0];
  if (v === undefined) throw new Error(`the workload printed no ${tag} line:\n${out.text.slice(-3000)}`);
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** `mix run` of the workload script in the sample app, without the recorder (`agent`: its modules on the path). */
function mixRun(args: string[], agent = false): Promise<ScriptOutput> {
  const env = agent
    ? { ...process.env, ERL_AFLAGS: `${process.env.ERL_AFLAGS ?? ""} -pa ${EBIN_DIR}`.trim() }
    : process.env;
  return new Promise((resolve, reject) => {
    const child = spawn("mix", ["run", SCRIPT, ...args], {
      cwd: SAMPLE_APP_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr.on("data", (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0)
        reject(new Error(`mix run ${args.join(" ")} exited with ${code}:\n${text.slice(-3000)}`));
      else resolve(parseOutput(text));
    });
  });
}

interface Recorded extends ScriptOutput {
  stats: CollectStats;
  drops: number;
  /**
   * Events that arrived after the first events frame, the milliseconds from that frame to the last, and to
   * the recording finished (every event ingested: correlated and stored).
   */
  window: { events: number; ms: number; ingestedMs: number };
}

/**
 * A folder holding only the sample app's compiled modules named `Elixir.<prefix>*`, for `preload`: the agent
 * then finds them loaded when it starts. Without it, a plan that selects only calls is refused at start,
 * because the modules load later ("the plan records nothing"); with the whole of the app's ebin, as
 * `elixirscope record` passes, every module of the app is traced, whatever the plan selects.
 */
function preloadDir(prefix: string): string {
  const ebin = mixEbin(SAMPLE_APP_DIR, "sample_app", ["mix", "run"]);
  const dir = mkdtempSync(join(tmpdir(), "es-bench-preload-"));
  for (const f of readdirSync(ebin)) {
    if (f.startsWith(`Elixir.${prefix}`) && f.endsWith(".beam")) copyFileSync(join(ebin, f), join(dir, f));
  }
  return dir;
}

/** The workload script under `launchAndRecord` with `plan`, preloading the modules of `preload`. */
async function record(plan: Plan, args: string[], preload?: string): Promise<Recorded> {
  const dir = mkdtempSync(join(tmpdir(), "es-bench-recorder-"));
  const preloaded = preload === undefined ? [] : [preloadDir(preload)];
  let live: CollectStats | undefined;
  let seen = 0;
  let first = 0;
  let firstEvents = 0;
  let last = 0;
  // The collector hands its live counters to the progress listener; look at them every millisecond to
  // time the first and the last events frame.
  const look = () => {
    if (!live || live.events === seen) return;
    const now = performance.now();
    if (seen === 0) {
      first = now;
      firstEvents = live.events;
    }
    seen = live.events;
    last = now;
  };
  const poll = setInterval(look, 1);
  try {
    const result = await launchAndRecord({
      command: ["mix", "run", SCRIPT, ...args],
      plan,
      out: join(dir, "bench.esrec"),
      cwd: SAMPLE_APP_DIR,
      preload: preloaded,
      stdio: "pipe",
      onProgress: (s) => {
        live = s;
        look();
      },
    });
    if (result.exitCode !== 0 || !result.stats) {
      throw new Error(
        `recording ${args.join(" ")} failed (exit ${result.exitCode}, ${result.problem ?? "no problem reported"}):\n` +
          result.output.slice(-3000),
      );
    }
    const stats = result.stats;
    return {
      ...parseOutput(result.output),
      stats,
      drops: Object.values(stats.drops).reduce((a, b) => a + b, 0),
      window: { events: stats.events - firstEvents, ms: last - first, ingestedMs: performance.now() - first },
    };
  } finally {
    clearInterval(poll);
    for (const d of [dir, ...preloaded]) rmSync(d, { recursive: true, force: true });
  }
}

function dropText(drops: Record<string, number>, disabled: string[]): string {
  const reasons = Object.entries(drops).map(([k, v]) => `${v.toLocaleString("en-US")} ${k}`);
  const off = disabled.length > 0 ? `; turned off: ${disabled.join(", ")}` : "";
  return `${reasons.length === 0 ? "no drops" : `drops: ${reasons.join(", ")}`}${off}`;
}

/** What a set of recording sessions, one run of the workload each, recorded in all. */
interface Sessions {
  /** The first session's output (its PATTERNS and FLAGS lines). */
  first: Recorded;
  runs: number[];
  events: number;
  drops: Record<string, number>;
  dropped: number;
  disabled: string[];
}

/**
 * One recording session per run, so that load shedding in one run (which turns a source off for the rest
 * of its session) cannot make the next runs trace less than the plan asks.
 */
async function recordRuns(plan: Plan, w: Workload, n: number): Promise<Sessions> {
  const all: Recorded[] = [];
  for (let i = 0; i < REPS; i++) {
    all.push(await record(plan, ["plain", w, String(n), "1", "--wait", "all", "--report"]));
  }
  const drops: Record<string, number> = {};
  for (const r of all) for (const [k, v] of Object.entries(r.stats.drops)) drops[k] = (drops[k] ?? 0) + v;
  return {
    first: all[0]!,
    runs: all.flatMap((r) => r.runs),
    events: all.reduce((a, r) => a + r.stats.events, 0),
    drops,
    dropped: all.reduce((a, r) => a + r.drops, 0),
    disabled: all.flatMap((r, i) => r.stats.disabled.map((d) => `run ${i + 1}: ${d}`)),
  };
}

function ms(us: number): number {
  return us / 1000;
}

/** Throws unless the floor set exactly the patterns and process flags the recorder's agent set. */
function sameTrace(floor: ScriptOutput, rec: ScriptOutput): void {
  if (fact(floor, "PATTERNS") !== fact(rec, "PATTERNS") || fact(floor, "FLAGS") !== fact(rec, "FLAGS")) {
    throw new Error(
      `the floor does not trace what the recorder traces:\nfloor  ${fact(floor, "FLAGS")} ${fact(floor, "PATTERNS")}\n` +
        `record ${fact(rec, "FLAGS")} ${fact(rec, "PATTERNS")}`,
    );
  }
}

function runsText(xs: number[]): string {
  return `runs ${xs.map((x) => ms(x).toFixed(0)).join("/")} ms`;
}

async function compare(w: Workload): Promise<BenchResult[]> {
  const { n, what: work } = WORKLOADS[w];
  const { plan, floorArgs, label } = SETUPS[w];
  const what = label === "" ? work : `${work}, ${label}`;
  const common = [w, String(n), String(REPS)];
  step(`${w}: untraced`);
  const untraced = await mixRun(["plain", ...common]);
  step(`${w}: floor`);
  const floor = await mixRun(["floor", ...common, ...floorArgs, "--report"]);
  step(`${w}: dbg`);
  const dbg = await mixRun(["dbg", ...common, ...floorArgs]);
  const withState = w === "genserver";
  if (withState) step(`${w}: floor with the agent's state capture`);
  const floorState = withState ? await mixRun(["floor", ...common, ...floorArgs, "--state"], true) : null;
  step(`${w}: record`);
  const rec = await recordRuns(parsePlan(plan), w, n);
  sameTrace(floor, rec.first);
  const u = median(untraced.runs);
  const f = median(floor.runs);
  const d = median(dbg.runs);
  const r = median(rec.runs);
  const perRun = median((floor.facts.get("EVENTS") ?? []).map(Number));
  const flush = median((dbg.facts.get("FLUSH") ?? []).map(Number));
  const dbgBytes = median((dbg.facts.get("BYTES") ?? []).map(Number));
  const name = `${w}(${n.toLocaleString("en-US")}) ${what}`;
  const workloadSeconds = rec.runs.reduce((a, b) => a + b, 0) / 1e6;
  return [
    { name: `${name}: untraced`, value: ms(u), unit: "ms", note: `${runsText(untraced.runs)}` },
    {
      name: `${name}: floor (same trace, messages discarded in the VM)`,
      value: ms(f),
      unit: "ms",
      baseline: ms(u),
      ratio: f / u,
      note: `floor/untraced, lower is better; ${perRun.toLocaleString("en-US")} trace messages a run; ${runsText(floor.runs)}`,
    },
    {
      name: `${name}: dbg file trace port`,
      value: ms(d),
      unit: "ms",
      baseline: ms(f),
      ratio: d / f,
      note: `dbg/floor, lower is better; flush ${ms(flush).toFixed(1)} ms after the run, not counted; ${(dbgBytes / MB).toFixed(0)} MB file a run; ${runsText(dbg.runs)}`,
    },
    {
      name: `${name}: elixirscope record vs floor`,
      value: ms(r),
      unit: "ms",
      baseline: ms(f),
      ratio: r / f,
      note: `record/floor, lower is better, target <= 1.25; ${runsText(rec.runs)}`,
    },
    {
      name: `${name}: elixirscope record vs dbg`,
      value: ms(r),
      unit: "ms",
      baseline: ms(d),
      ratio: r / d,
      note: "record/dbg, lower is better, target < 1",
    },
    ...(floorState ? stateRows(name, floorState, f, r) : []),
    {
      name: `${name}: events recorded + dropped, ${REPS} sessions`,
      value: rec.events + rec.dropped,
      unit: "events",
      baseline: perRun * REPS,
      ratio: (rec.events + rec.dropped) / (perRun * REPS),
      note:
        `baseline: the floor's trace messages a run x ${REPS}, what the workload makes the VM generate (each VM's ` +
        `start-up adds a few thousand${w === "genserver" ? "; the recording also holds the sys capture's es_state events, about one a call, which the floor has no counterpart for" : ""}); recorded ${rec.events.toLocaleString("en-US")}, ${dropText(rec.drops, rec.disabled)}`,
    },
    {
      name: `${name}: events recorded per second of workload`,
      value: rec.events / workloadSeconds,
      unit: "events/s",
      note: `${rec.events.toLocaleString("en-US")} events over ${workloadSeconds.toFixed(2)} s of workload, all delivered and decoded`,
    },
  ];
}

/**
 * The floor plus the agent's own GenServer state capture (the sys debug function, its es_state messages
 * discarded with the trace messages): what capturing state costs the VM before anything is shipped, and
 * what the rest of the recorder (tracer, socket, Node) adds on top of that. Context for the strict row
 * against the plain floor, whose target it does not replace.
 */
function stateRows(name: string, floorState: ScriptOutput, f: number, r: number): BenchResult[] {
  const fs = median(floorState.runs);
  const messages = median((floorState.facts.get("EVENTS") ?? []).map(Number));
  return [
    {
      name: `${name}: floor with the agent's state capture`,
      value: ms(fs),
      unit: "ms",
      baseline: ms(f),
      ratio: fs / f,
      note: `(floor + sys state capture)/floor: the VM's cost of capturing state; ${messages.toLocaleString("en-US")} messages a run (trace + es_state); ${runsText(floorState.runs)}`,
    },
    {
      name: `${name}: elixirscope record vs floor with state capture`,
      value: ms(r),
      unit: "ms",
      baseline: ms(fs),
      ratio: r / fs,
      note: "record/(floor + state capture): what shipping, decoding and storing add; context only, the target is against the plain floor",
    },
  ];
}

/**
 * The GenServer workload again with every callback's return traced and no state capture (the default plan
 * before GenServer states came from sys): each `return_from handle_call/3` carries the server's 100-key map.
 */
async function genserverWithReturns(): Promise<BenchResult[]> {
  const { n } = WORKLOADS.genserver;
  const common = ["genserver", String(n), String(REPS)];
  step("genserver with callback returns: floor");
  const floor = await mixRun(["floor", ...common, "--report"]);
  step("genserver with callback returns: record");
  const rec = await recordRuns(parsePlan(PLAN), "genserver", n);
  sameTrace(floor, rec.first);
  const f = median(floor.runs);
  const r = median(rec.runs);
  const perRun = median((floor.facts.get("EVENTS") ?? []).map(Number));
  const name = `genserver(${n.toLocaleString("en-US")}) with callback returns, no state capture`;
  return [
    {
      name: `${name}: elixirscope record vs floor`,
      value: ms(r),
      unit: "ms",
      baseline: ms(f),
      ratio: r / f,
      note: `record/floor, lower is better, target <= 1.25; floor ${runsText(floor.runs)}; record ${runsText(rec.runs)}`,
    },
    {
      name: `${name}: events recorded + dropped, ${REPS} sessions`,
      value: rec.events + rec.dropped,
      unit: "events",
      baseline: perRun * REPS,
      ratio: (rec.events + rec.dropped) / (perRun * REPS),
      note: `baseline: the floor's ${perRun.toLocaleString("en-US")} trace messages a run x ${REPS}; recorded ${rec.events.toLocaleString("en-US")}, ${dropText(rec.drops, rec.disabled)}`,
    },
  ];
}

async function throughput(): Promise<BenchResult[]> {
  const args = ["calls", String(THROUGHPUT_N), "1"];
  const floor = await mixRun(["floor", ...args, "--no-messages", "--no-procs", "--no-callback-returns"]);
  const rec = await record(
    parsePlan(THROUGHPUT_PLAN),
    ["plain", ...args, "--wait", "all"],
    "SampleApp.Bench",
  );
  const floorRate = Number(fact(floor, "EVENTS")) / (floor.runs[0]! / 1e6);
  const rate = rec.window.events / (rec.window.ms / 1000);
  return [
    {
      name: `throughput: calls(${THROUGHPUT_N.toLocaleString("en-US")}), small call events delivered to the collector`,
      value: rate,
      unit: "events/s",
      baseline: floorRate,
      ratio: rate / floorRate,
      note:
        `baseline: the rate the VM generates them into a discarding process (floor); higher is better; ` +
        `target >= ${THROUGHPUT_TARGET.toLocaleString("en-US")} events/s; ${rec.stats.events.toLocaleString("en-US")} events in ` +
        `${(rec.window.ms / 1000).toFixed(2)} s from first to last frame; workload ${ms(rec.runs[0]!).toFixed(0)} ms ` +
        `(floor ${ms(floor.runs[0]!).toFixed(0)} ms); ${dropText(rec.stats.drops, rec.stats.disabled)}`,
    },
    {
      name: `throughput: the same events ingested (correlated and stored; a burst waits in the spool)`,
      value: rec.window.events / (rec.window.ingestedMs / 1000),
      unit: "events/s",
      baseline: rate,
      ratio: rec.window.events / (rec.window.ingestedMs / 1000) / rate,
      note: `from the first events frame to the recording finished: ${(rec.window.ingestedMs / 1000).toFixed(2)} s; baseline: the delivery rate above`,
    },
  ];
}

async function flood(): Promise<BenchResult[]> {
  const rate = await record(
    parsePlan(RATE_FLOOD_PLAN),
    ["plain", "calls", String(RATE_FLOOD_N), "1", "--wait", "tally", "--memory"],
    "SampleApp.Bench.Calls",
  );
  const memory = await record(parsePlan(MEMORY_FLOOD_PLAN), [
    "plain",
    "genserver",
    String(MEMORY_FLOOD_N),
    "1",
    "--wait",
    "all",
    "--memory",
  ]);
  const grown = (r: Recorded) => {
    const [base, peak] = fact(r, "MEMORY").split(" ").map(Number);
    return (peak! - base!) / MB;
  };
  const tracer = (r: Recorded) => {
    const [q, bytes] = fact(r, "TRACER").split(" ").map(Number);
    return `tracer mailbox peak ${q!.toLocaleString("en-US")}, tracer memory peak ${(bytes! / MB).toFixed(1)} MB (sampled)`;
  };
  const bound = MEMORY_FLOOD_MB + MEMORY_MARGIN_MB;
  const tracerMb = Number(fact(memory, "TRACER").split(" ")[1]) / MB;
  return [
    {
      name: `flood, ${RATE_FLOOD_PLAN.limits.maxEventsPerSec.toLocaleString("en-US")} events/s allowed: calls(${RATE_FLOOD_N.toLocaleString("en-US")}) with args, recorded + dropped`,
      value: rate.stats.events + rate.drops,
      unit: "events",
      baseline: RATE_FLOOD_N,
      ratio: (rate.stats.events + rate.drops) / RATE_FLOOD_N,
      note:
        `baseline: the calls the workload made, exactly; 1.00 is right; recorded ${rate.stats.events.toLocaleString("en-US")}, ` +
        `${dropText(rate.stats.drops, rate.stats.disabled)}; VM memory +${grown(rate).toFixed(1)} MB; ${tracer(rate)}; workload ${ms(rate.runs[0]!).toFixed(0)} ms`,
    },
    {
      name: `flood, maxQueue ${MEMORY_FLOOD_PLAN.limits.maxQueue.toLocaleString("en-US")} / maxMemoryMb ${MEMORY_FLOOD_MB}: genserver(${MEMORY_FLOOD_N.toLocaleString("en-US")}) with every argument, VM memory growth`,
      value: grown(memory),
      unit: "MB",
      baseline: bound,
      ratio: grown(memory) / bound,
      note:
        `baseline: maxMemoryMb + ${MEMORY_MARGIN_MB} MB margin (socket queue up to 16 MiB, encoding, slack); <= 1.00 is right; ` +
        `peak of erlang:memory(total) sampled every 2 ms minus its value before the run; ${tracer(memory)}; ` +
        `recorded ${memory.stats.events.toLocaleString("en-US")}, ${dropText(memory.stats.drops, memory.stats.disabled)}; workload ${ms(memory.runs[0]!).toFixed(0)} ms`,
    },
    {
      name: `flood, maxQueue ${MEMORY_FLOOD_PLAN.limits.maxQueue.toLocaleString("en-US")} / maxMemoryMb ${MEMORY_FLOOD_MB}: the tracer process's own memory, peak`,
      value: tracerMb,
      unit: "MB",
      baseline: MEMORY_FLOOD_MB,
      ratio: tracerMb / MEMORY_FLOOD_MB,
      note: "baseline: maxMemoryMb, the limit the agent applies to this process; <= 1.00 is right; sampled every 20 ms, so the true peak is at least this",
    },
  ];
}

/** The fraction of the machine's CPU time that was not idle during the next `ms` milliseconds. */
async function machineBusy(ms: number): Promise<number> {
  const total = () =>
    cpus().reduce(
      (acc, c) => {
        const t = c.times;
        return { idle: acc.idle + t.idle, all: acc.all + t.idle + t.user + t.nice + t.sys + t.irq };
      },
      { idle: 0, all: 0 },
    );
  const a = total();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = total();
  return 1 - (b.idle - a.idle) / Math.max(1, b.all - a.all);
}

/** Says on stderr what is being measured, with the time since the start. */
function step(what: string): void {
  process.stderr.write(`recorder bench: ${((performance.now() - started) / 1000).toFixed(0)} s: ${what}\n`);
}
let started = 0;

export async function run(): Promise<BenchResult[]> {
  started = performance.now();
  compileSampleApp();
  // The agent's modules as they are now, ahead of beam/ebin in the recorded VM's code path (ERL_ZFLAGS comes
  // after the recorder's ERL_AFLAGS, and a later -pa goes first): a rebuild of beam/ebin during the bench
  // cannot mix versions or leave a lazily loaded module missing.
  const ebin = mkdtempSync(join(tmpdir(), "es-bench-ebin-"));
  cpSync(EBIN_DIR, ebin, { recursive: true });
  const zflags = process.env["ERL_ZFLAGS"];
  process.env["ERL_ZFLAGS"] = [zflags, `-pa ${ebin}`].filter(Boolean).join(" ");
  try {
    const results: BenchResult[] = [];
    const busyBefore = await machineBusy(1000);
    // ES_BENCH_ONLY=genserver,throughput runs only those parts (genserver, calls, pingpong, returns,
    // throughput, flood): for quick comparisons while working on the recorder.
    const only = process.env["ES_BENCH_ONLY"]?.split(",");
    const wanted = (part: string) => only === undefined || only.includes(part);
    for (const w of Object.keys(WORKLOADS) as Workload[]) if (wanted(w)) results.push(...(await compare(w)));
    if (wanted("returns")) results.push(...(await genserverWithReturns()));
    step("throughput");
    if (wanted("throughput")) results.push(...(await throughput()));
    step("flood");
    if (wanted("flood")) results.push(...(await flood()));
    step("done");
    results.push({
      name: "machine: CPU busy in the second before the bench, all CPUs",
      value: busyBefore * 100,
      unit: "%",
      note: `${cpus().length} CPUs; anything above a few % is other work, which makes every figure noisier`,
    });
    return results;
  } finally {
    if (zflags === undefined) delete process.env["ERL_ZFLAGS"];
    else process.env["ERL_ZFLAGS"] = zflags;
    rmSync(ebin, { recursive: true, force: true });
  }
}
