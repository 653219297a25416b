// Monitors through ingest and the engine, on hand-made batches in the agent's format (the agent's own test
// checks what a real node sends): a monitor from its call to its `:DOWN`, a demonitor, a watcher's exit,
// a monitor by name, a spawn with a monitor, monitors held when recording began, and the alias monitors'
// demonitors that are dropped, and a recording made before the monitors table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { encode } from "../etf/encode.js";
import { atom, ErlMap, Pid, Reference, tuple, type Term } from "../etf/terms.js";
import { openRecording } from "../query/index.js";
import { StoreWriter } from "../store/writer.js";
import { Ingest } from "./ingest.js";

const NODE = atom("app@host");
const BASE = -576460752303423488n;
const pid = (id: number) => new Pid(NODE, id, 0, 1);
const ref = (id: number) => new Reference(NODE, 1, [id, 2, 3]);
const map = (o: Record<string, Term>) => new ErlMap(Object.entries(o).map(([k, v]) => [atom(k), v]));
const MONITOR2 = tuple(atom("erlang"), atom("monitor"), 2);
const DEMONITOR1 = tuple(atom("erlang"), atom("demonitor"), 1);
const DEMONITOR2 = tuple(atom("erlang"), atom("demonitor"), 2);
const SPAWN_OPT = tuple(atom("erlang"), atom("spawn_opt"), 4);

class Script {
  private ns = 0n;
  readonly events: Term[] = [];
  trace(p: Pid, kind: string, ...rest: Term[]): this {
    this.ns += 1000n;
    this.events.push(tuple(atom("trace_ts"), p, atom(kind), ...rest, BASE + this.ns));
    return this;
  }
  /** What the agent's monitor patterns send for `erlang:monitor(process, target)` returning `r`. */
  monitor(p: Pid, target: Term, r: Reference): this {
    return this.trace(p, "call", MONITOR2, [atom("process"), target]).trace(p, "return_from", MONITOR2, r);
  }
  frames(size = 5): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.events.length; i += size)
      out.push(encode(tuple(atom("events"), i, this.events.slice(i, i + size))));
    return out;
  }
}

async function record(script: Script, messages: boolean, raw?: ErlMap): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), "es-monitors-")), "m.esrec");
  const store = await StoreWriter.create(path, { node: NODE.name });
  const plan = map({ messages: atom(messages ? "true" : "false"), process_events: atom("true") });
  const ingest = new Ingest(store, { node: NODE.name, monotonicNs: BASE, plan, raw });
  for (const f of script.frames()) ingest.batch(f);
  await ingest.finish({ ended: "test" });
  return path;
}

