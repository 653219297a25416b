// The in-VM recording agent against a real node: exact event counts for known workloads, GenServer states,
// term cutting, floods, and cleanup however a session ends.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decode } from "../etf/decode.js";
import { encode } from "../etf/encode.js";
import { formatTerm } from "../etf/format.js";
import {
  atom,
  binary,
  ErlMap,
  isAtom,
  mapOf,
  Pid,
  type Term,
  Tuple,
  tuple,
  termEquals,
} from "../etf/terms.js";
import { LocalNode } from "../dist/node.js";
import { rpc } from "../dist/rpc.js";
import { startNode, type TestNode } from "../../test/support/nodes.js";
import type { AgentFrame } from "./agent-frames.js";
import { type AgentSession, listenForAgent, type SessionEnd } from "./agent-socket.js";
import { packet } from "./packet-reader.js";
import { type AgentPlan, agentConfigTerm, planToTerm } from "./plan-term.js";
import { AgentStartError, loadAgent, startRecording } from "./remote.js";
import { bootConfigTerm } from "../plan/agent-terms.js";
import { parsePlan } from "../plan/plan.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const EBIN = join(ROOT, "beam", "ebin");
const FIX = "es_fixture";
/** Limits that never drop, for exact counts. */
const ROOMY = { maxEventsPerSec: 100_000_000, maxQueue: 10_000_000, maxMemoryBytes: 4 * 1024 ** 3 };

interface Recording {
  events: Term[];
  /** Events received (all of them, also when not kept). */
  count: number;
  frames: AgentFrame[];
  drops: Map<string, number>;
  end: SessionEnd;
  firstEventAt: number;
  lastEventAt: number;
}

function kind(e: Term): string {
  if (!(e instanceof Tuple)) return "?";
  if (isAtom(e.at(0), "es_state")) return "es_state";
  return String(e.at(2));
}

function mfaOf(e: Tuple): string {
  const mfa = e.at(3) as Tuple;
  const a = mfa.at(2);
  return `${String(mfa.at(0))}:${String(mfa.at(1))}/${Array.isArray(a) ? a.length : String(a)}`;
}

function calls(r: Recording, mfa: string): Tuple[] {
  return r.events.filter((e): e is Tuple => kind(e) === "call" && mfaOf(e as Tuple) === mfa);
}

function ofKind(r: Recording, k: string): Tuple[] {
  return r.events.filter((e): e is Tuple => kind(e) === k);
}

function totalDrops(r: Recording): number {
  return [...r.drops.values()].reduce((a, b) => a + b, 0);
}

function same(a: Term, b: Term): boolean {
  return termEquals(a, b);
}

/** Reads every frame of a session until it ends. */
async function collect(
  session: AgentSession,
  onFrame?: (f: AgentFrame) => void,
  keep = true,
): Promise<Recording> {
  const r: Recording = {
    events: [],
    count: 0,
    frames: [],
    drops: new Map(),
    end: { reason: "closed" },
    firstEventAt: 0,
    lastEventAt: 0,
  };
  for await (const frame of session.frames()) {
    onFrame?.(frame);
    if (frame.type === "events") {
      if (r.firstEventAt === 0) r.firstEventAt = performance.now();
      r.lastEventAt = performance.now();
      r.count += frame.events.length;
      if (keep) for (const e of frame.events) r.events.push(e);
    } else {
      r.frames.push(frame);
      if (frame.type === "drops") r.drops.set(frame.reason, (r.drops.get(frame.reason) ?? 0) + frame.count);
    }
  }
  r.end = await session.closed;
  return r;
}

function statsOf(r: Recording): ErlMap {
  assert.equal(r.end.reason, "stopped", `session ended with ${JSON.stringify(r.end)}`);
  return (r.end as { stats: Term }).stats as ErlMap;
}

describe("the recording agent on a real node", () => {
  let peer: TestNode;
  let node: LocalNode;
  let fixtureDir: string;

  const call = (module: string, fun: string, args: Term[] = [], timeoutMs = 60_000) =>
    rpc(node, peer.name, module, fun, args, timeoutMs);

  async function record(plan: AgentPlan, work: () => Promise<unknown>, keep = true): Promise<Recording> {
    const session = await startRecording(node, peer.name, { plan, load: false });
    const recording = collect(session, undefined, keep);
    await work();
    await session.stop();
    return recording;
  }

  async function leftovers(mfas: Term[], pids: Term[]): Promise<ErlMap> {
    return (await call(FIX, "leftovers", [mfas, pids])) as ErlMap;
  }

  function clean(left: ErlMap): boolean {
    const empty = (k: string) => {
      const v = left.get(atom(k));
      return Array.isArray(v) && v.length === 0;
    };
    return (
      empty("flags") &&
      empty("functions") &&
      empty("debug") &&
      empty("new") &&
      isAtom(left.get(atom("send"))!, "true")
    );
  }

  /** Polls until nothing is left; returns how long that took in ms. */
  async function cleanWithin(ms: number, mfas: Term[], pids: Term[]): Promise<number> {
    const started = performance.now();
    let left = await leftovers(mfas, pids);
    while (!clean(left) && performance.now() - started < ms) {
      await new Promise((r) => setTimeout(r, 20));
      left = await leftovers(mfas, pids);
    }
    assert.ok(clean(left), `left after ${ms} ms: ${formatTerm(left, { syntax: "erlang", limit: 2000 })}`);
    return performance.now() - started;
  }

  before(async () => {
    fixtureDir = mkdtempSync(join(tmpdir(), "es-agent-"));
    for (const m of [FIX, "es_fixture_sm", "es_fixture_app", "es_fixture_reload", "es_fixture_monitors"]) {
      execFileSync("erlc", ["-o", fixtureDir, join(ROOT, "test", "support", `${m}.erl`)]);
    }
    peer = await startNode({ extraArgs: ["-pa", EBIN, "-pa", fixtureDir] });
    node = await LocalNode.start({ cookie: peer.cookie });
    await loadAgent(node, peer.name);
  });

  after(async () => {
    await node.stop();
    await peer.stop();
    rmSync(fixtureDir, { recursive: true, force: true });
  });

  test("calls come with their arguments and returns with their values, exactly once each", async () => {
    const expected = (await call(FIX, "fib_calls", [12])) as number;
    const r = await record(
      { functions: [{ module: FIX, function: "fib", arity: 1, args: true, return: true }], processes: "new" },
      () => call(FIX, "fib", [12]),
    );
    const fibCalls = calls(r, "es_fixture:fib/1");
    const returns = ofKind(r, "return_from");
    assert.equal(fibCalls.length, expected);
    assert.equal(returns.length, expected);
    assert.ok(same((fibCalls[0]!.at(3) as Tuple).at(2), [12]));
    assert.equal(returns.at(-1)!.at(4), 144);
    assert.equal(r.events.length, 2 * expected);
    assert.equal(totalDrops(r), 0);
    const stats = statsOf(r);
    assert.equal(stats.get(atom("delivered")), 2 * expected);
    assert.ok(isAtom((r.end as { agentReason: Term }).agentReason, "collector_stop"));
  });

  test("with callers, every call event names the function the call returns to", async () => {
    const r = await record(
      {
        functions: [{ module: FIX, function: "fib", arity: 1, args: false, return: false }],
        processes: "new",
        callers: true,
      },
      () => call(FIX, "fib", [6]),
    );
    const fibCalls = calls(r, "es_fixture:fib/1");
    assert.equal(fibCalls.length, (await call(FIX, "fib_calls", [6])) as number);
    const callers = fibCalls.map((e) => formatTerm(e.at(4) as Term, { syntax: "erlang" }));
    // The first call comes from the RPC that ran it; each later one from fib/1 itself (not a tail call).
    assert.notEqual(callers[0], "{es_fixture,fib,1}");
    assert.deepEqual(new Set(callers.slice(1)), new Set(["{es_fixture,fib,1}"]));
  });

  test("messages sent and received are recorded on both sides", async () => {
    const r = await record({ processes: "new", messages: true }, () => call(FIX, "pingpong", [100]));
    const tagged = (events: Tuple[], tag: string, at: number) =>
      events.filter((e) => e.at(at) instanceof Tuple && isAtom((e.at(at) as Tuple).at(0), tag));
    assert.equal(tagged(ofKind(r, "send"), "ping", 3).length, 100);
    assert.equal(tagged(ofKind(r, "receive"), "ping", 3).length, 100);
    assert.equal(tagged(ofKind(r, "send"), "pong", 3).length, 100);
    assert.equal(tagged(ofKind(r, "receive"), "pong", 3).length, 100);
    assert.equal(totalDrops(r), 0);
  });

  test("spawns and exits are recorded with their reasons", async () => {
    const r = await record({ processes: "new", processEvents: true }, () => call(FIX, "spawn_exit", [5]));
    const exits = ofKind(r, "exit").filter(
      (e) => e.at(3) instanceof Tuple && isAtom((e.at(3) as Tuple).at(0), "done"),
    );
    assert.deepEqual(exits.map((e) => (e.at(3) as Tuple).at(1)).sort(), [1, 2, 3, 4, 5]);
    const exited = new Set(exits.map((e) => String(e.at(1))));
    const spawns = ofKind(r, "spawn").filter((e) => exited.has(String(e.at(3))));
    const spawned = ofKind(r, "spawned").filter((e) => exited.has(String(e.at(1))));
    assert.equal(spawns.length, 5);
    assert.equal(spawned.length, 5);
  });

  test("monitors: made and taken back, with their references; gen calls' alias monitors are left out", async () => {
    let result!: ErlMap;
    const r = await record({ processes: "new", processEvents: true, messages: true }, async () => {
      result = (await call("es_fixture_monitors", "run")) as ErlMap;
    });
    const get = (k: string) => result.get(atom(k))!;
    const watcher = String(get("watcher"));
    const mine = r.events.filter((e): e is Tuple => e instanceof Tuple && String(e.at(1)) === watcher);
    const bifs = mine
      .filter((e) => ["call", "return_from"].includes(kind(e)) && isAtom((e.at(3) as Tuple).at(0), "erlang"))
      .map((e) => `${kind(e)} ${mfaOf(e)} ${formatTerm(e.at(4)!, { syntax: "erlang" })}`);
    const show = (t: Term) => formatTerm(t, { syntax: "erlang" });
    assert.deepEqual(bifs, [
      `call erlang:monitor/2 [process,${show(get("a"))}]`,
      `return_from erlang:monitor/2 ${show(get("ra"))}`,
      `call erlang:monitor/2 [process,es_fixture_monitors_b]`,
      `return_from erlang:monitor/2 ${show(get("rb"))}`,
      `call erlang:spawn_opt/4 [erlang,apply,[${show(((mine.find((e) => kind(e) === "spawn")!.at(4) as Tuple).at(2) as Term[])[0]!)},[]],[monitor]]`,
      `return_from erlang:spawn_opt/4 {${show(get("child"))},${show(get("rc"))}}`,
      `call erlang:demonitor/1 [${show(get("rb"))}]`,
      // gen_server:call's alias monitor is not traced, its demonitor is.
      ...mine
        .filter((e) => kind(e) === "call" && mfaOf(e) === "erlang:demonitor/2")
        .map((e) => `call erlang:demonitor/2 ${show(e.at(4)!)}`),
    ]);
    assert.equal(mine.filter((e) => kind(e) === "call" && mfaOf(e) === "erlang:demonitor/2").length, 1);
    const downs = mine.filter(
      (e) => kind(e) === "receive" && e.at(3) instanceof Tuple && isAtom((e.at(3) as Tuple).at(0), "DOWN"),
    );
    // Three: the monitor of a, the alias monitor of a (a DOWN all the same), the child's.
    assert.equal(downs.length, 3);
    assert.equal(totalDrops(r), 0);
    const bifMfas = [
      ["monitor", 2],
      ["monitor", 3],
      ["spawn_opt", 4],
      ["demonitor", 1],
      ["demonitor", 2],
    ].map(([f, a]) => tuple(atom("erlang"), atom(f as string), a as number));
    assert.ok(clean(await leftovers(bifMfas, [])));
  });

  test("the hello lists the monitors the traced processes held when recording began", async () => {
    const held = (await call("es_fixture_monitors", "hold")) as Tuple;
    const session = await startRecording(node, peer.name, {
      plan: { processes: "all", processEvents: true },
      load: false,
    });
    const recording = collect(session);
    const monitors = session.info.raw.get(atom("monitors")) as Term[];
    await session.stop();
    await recording;
    await call("erlang", "send", [held.at(0)!, atom("stop")]);
    assert.ok(
      monitors.some((m) => same(m, held)),
      `${formatTerm(held)} not in ${formatTerm(monitors)}`,
    );
  });

  test("a GenServer's state: a snapshot, then only what changed", async () => {
    await call(FIX, "start_counter", [atom("es_ctr")]);
    const r = await record({ state: ["es_ctr"] }, async () => {
      await call(FIX, "bump", [atom("es_ctr"), atom("a")]);
      await call(FIX, "bump", [atom("es_ctr"), atom("a")]);
      await call(FIX, "read", [atom("es_ctr")]);
      await call(FIX, "forget", [atom("es_ctr"), atom("a")]);
      await call(FIX, "read", [atom("es_ctr")]);
    });
    const states = ofKind(r, "es_state");
    const show = (t: Term) => formatTerm(t, { syntax: "erlang" });
    assert.deepEqual(
      states.map((s) => [show(s.at(4)), show(s.at(5))]),
      [
        ["none", "#{count => 0,name => es_ctr}"],
        ["1", "#{a => 1,count => 0,name => es_ctr}"],
        ["2", "{changed,#{a => 2},[]}"],
        ["#{a => 2,count => 0,name => es_ctr}", "unchanged"],
        ["none", "{changed,#{},[a]}"],
        ["#{count => 0,name => es_ctr}", "unchanged"],
      ].map(([reply, after]) => [reply, after]),
    );
    assert.ok(isAtom(states[0]!.at(3), "snapshot"));
    const trigger = states[1]!.at(3) as Tuple;
    assert.ok(isAtom(trigger.at(0), "in"));
    assert.ok(same(((trigger.at(1) as Tuple).at(2) as Tuple).elements[0]!, atom("bump")));
    const pid = (await call("erlang", "whereis", [atom("es_ctr")])) as Pid;
    assert.ok(clean(await leftovers([], [pid])));
  });

  test("a map state's change is exact whether the keys the agent guesses changed or others did", async () => {
    const mismatches = (await call(FIX, "diff_mismatches", [new Tuple([1, 2, 3]), 20_000])) as Term[];
    assert.deepEqual(
      mismatches.map((m) => formatTerm(m, { syntax: "erlang" })),
      [],
      "changes that do not turn the old map into the new one",
    );
  });

  test("a gen_statem's state: the snapshot has the data, the changes the state names", async () => {
    await call("es_fixture_sm", "start", [atom("es_sm")]);
    const r = await record({ state: ["es_sm"] }, async () => {
      await call("es_fixture_sm", "toggle", [atom("es_sm")]);
      await call("es_fixture_sm", "poke", [atom("es_sm")]);
      await call("es_fixture_sm", "toggle", [atom("es_sm")]);
    });
    const show = (t: Term) => formatTerm(t, { syntax: "erlang" });
    assert.deepEqual(
      ofKind(r, "es_state").map((s) => [show(s.at(4)), show(s.at(5))]),
      [
        ["none", "{idle,0}"],
        ["busy", "{state_name,busy}"],
        ["2", "{state_name,busy}"],
        ["idle", "{state_name,idle}"],
      ],
    );
  });

  test("a gen_statem's state changes each carry their own event: a postponed one retried, an inserted one", async () => {
    await call("es_fixture_sm", "start", [atom("es_sm_events")]);
    let r: Recording;
    try {
      r = await record({ state: ["es_sm_events"] }, async () => {
        await call("es_fixture_sm", "toggle", [atom("es_sm_events")]);
        // `wait`, postponed while busy, then retried once `toggle` makes it idle: sys gives the retry no `in`.
        await call("es_fixture_sm", "toggle_and_wait", [atom("es_sm_events")]);
        // A poke that inserts a second one (`next_event`), whose `in` comes before the first one's `consume`.
        await call("es_fixture_sm", "poke_twice", [atom("es_sm_events")]);
      });
    } finally {
      await call("gen_statem", "stop", [atom("es_sm_events")]);
    }
    const show = (t: Term) =>
      formatTerm(t, { syntax: "erlang" }).replace(
        /\{call,\{<[^>]*>,(#Ref<[^>]*>|\[alias\|[^\]]*\])\}\}/g,
        "call",
      );
    assert.deepEqual(
      ofKind(r, "es_state").map((s) => [show(s.at(3)), show(s.at(4)), show(s.at(5))]),
      [
        ["snapshot", "none", "{idle,0}"],
        ["{in,{call,toggle}}", "busy", "{state_name,busy}"],
        ["{in,{call,wait}}", "none", "{state_name,busy}"],
        ["{in,{call,toggle}}", "idle", "{state_name,idle}"],
        ["{in,{call,wait}}", "2", "{state_name,idle}"],
        ["{in,{call,poke_twice}}", "3", "{state_name,idle}"],
        ["{in,{internal,poke}}", "none", "{state_name,idle}"],
      ],
    );
  });

  test("state: all captures user GenServers and gen_statems, not OTP's own processes", async () => {
    const ctr = (await call("erlang", "whereis", [atom("es_ctr")])) as Pid;
    const sm = (await call("erlang", "whereis", [atom("es_sm")])) as Pid;
    const session = await startRecording(node, peer.name, { load: false, plan: { state: "all" } });
    const recording = collect(session);
    const applied = session.info.applied as ErlMap;
    const captured = applied.get(atom("state")) as Pid[];
    await session.stop();
    await recording;
    assert.deepEqual(captured.map(String).sort(), [ctr, sm].map(String).sort());
  });

  test("state: all captures a GenServer started while recording: init/1's state, then each call with its message and reply", async () => {
    const initIt = tuple(atom("gen_server"), atom("init_it"), 6);
    const statemInitIt = tuple(atom("gen_statem"), atom("init_it"), 6);
    let fresh: Pid | undefined;
    let sm: Pid | undefined;
    const r = await record({ state: "all" }, async () => {
      fresh = (await call(FIX, "start_counter", [atom("es_fresh")])) as Pid;
      await call(FIX, "bump", [atom("es_fresh"), atom("a")]);
      await call(FIX, "read", [atom("es_fresh")]);
      await call(FIX, "forget", [atom("es_fresh"), atom("a")]);
      await call(FIX, "read", [atom("es_fresh")]);
      sm = (await call("es_fixture_sm", "start", [atom("es_fresh_sm")])) as Pid;
      await call("es_fixture_sm", "toggle", [atom("es_fresh_sm")]);
    });
    const show = (t: Term) => formatTerm(t, { syntax: "erlang" });
    const of = (p: Pid | undefined) => ofKind(r, "es_state").filter((s) => same(s.at(1), p!));
    const states = of(fresh);
    assert.deepEqual(
      states.map((s) => [
        show(s.at(3)).replace(/<[^>]*>|#Ref<[^>]*>|\[alias\|[^\]]*\]/g, "X"),
        show(s.at(4)),
        show(s.at(5)),
      ]),
      [
        ["snapshot", "none", "#{count => 0,name => es_fresh}"],
        ["{in,{'$gen_call',{X,X},{bump,a}}}", "1", "#{a => 1,count => 0,name => es_fresh}"],
        ["{in,{'$gen_call',{X,X},read}}", "#{a => 1,count => 0,name => es_fresh}", "unchanged"],
        ["{in,{'$gen_cast',{forget,a}}}", "none", "{changed,#{},[a]}"],
        ["{in,{'$gen_call',{X,X},read}}", "#{count => 0,name => es_fresh}", "unchanged"],
      ],
    );
    assert.deepEqual(
      of(sm).map((s) => [show(s.at(4)), show(s.at(5))]),
      [
        ["none", "{idle,0}"],
        ["busy", "{state_name,busy}"],
      ],
    );
    // Nothing is left: not the meta patterns that watched the starts, not the debug functions.
    assert.ok(clean(await leftovers([initIt, statemInitIt], [fresh!, sm!])));
    await call("gen_server", "stop", [fresh!]);
    await call("gen_statem", "stop", [sm!]);
  });

  test("state: all captures a GenServer within a call or two of its start while the guard is busy applying a plan change", async () => {
    // Every function of these: a plan change that keeps the guard busy for tens of milliseconds.
    const busyModules = [
      ...["lists", "maps", "string", "unicode", "io_lib", "io_lib_format", "ets", "sets", "erl_eval"],
      ...["erl_scan", "erl_parse", "erl_lint", "epp", "erl_pp", "beam_lib", "calendar", "filename", "re"],
      ...["binary", "queue", "gb_trees", "gb_sets", "dict", "orddict", "proplists", "digraph", "sofs"],
    ];
    const plan = (extra: Term[]) =>
      mapOf({
        state: atom("all"),
        processes: atom("new"),
        functions: [
          mapOf({
            module: atom(FIX),
            function: atom("tiny"),
            arity: 1,
            args: atom("false"),
            return: atom("false"),
          }),
          ...extra,
        ],
      });
    const everyFunction = busyModules.map((m) =>
      mapOf({
        module: atom(m),
        function: atom("_"),
        arity: atom("_"),
        args: atom("false"),
        return: atom("false"),
      }),
    );
    const session = await startRecording(node, peer.name, {
      load: false,
      plan: {
        state: "all",
        processes: "new",
        functions: [{ module: FIX, function: "tiny", arity: 1, args: false, return: false }],
      },
    });
    const recording = collect(session);
    const BUMPS = 20;
    const result = (await call(FIX, "start_counter_during_replan", [
      session.info.session,
      plan(everyFunction),
      atom("es_busy"),
      BUMPS,
    ])) as Tuple;
    await session.stop();
    const r = await recording;
    assert.equal(formatTerm(result.at(2), { syntax: "erlang" }), "ok");
    assert.ok(isAtom(result.at(3), "busy"), "the counter started before the guard got to the plan change");
    const replanMs = (result.at(1) as number) / 1000;
    assert.ok(replanMs > BUMPS, `the plan change took ${replanMs} ms: too short to span the ${BUMPS} calls`);
    // The capture starts with a snapshot of the state it finds (bump k has made a => k), then every call
    // after it, exactly. A new process can handle a call or two before its capture request reaches it
    // (docs/agent-protocol.md); the guard being busy must not make that the whole plan change.
    const show = (t: Term) => formatTerm(t, { syntax: "erlang" });
    const states = ofKind(r, "es_state").filter((s) => same(s.at(1), result.at(0)!));
    const shown = states.map((s) => [show(s.at(4)), show(s.at(5))]);
    const first = shown[0]?.[1] ?? "";
    const k = first === "#{count => 0,name => es_busy}" ? 0 : Number(/a => (\d+)/.exec(first)?.[1] ?? NaN);
    assert.ok(
      k <= 2,
      `captured from call ${k} of ${BUMPS} (${replanMs} ms plan change): ${JSON.stringify(shown[0])}`,
    );
    const expected = [["none", first]];
    // The first change after a snapshot is sent whole, the others as what changed.
    for (let i = k + 1; i <= BUMPS; i++) {
      expected.push([
        String(i),
        i === k + 1 ? `#{a => ${i},count => 0,name => es_busy}` : `{changed,#{a => ${i}},[]}`,
      ]);
    }
    assert.deepEqual(shown, expected);
  });

  test("processes of an application: those it starts while recording and those already running, no others", async () => {
    const tiny = { module: FIX, function: "tiny", arity: 1, args: false, return: false };
    const appStart = tuple(atom("application_master"), atom("init"), 4);
    await call("es_fixture_app", "load");
    const plan: AgentPlan = {
      functions: [tiny],
      processes: [{ application: "es_app" }],
      processEvents: true,
    };
    // The application starts during the recording: its processes are traced from their first call.
    const started = await record(plan, async () => {
      await call("application", "start", [atom("es_app")]);
      await call("es_fixture_app", "work", [250]);
      await call(FIX, "calls", [100, 1]); // not the application's: not recorded
    });
    const worker = (await call("erlang", "whereis", [atom("es_app_worker")])) as Pid;
    const tinyCalls = calls(started, "es_fixture:tiny/1");
    assert.equal(tinyCalls.length, 250);
    assert.ok(tinyCalls.every((e) => same(e.at(1), worker)));
    assert.ok(ofKind(started, "spawn").length >= 1, "the application's processes starting are recorded");
    assert.equal(totalDrops(started), 0);
    // Already running when the recording starts.
    const running = await record(plan, async () => {
      await call("es_fixture_app", "work", [40]);
      await call(FIX, "calls", [100, 1]);
    });
    assert.equal(calls(running, "es_fixture:tiny/1").length, 40);
    assert.ok(clean(await leftovers([appStart], [])));
    await call("application", "stop", [atom("es_app")]);
  });

  test("the boot watcher traces a module loaded again (it lost its patterns) from its next calls", async () => {
    const listener = await listenForAgent({ token: "boot-t" });
    const plan = parsePlan({
      modules: { include: [":es_fixture_reload"] },
      capture: { messages: false, state: false, processEvents: false, callbackReturns: false },
    });
    const started = call("elixirscope_agent_boot", "start", [
      bootConfigTerm(plan, { port: listener.port, token: "boot-t" }),
    ]);
    const session = await listener.session;
    await started;
    const recording = collect(session);
    after(() => session.stop());
    const tinyMfa = tuple(atom("es_fixture_reload"), atom("tiny"), 1);
    const traced = async () =>
      same(
        await call("erlang", "trace_info", [tinyMfa, atom("traced")]),
        tuple(atom("traced"), atom("local")),
      );
    await call("es_fixture_reload", "calls", [10]);
    await call("code", "purge", [atom("es_fixture_reload")]);
    await call("code", "load_file", [atom("es_fixture_reload")]);
    // Loading it again removed its patterns; the watcher may have set them again before this looks (it
    // reacts within about a millisecond), so what counts is that they are back and its calls recorded.
    const loadedAt = performance.now();
    while (!(await traced())) {
      assert.ok(performance.now() - loadedAt < 2000, "the module was not traced again within 2 s");
      await new Promise((r) => setTimeout(r, 5));
    }
    const took = performance.now() - loadedAt;
    await call("es_fixture_reload", "calls", [7]);
    await session.stop();
    const r = await recording;
    assert.equal(calls(r, "es_fixture_reload:tiny/1").length, 17);
    console.log(`# traced again ${took.toFixed(0)} ms after the load`);
    // The watcher removes its pattern on code loads when it sees the session gone, within a poll.
    await cleanWithin(1000, [tinyMfa, tuple(atom("erlang"), atom("finish_loading"), 1)], []);
  });

  test("max_duration_ms stops the session with that reason", async () => {
    const session = await startRecording(node, peer.name, {
      load: false,
      plan: { processEvents: true, processes: "new", limits: { maxDurationMs: 300 } },
    });
    const started = performance.now();
    const r = await collect(session);
    assert.ok(isAtom((r.end as { agentReason: Term }).agentReason, "max_duration"));
    assert.ok(performance.now() - started < 2000);
  });

  test("a tail-recursive receive loop traced without returns keeps flat memory over 100k messages", async () => {
    const loop = (await call(FIX, "start_loop")) as Pid;
    await call(FIX, "feed", [loop, 1000]);
    const [mem0, stack0] = ((await call(FIX, "loop_memory", [loop])) as Tuple).elements as number[];
    const r = await record(
      {
        functions: [{ module: FIX, function: "loop", arity: 1, args: false, return: false }],
        processes: [loop],
        limits: ROOMY,
      },
      () => call(FIX, "feed", [loop, 100_000]),
    );
    const [mem1, stack1] = ((await call(FIX, "loop_memory", [loop])) as Tuple).elements as number[];
    assert.equal(calls(r, "es_fixture:loop/1").length, 100_001);
    assert.equal(totalDrops(r), 0);
    assert.ok(stack1! <= stack0! + 8, `stack grew from ${stack0} to ${stack1} words`);
    assert.ok(mem1! <= mem0! + 16 * 1024, `memory grew from ${mem0} to ${mem1} bytes`);
  });

  test("terms over max_term_bytes are cut, keeping type, size and a prefix", async () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const list = Array.from({ length: 100_000 }, (_, i) => i);
    const map = new ErlMap(Array.from({ length: 5000 }, (_, i): [Term, Term] => [i, binary(`value ${i}`)]));
    const r = await record(
      {
        functions: [{ module: FIX, function: "echo", arity: 1, args: true, return: true }],
        processes: "new",
        limits: { maxTermBytes: 1000 },
      },
      async () => {
        for (const t of [big, list, map, tuple(atom("small"), 1)]) await call(FIX, "echo", [t]);
      },
    );
    const args = calls(r, "es_fixture:echo/1").map((e) => ((e.at(3) as Tuple).at(2) as Term[])[0]!);
    const rets = ofKind(r, "return_from").map((e) => e.at(4));
    assert.equal(args.length, 4);
    const cut = (t: Term) => t as Tuple;
    for (const values of [args, rets]) {
      const [b, l, m, small] = values.map(cut);
      assert.equal(formatTerm(b!.elements.slice(0, 3), { syntax: "erlang" }), "['$es_cut',binary,1048576]");
      assert.ok((b!.at(3) as Uint8Array).length <= 1000);
      assert.ok(isAtom(l!.at(0), "$es_cut") && isAtom(l!.at(1), "list"));
      assert.ok((l!.at(3) as Term[]).length > 50 && (l!.at(3) as Term[]).length < 1000);
      assert.ok(isAtom(m!.at(1), "map") && m!.at(2) === 5000 && (m!.at(3) as ErlMap).size < 200);
      assert.equal(formatTerm(small!, { syntax: "erlang" }), "{small,1}");
      for (const t of [b, l, m]) assert.ok(encode(t!).length <= 1100, `${encode(t!).length} bytes`);
    }
  });

  test("over max_events_per_sec, delivered plus dropped events add up to the events generated", async () => {
    const perProcess = 200_000;
    const r = await record(
      {
        functions: [{ module: FIX, function: "tiny", arity: 1, args: false, return: false }],
        processes: "new",
        limits: { ...ROOMY, maxEventsPerSec: 50_000 },
      },
      () => call(FIX, "calls_in", [2, perProcess, 1]),
    );
    const delivered = calls(r, "es_fixture:tiny/1").length;
    assert.equal(delivered + totalDrops(r), 2 * perProcess);
    assert.ok((r.drops.get("rate_limit") ?? 0) > 0);
    assert.equal(r.events.length, delivered);
    const stats = statsOf(r);
    assert.equal(stats.get(atom("delivered")), delivered);
  });

  test("a flood toward max_queue keeps the node's memory bounded, sheds the noisy pattern and reports any drops", async () => {
    const me = node.spawn();
    const sampler = (await call(FIX, "memory_sampler", [5, me.pid])) as Pid;
    const perProcess = 1_000_000;
    const r = await record(
      {
        functions: [{ module: FIX, function: "tiny", arity: 1, args: false, return: false }],
        processes: "new",
        limits: { maxEventsPerSec: 100_000_000, maxQueue: 5_000, maxMemoryBytes: 32 * 1024 * 1024 },
      },
      () => call(FIX, "calls_in", [2, perProcess, 1]),
    );
    me.send(sampler, atom("stop"));
    const peak = (await me.receive((m) => m, 5000)) as Tuple;
    const grew = (peak.at(1) as number) - (peak.at(2) as number);
    const delivered = calls(r, "es_fixture:tiny/1").length;
    const dropped = (r.drops.get("queue_limit") ?? 0) + (r.drops.get("memory_limit") ?? 0);
    console.log(
      `# flood: ${2 * perProcess} calls, ${delivered} delivered, drops ${JSON.stringify(Object.fromEntries(r.drops))}, ` +
        `node memory +${(grew / 1024 / 1024).toFixed(1)} MiB at peak`,
    );
    // Half way to the queue limit the noisy pattern is turned off; events are dropped only if the mailbox
    // still reaches the limit meanwhile.
    assert.ok(delivered + totalDrops(r) <= 2 * perProcess);
    assert.ok(delivered + dropped < 2 * perProcess, "the pattern was never turned off");
    const disabled = r.frames.filter((f) => f.type === "pattern_disabled");
    assert.ok(disabled.length >= 1);
    assert.equal((disabled[0] as { reason: string }).reason, "queue_limit");
    assert.equal(
      formatTerm((disabled[0] as { source: Term }).source, { syntax: "erlang" }),
      "{es_fixture,tiny,1}",
    );
    assert.ok(grew < 64 * 1024 * 1024, `node memory grew by ${grew} bytes`);
  });

  test("a backlog over max_queue is dropped and counted: delivered plus dropped is exactly the backlog", async () => {
    const n = 300_000;
    const session = await startRecording(node, peer.name, {
      load: false,
      plan: { processEvents: true, processes: [], limits: { maxQueue: 10_000 } },
    });
    const recording = collect(session, undefined, false);
    await call(FIX, "inject_at_once", [session.info.session, n]);
    await call(FIX, "calls_in", [1, 1, 1]);
    await session.stop();
    const r = await recording;
    assert.ok((r.drops.get("queue_limit") ?? 0) > n / 2);
    assert.equal(r.count + totalDrops(r), n);
    // The events came from no pattern of the plan: there was nothing to turn off.
    assert.equal(r.frames.filter((f) => f.type === "pattern_disabled").length, 0);
  });

  test("max_events stops the session with that reason", async () => {
    const session = await startRecording(node, peer.name, {
      load: false,
      plan: {
        functions: [{ module: FIX, function: "tiny", arity: 1, args: false, return: false }],
        processes: "new",
        limits: { ...ROOMY, maxEvents: 1000 },
      },
    });
    const recording = collect(session);
    await call(FIX, "calls_in", [1, 5000, 1]);
    const r = await recording;
    assert.ok(isAtom((r.end as { agentReason: Term }).agentReason, "max_events"));
    assert.equal(r.events.length, 1000);
    assert.ok(r.events.length + totalDrops(r) <= 5000);
    assert.ok(clean(await leftovers([tuple(atom(FIX), atom("tiny"), 1)], [])));
  });

  describe("cleanup, however the session ends", () => {
    const tinyMfa = tuple(atom(FIX), atom("tiny"), 1);
    const bumpMfa = tuple(atom(FIX), atom("bump"), 2);
    // The process-event plan's patterns on the monitor BIFs.
    const monitorMfa = tuple(atom("erlang"), atom("monitor"), 2);
    const demonitorMfa = tuple(atom("erlang"), atom("demonitor"), 2);
    let ctr: Pid;

    async function busySession(): Promise<{
      session: AgentSession;
      recording: Promise<Recording>;
      work: Promise<Term>;
    }> {
      ctr = (await call("erlang", "whereis", [atom("es_ctr")])) as Pid;
      if (!(ctr instanceof Pid)) ctr = (await call(FIX, "start_counter", [atom("es_ctr")])) as Pid;
      const session = await startRecording(node, peer.name, {
        load: false,
        plan: {
          functions: [
            { module: FIX, function: "tiny", arity: 1, args: true, return: true },
            { module: FIX, function: "bump", arity: 2, args: true, return: true },
          ],
          processes: "all",
          messages: true,
          processEvents: true,
          state: ["es_ctr"],
        },
      });
      const recording = collect(session);
      const work = call(FIX, "churn", [1500, atom("es_ctr")]);
      await new Promise((r) => setTimeout(r, 300));
      return { session, recording, work };
    }

    test("the collector's socket closing mid-recording: the node runs on and nothing is left within 1 s", async () => {
      const { session, recording, work } = await busySession();
      session.close();
      const took = await cleanWithin(1000, [tinyMfa, bumpMfa, monitorMfa, demonitorMfa], [ctr]);
      console.log(`# cleanup after the socket closed: ${took.toFixed(0)} ms`);
      await work;
      assert.equal(await call("erlang", "node"), atom(peer.name));
      const status = (await call("elixirscope_agent", "status")) as ErlMap;
      assert.deepEqual(status.get(atom("sessions")), []);
      assert.equal((await recording).end.reason, "closed");
    });

    test("elixirscope_agent:kill() removes everything at once", async () => {
      const { recording, work } = await busySession();
      const result = (await call("elixirscope_agent", "kill")) as ErlMap;
      assert.equal(result.get(atom("sessions")), 1);
      assert.ok(clean(await leftovers([tinyMfa, bumpMfa, monitorMfa, demonitorMfa], [ctr])));
      await work;
      const r = await recording;
      assert.ok(isAtom((r.end as { agentReason: Term }).agentReason, "killed"), JSON.stringify(r.end));
    });

    test("elixirscope_agent:stop(Session) removes everything", async () => {
      const { session, recording, work } = await busySession();
      assert.ok(isAtom(await call("elixirscope_agent", "stop", [session.info.session]), "ok"));
      assert.ok(clean(await leftovers([tinyMfa, bumpMfa, monitorMfa, demonitorMfa], [ctr])));
      await work;
      const r = await recording;
      assert.ok(isAtom((r.end as { agentReason: Term }).agentReason, "stop"));
      assert.ok(r.events.length > 0);
    });

    test("the tracer process dying: its guard removes everything within 1 s", async () => {
      const { session, recording, work } = await busySession();
      await call("erlang", "exit", [session.info.session, atom("kill")]);
      const took = await cleanWithin(1000, [tinyMfa, bumpMfa, monitorMfa, demonitorMfa], [ctr]);
      console.log(`# cleanup after the tracer was killed: ${took.toFixed(0)} ms`);
      await work;
      assert.equal((await recording).end.reason, "agent_gone");
    });
  });

  test("a bad plan is refused with the field and a sentence; a second session is refused", async () => {
    await assert.rejects(
      startRecording(node, peer.name, {
        load: false,
        plan: { functions: [{ module: FIX, function: "_", arity: "_", args: false, return: true }] },
      }),
      (err: unknown) =>
        err instanceof AgentStartError &&
        /functions\[1\]: return tracing on every function of es_fixture is refused/.test(err.message),
    );
    const first = await startRecording(node, peer.name, {
      load: false,
      plan: { processEvents: true, processes: "new" },
    });
    const firstFrames = collect(first);
    await assert.rejects(
      startRecording(node, peer.name, { load: false, plan: { processEvents: true } }),
      /already_recording/,
    );
    await first.stop();
    await firstFrames;
  });

  test("a connection with the wrong token is closed and the listener keeps waiting", async () => {
    const listener = await listenForAgent({ token: "right" });
    try {
      const intruder = connect(listener.port, "127.0.0.1");
      await new Promise<void>((resolve) => intruder.once("connect", () => resolve()));
      const hello = tuple(
        atom("hello"),
        1,
        binary("wrong"),
        mapOf({ session: new Pid(atom("x@y"), 1, 0, 0) }),
      );
      intruder.write(packet(encode(hello)));
      let answer = Buffer.alloc(0);
      intruder.on("data", (d: Buffer) => (answer = Buffer.concat([answer, d])));
      await new Promise<void>((resolve) => intruder.once("close", () => resolve()));
      assert.deepEqual(listener.rejected, ["the hello carries a wrong token"]);
      assert.equal(formatTerm(decode(answer.subarray(4))), '{:refused, "the hello carries a wrong token"}');
      // An agent with a wrong token is told, and start/1 says so (its tracing is removed).
      const wrong = (await call("elixirscope_agent", "start", [
        agentConfigTerm({
          host: "127.0.0.1",
          port: listener.port,
          token: "wrong",
          plan: { processEvents: true },
        }),
      ])) as Tuple;
      assert.ok(isAtom(wrong.at(0), "error"), formatTerm(wrong));
      const why = wrong.at(1) as Tuple;
      assert.ok(isAtom(why.at(0), "collector_refused"), formatTerm(wrong));
      assert.equal(Buffer.from(why.at(1) as Uint8Array).toString(), "the hello carries a wrong token");
      assert.equal(listener.rejected.length, 2);
      const config = agentConfigTerm({
        host: "127.0.0.1",
        port: listener.port,
        token: "right",
        plan: { processEvents: true },
      });
      const started = (await call("elixirscope_agent", "start", [config])) as Tuple;
      assert.ok(isAtom(started.at(0), "ok"), formatTerm(started));
      const session = await listener.session;
      assert.equal(session.info.node, peer.name);
      assert.equal(session.info.otpRelease.length >= 2, true);
      assert.equal(typeof session.info.timeOffsetNs, "bigint");
      const frames = collect(session);
      await session.stop();
      assert.equal((await frames).end.reason, "stopped");
    } finally {
      listener.close();
    }
  });

  test("a new plan replaces the tracing while recording", async () => {
    const session = await startRecording(node, peer.name, {
      load: false,
      plan: {
        functions: [{ module: FIX, function: "tiny", arity: 1, args: false, return: false }],
        processes: "new",
      },
    });
    let applied!: () => void;
    const planApplied = new Promise<void>((resolve) => (applied = resolve));
    const recording = collect(session, (f) => f.type === "plan_applied" && applied());
    await call(FIX, "calls_in", [1, 10, 1]);
    session.sendPlan({
      functions: [{ module: FIX, function: "echo", arity: 1, args: true, return: true }],
      processes: "new",
    });
    await planApplied;
    await call(FIX, "calls_in", [1, 10, 1]);
    await call(FIX, "echo", [atom("hi")]);
    const refused = (await call("elixirscope_agent", "update_plan", [
      session.info.session,
      mapOf({ messages: atom("yes") }),
    ])) as Tuple;
    assert.equal(
      formatTerm(refused, { syntax: "erlang" }),
      '{error,{bad_plan,messages,<<"expected true or false, got yes">>}}',
    );
    const status = (await call("elixirscope_agent", "status")) as ErlMap;
    const [s] = status.get(atom("sessions")) as ErlMap[];
    assert.ok(same(s!.get(atom("session"))!, session.info.session));
    for (const key of ["delivered", "dropped", "batches", "queue_len", "memory", "drops"]) {
      assert.ok(s!.has(atom(key)), key);
    }
    await session.stop();
    const r = await recording;
    assert.equal(calls(r, "es_fixture:tiny/1").length, 10);
    assert.equal(calls(r, "es_fixture:echo/1").length, 1);
    assert.equal(r.frames.filter((f) => f.type === "plan_applied").length, 1);
  });

  test("a plan that only adds a function loses no events of the functions already traced", async () => {
    const tiny = { module: FIX, function: "tiny", arity: 1, args: false, return: false };
    const session = await startRecording(node, peer.name, {
      load: false,
      plan: { functions: [tiny], processes: "new", limits: ROOMY },
    });
    const recording = collect(session, undefined, false);
    const work = call(FIX, "calls_in", [1, 300_000, 1]);
    await new Promise((r) => setTimeout(r, 30));
    const echo = { module: FIX, function: "echo", arity: 1, args: false, return: false };
    const updated = await call("elixirscope_agent", "update_plan", [
      session.info.session,
      planToTerm({ functions: [tiny, echo], processes: "new", limits: ROOMY }),
    ]);
    assert.ok(isAtom(updated, "ok"));
    await work;
    await session.stop();
    const r = await recording;
    // Nothing lost: every call is delivered, or counted if Node fell behind (collector_busy).
    assert.equal(r.count + (r.drops.get("collector_busy") ?? 0), 300_000);
    assert.equal(totalDrops(r), r.drops.get("collector_busy") ?? 0);
  });

  test("pipeline capacity: 1M small call events sent to the tracer, delivered and decoded in Node", async () => {
    // es_fixture:inject/2 feeds the tracer as fast as its socket takes the frames: this measures tracer,
    // socket and decoding, without the cost of tracing the calls.
    const n = 1_000_000;
    const session = await startRecording(node, peer.name, {
      load: false,
      plan: {
        processEvents: true,
        processes: [],
        limits: { ...ROOMY, maxEvents: "infinity", batchSize: 1000 },
      },
    });
    const recording = collect(session, undefined, false);
    await call(FIX, "inject", [session.info.session, n]);
    await session.stop();
    const r = await recording;
    const seconds = (r.lastEventAt - r.firstEventAt) / 1000;
    console.log(
      `# pipeline: ${r.count} events in ${seconds.toFixed(2)} s = ${Math.round(r.count / seconds)} events/s, drops ${totalDrops(r)}`,
    );
    assert.equal(r.count, n);
    assert.equal(totalDrops(r), 0);
  });

  test("throughput: call events of a traced process, decoded in Node; every event delivered or counted as dropped", async () => {
    const n = 1_000_000;
    const r = await record(
      {
        functions: [{ module: FIX, function: "tiny", arity: 1, args: false, return: false }],
        processes: "new",
        limits: { ...ROOMY, maxEvents: "infinity", batchSize: 1000 },
      },
      () => call(FIX, "calls_in", [1, n, 1]),
      false,
    );
    const seconds = (r.lastEventAt - r.firstEventAt) / 1000;
    const rate = r.count / seconds;
    console.log(
      `# throughput: ${r.count} events in ${seconds.toFixed(2)} s = ${Math.round(rate)} events/s, drops ${JSON.stringify(Object.fromEntries(r.drops))}`,
    );
    // Zero drops on a quiet machine; when Node gets too little CPU it falls behind by more than the socket
    // holds, and the agent drops batches as collector_busy rather than let them pile up in the node.
    assert.equal(r.count + totalDrops(r), n);
    assert.deepEqual(
      [...r.drops.keys()].filter((k) => k !== "collector_busy"),
      [],
    );
    assert.ok(rate > 50_000, `only ${Math.round(rate)} events/s`);
  });
});

describe("the recording agent on an Elixir node", () => {
  const APP =
    "defmodule EsUser do\n" +
    "  use GenServer\n" +
    "  def init(x), do: {:ok, x}\n" +
    "  def handle_call(:inc, _from, s), do: {:reply, s + 1, s + 1}\n" +
    "  def start, do: Agent.start(fn -> %{a: 1} end, name: :es_agent)\n" +
    "  def start_later, do: Agent.start(fn -> %{b: 2} end, name: :es_agent_later)\n" +
    "  def bump_later, do: Agent.update(:es_agent_later, &Map.put(&1, :b, 3))\n" +
    "end\n" +
    "EsUser.start()\n" +
    "GenServer.start(EsUser, 0, name: :es_server)";
  let peer: TestNode;
  let node: LocalNode;

  before(async () => {
    peer = await startNode({ kind: "elixir", extraArgs: ["--erl", `-pa ${EBIN}`], eval: APP });
    node = await LocalNode.start({ cookie: peer.cookie });
    const deadline = Date.now() + 10_000;
    while (!((await rpc(node, peer.name, "erlang", "whereis", [atom("es_server")])) instanceof Pid)) {
      if (Date.now() > deadline)
        throw new Error(`the Elixir node did not start its processes:\n${peer.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    await node.stop();
    await peer.stop();
  });

  test("state: all captures the user's Agent and GenServer, none of Elixir's own processes", async () => {
    const whereis = (name: string) => rpc(node, peer.name, "erlang", "whereis", [atom(name)]);
    const expected = [await whereis("es_agent"), await whereis("es_server")].map(String).sort();
    const session = await startRecording(node, peer.name, { plan: { state: "all" } });
    const recording = collect(session);
    assert.match(session.info.elixirVersion ?? "", /^1\.\d+/);
    const captured = (session.info.applied as ErlMap).get(atom("state")) as Pid[];
    assert.deepEqual(captured.map(String).sort(), expected);
    await rpc(node, peer.name, "gen_server", "call", [atom("es_server"), atom("inc")]);
    // An Agent started while recording: its function's module is the user's, so it is captured as it starts.
    await rpc(node, peer.name, "Elixir.EsUser", "start_later", []);
    await rpc(node, peer.name, "Elixir.EsUser", "bump_later", []);
    await session.stop();
    const states = ofKind(await recording, "es_state").map((e) => formatTerm(e.at(5), { syntax: "erlang" }));
    assert.deepEqual(states.sort(), ["#{a => 1}", "0", "1", "#{b => 2}", "#{b => 3}"].sort());
  });
});