test("a monitor from its call to its :DOWN, a demonitor, a watcher's exit, dropped alias demonitors", async () => {
  const [w, a, b, c, child] = [pid(1), pid(2), pid(3), pid(4), pid(5)];
  const s = new Script();
  s.trace(b, "register", atom("bee"));
  s.monitor(w, a, ref(1)); // #1
  s.monitor(w, atom("bee"), ref(2)); // #2, by name
  s.trace(w, "call", DEMONITOR2, [ref(99), [atom("flush")]]); // a gen call's alias monitor: dropped
  s.trace(w, "call", DEMONITOR1, [ref(2)]); // #3 ends #2
  s.trace(w, "call", SPAWN_OPT, [atom("m"), atom("f"), [], [atom("monitor")]]);
  s.trace(w, "spawn", child, tuple(atom("m"), atom("f"), [])); // #4
  s.trace(w, "return_from", SPAWN_OPT, tuple(child, ref(3))); // #5
  s.trace(a, "exit", tuple(atom("shutdown"), atom("done"))); // #6
  s.trace(
    w,
    "receive",
    tuple(atom("DOWN"), ref(1), atom("process"), a, tuple(atom("shutdown"), atom("done"))),
  ); // #7
  s.monitor(c, w, ref(4)); // #8
  s.trace(w, "exit", atom("normal")); // #9: ends the spawn monitor (watcher exit), not c's on w (no :DOWN yet)
  s.trace(c, "receive", tuple(atom("DOWN"), ref(4), atom("process"), w, atom("normal"))); // #10
  const rec = await openRecording(await record(s, true));
  try {
    const kinds = await rec.sql("SELECT seq, kind FROM events ORDER BY seq");
    assert.deepEqual(
      kinds.rows.map((r) => Number(r[1])),
      [13, 16, 16, 17, 6, 16, 8, 5, 16, 8, 5],
      "calls of the monitor BIFs are monitor and demonitor events, the alias demonitor is gone",
    );
    const [W, A, B] = await Promise.all(["<0.1.0>", "<0.2.0>", "<0.3.0>"].map((p) => rec.resolveProcess(p)));
    const at = (seq: number) => rec.monitorsAt(W!.id, seq);
    const before = await at(0);
    assert.deepEqual(before.holds, []);
    const held = await at(2);
    assert.deepEqual(
      held.holds.map((m) => [m.seq, m.target, m.targetText, m.ended, m.endSeq]),
      [
        [1, A!.id, "#PID<0.2.0>", "down", 7],
        [2, B!.id, "bee", "demonitor", 3],
      ],
    );
    assert.equal(held.holds[0]!.reason, "{:shutdown, :done}");
    // Just after the demonitor: only a's; after a's :DOWN: only the spawned child's.
    assert.deepEqual(
      (await at(3)).holds.map((m) => m.seq),
      [1],
    );
    const afterDown = await at(7);
    assert.deepEqual(
      afterDown.holds.map((m) => [m.seq, m.ended]),
      [[5, "watcher_exit"]],
    );
    assert.equal((await rec.monitorsAt(A!.id, 6)).on.length, 1);
    assert.equal((await rec.monitorsAt(A!.id, 7)).on.length, 0);
    // c's monitor on w: held until c receives the :DOWN, after w's exit.
    assert.deepEqual(
      (await at(9)).on.map((m) => [m.seq, m.ended, m.endSeq]),
      [[8, "down", 10]],
    );
    assert.deepEqual((await at(10)).on, []);
    const demonitor = await rec.event(3);
    assert.equal(demonitor.kind, "demonitor");
    assert.equal(demonitor.link, 2);
    assert.equal(demonitor.text, ":bee");
  } finally {
    await rec.close();
  }
});

test("without recorded receives a monitor ends at its target's exit; monitors held at the start", async () => {
  const [w, a, b] = [pid(1), pid(2), pid(3)];
  const s = new Script();
  s.monitor(w, a, ref(1)); // #0
  s.trace(a, "exit", atom("boom")); // #1
  s.trace(b, "exit", atom("normal")); // #2 ends w's monitor held since the start
  const hello = map({
    monitors: [tuple(w, b), tuple(w, tuple(atom("logger"), NODE))],
  });
  const rec = await openRecording(await record(s, false, hello));
  try {
    const W = await rec.resolveProcess("<0.1.0>");
    const first = await rec.monitorsAt(W.id, 0);
    assert.deepEqual(
      first.holds.map((m) => [m.seq, m.targetText, m.ended, m.endSeq]),
      [
        [null, null, "down", 2],
        [null, "logger", null, null],
        [0, "#PID<0.2.0>", "down", 1],
      ],
    );
    assert.equal(first.holds[2]!.reason, ":boom");
    assert.deepEqual(
      (await rec.monitorsAt(W.id, 2)).holds.map((m) => m.targetText),
      ["logger"],
    );
  } finally {
    await rec.close();
  }
});

test("a recording written before the monitors table opens, with no monitors", async () => {
  const s = new Script();
  s.monitor(pid(1), pid(2), ref(1));
  const path = await record(s, true);
  const db = await DuckDBInstance.create(path);
  const con = await db.connect();
  await con.run("DROP TABLE monitors");
  con.closeSync();
  db.closeSync();
  const rec = await openRecording(path);
  try {
    const w = await rec.resolveProcess("<0.1.0>");
    assert.deepEqual(await rec.monitorsAt(w.id, 0), { holds: [], on: [] });
  } finally {
    await rec.close();
  }
});
